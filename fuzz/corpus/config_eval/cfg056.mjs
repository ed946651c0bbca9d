import { fileURLToPath } from 'url'

export default {
  cacheHandler: fileURLToPath(import.meta.resolve('./cache-handler.mjs')),
}
