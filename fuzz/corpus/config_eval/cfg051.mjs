const config = {
  cacheHandler: './cache-handler.mjs',
}

export { config as default }
