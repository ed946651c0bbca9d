export default {
  output: 'standalone',
  cacheHandler: new URL('./cache-handler.mjs', import.meta.url).pathname,
  cacheHandlers: {
    default: new URL('./handlers/default.mjs', import.meta.url).href,
  },
}
