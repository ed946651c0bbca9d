const nextConfig = {
  output: 'standalone',
  cacheComponents: true,
  cacheHandlers: {
    default: import.meta.resolve('./handlers/default.mjs'),
  },
}

export default nextConfig
