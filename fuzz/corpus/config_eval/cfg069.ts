import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  output: 'standalone',
  experimental: {
    useCache: true,
    cacheHandlers: {
      default: require.resolve('./handlers/default.js') as string,
    },
  },
}

export default nextConfig
