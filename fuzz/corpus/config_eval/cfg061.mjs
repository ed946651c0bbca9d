export default {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.js'),
}
