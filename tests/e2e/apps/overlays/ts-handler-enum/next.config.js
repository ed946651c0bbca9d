/** @type {import('next').NextConfig} */
// The ISR handler is TypeScript: Next.js does not compile it, Node (22.18+, 24) strips its types.
module.exports = {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.ts'),
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  cacheHandlers: {
    default: require.resolve('./use-cache-handler.mjs'),
  },
};
