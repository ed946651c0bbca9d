import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export default {
  output: 'standalone',
  cacheHandler: require.resolve('./cache-handler.cjs'),
}
