import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  output: 'standalone',
  cacheComponents: true,
  cacheHandler: process.env.CACHE_BACKEND ? require.resolve('./cache-handler.js') : undefined,
  cacheHandlers: process.env.CACHE_BACKEND
    ? { default: require.resolve('./use-cache-handler.js') }
    : undefined,
}

export default nextConfig
