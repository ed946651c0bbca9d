export default {
  output: 'standalone',
  images: { remotePatterns: [{ hostname: 'example.com' }] },
}
