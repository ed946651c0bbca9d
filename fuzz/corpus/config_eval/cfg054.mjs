import { PHASE_PRODUCTION_BUILD, PHASE_PRODUCTION_SERVER } from 'next/constants.js'

export default function config(phase) {
  const handlers = {}
  if (phase === PHASE_PRODUCTION_BUILD || phase === PHASE_PRODUCTION_SERVER) {
    handlers.default = new URL('./handlers/default.mjs', import.meta.url).pathname
  }
  return {
    output: 'standalone',
    cacheHandlers: handlers,
  }
}
