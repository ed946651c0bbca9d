import type { NextConfig } from 'next'
import path from 'path'

const handlers = {
  default: path.join(__dirname, 'handlers/default.js'),
  remote: path.join(__dirname, 'handlers/remote.js'),
} as Record<string, string>

const nextConfig: NextConfig = {
  output: 'standalone',
  cacheComponents: true,
  cacheHandlers: handlers,
}

export default nextConfig
