/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.js'),
  cacheMaxMemorySize: 0,
  experimental: {
    // 'use cache' needs dynamicIO on 15.1, a canary-only flag: build with
    // NEXT_PRIVATE_SKIP_CANARY_CHECK=1.
    dynamicIO: true,
    cacheHandlers: {
      default: require.resolve('./use-cache-handler.mjs'),
    },
  },
};
