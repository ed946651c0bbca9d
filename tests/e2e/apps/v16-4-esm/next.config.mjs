// An ES-module app ("type": "module"): handlers named with import.meta.url, an .mjs ISR handler
// that imports an npm package whose `exports` has import/require conditions (lru-cache), and a
// `.js` 'use cache' handler that is ESM only because of the package's "type".
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
export default {
  output: 'standalone',
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  cacheHandler: fileURLToPath(new URL('./cache-handler.mjs', import.meta.url)),
  cacheHandlers: {
    default: fileURLToPath(new URL('./use-cache-handler.js', import.meta.url)),
  },
};
