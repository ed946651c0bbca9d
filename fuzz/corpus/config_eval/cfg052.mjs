/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'standalone',
  cacheHandler: './cache-handler.mjs',
}

export default nextConfig
