import type { NextConfig } from 'next'
import { fileURLToPath } from 'node:url'

const nextConfig: NextConfig = {
  cacheComponents: true,
  cacheHandlers: {
    default: fileURLToPath(new URL('./handlers/default.mjs', import.meta.url)),
    remote: import.meta.filename.replace('next.config.mts', 'handlers/remote.mjs'),
  },
}

export default nextConfig
