/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.js'),
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  // Top level since 16.0.
  cacheHandlers: {
    default: require.resolve('./use-cache-handler.mjs'),
  },
};
