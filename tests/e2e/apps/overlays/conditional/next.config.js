/** @type {import('next').NextConfig} */
// The handlers are only configured when CACHE_BACKEND is set. The e2e build runs without it, as
// a Docker build that forgot the variable would: the standalone config then has no handler.
module.exports = {
  output: 'standalone',
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,
  cacheHandlers: process.env.CACHE_BACKEND
    ? { default: require.resolve('./use-cache-handler.mjs') }
    : undefined,
};
