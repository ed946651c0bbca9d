const path = require('path');

/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  // The tracing root is the app itself, so the shared handler beside it lies outside the root:
  // Next drops it from the standalone tree and the serialized path escapes it. Build with
  // `next build --webpack`: Turbopack refuses a handler outside its root.
  outputFileTracingRoot: __dirname,
  cacheHandler: path.join(__dirname, '../shared/cache-handler.js'),
  cacheMaxMemorySize: 0,
};
