/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.js'),
  cacheMaxMemorySize: 0,
  experimental: {
    useCache: true,
    // 15.x reads the plural key only under experimental.
    cacheHandlers: {
      default: require.resolve('./use-cache-handler.mjs'),
    },
  },
};
