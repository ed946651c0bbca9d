import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const __dirname = dirname(fileURLToPath(import.meta.url))

export default {
  output: 'standalone',
  cacheHandler: fileURLToPath(new URL('./cache-handler.mjs', import.meta.url)),
  cacheHandlers: {
    remote: join(__dirname, 'handlers', 'remote.mjs'),
  },
}
