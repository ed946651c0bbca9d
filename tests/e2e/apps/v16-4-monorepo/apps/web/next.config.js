const path = require('path');

/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  // A monorepo: the tracing root is the repo, the app is apps/web (relativeAppDir), and the
  // handlers come from packages/cache. The standalone server is standalone/apps/web/server.js.
  outputFileTracingRoot: path.join(__dirname, '../..'),
  cacheHandler: path.join(__dirname, '../../packages/cache/handler.js'),
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  cacheHandlers: {
    default: path.join(__dirname, '../../packages/cache/use-cache-handler.mjs'),
  },
};
