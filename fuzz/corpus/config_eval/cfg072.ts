import type { NextConfig } from 'next'

const nextConfig = {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.js'),
  cacheMaxMemorySize: 0,
} satisfies NextConfig

export default nextConfig
