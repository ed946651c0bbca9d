import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'

export default {
  cacheHandlers: {
    default: pathToFileURL(resolve('handlers/default.mjs')).href,
  },
}
