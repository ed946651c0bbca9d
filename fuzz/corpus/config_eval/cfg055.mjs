import path from 'node:path'

export default {
  output: 'standalone',
  cacheHandler: path.join(import.meta.dirname, 'cache-handler.mjs'),
}
