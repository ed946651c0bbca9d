import { withSentryConfig } from '@sentry/nextjs'
import bundleAnalyzer from '@next/bundle-analyzer'

const withBundleAnalyzer = bundleAnalyzer({ enabled: process.env.ANALYZE === 'true' })

const nextConfig = {
  output: 'standalone',
  cacheHandler: process.env.REDIS_URL ? new URL('./cache-handler.mjs', import.meta.url).pathname : undefined,
}

export default withSentryConfig(withBundleAnalyzer(nextConfig), { silent: true })
