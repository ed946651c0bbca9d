import createNextIntlPlugin from 'next-intl/plugin'
import { withPayload } from '@payloadcms/next/withPayload'
import { createRequire } from 'module'

const require = createRequire(import.meta.url)
const withNextIntl = createNextIntlPlugin()

/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'standalone',
  cacheHandler: require.resolve('@fortedigital/nextjs-cache-handler/cache-handler'),
  cacheHandlers: {
    default: require.resolve('@fortedigital/nextjs-cache-handler/use-cache'),
  },
}

export default withPayload(withNextIntl(nextConfig), { devBundleServerPackages: false })
