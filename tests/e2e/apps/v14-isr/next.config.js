/** @type {import('next').NextConfig} */
module.exports = {
  output: 'standalone',
  // Absolute at build time; the build serializes it relative to distDir.
  cacheHandler: require.resolve('./cache-handler.js'),
  // Leave every request to the custom handler (no in-memory layer in front of it).
  cacheMaxMemorySize: 0,
};
