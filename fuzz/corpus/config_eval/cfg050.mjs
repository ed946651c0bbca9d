const nextConfig = {
  output: 'standalone',
  cacheHandler: new URL('./cache-handler.mjs', import.meta.url).pathname,
}

export default async function config(phase) {
  const { default: withVercelToolbar } = await import('@vercel/toolbar/plugins/next')
  return withVercelToolbar()(nextConfig)
}
