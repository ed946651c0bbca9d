/** @type {import('next').NextConfig} */
// Served with `next start`: no standalone output, and the ISR handler named by a plain relative
// path. `next build` resolves it against its cwd and succeeds; `next start` reads this file again
// and resolves it against `.next/`, so production never loads the handler (issue 14 §1).
module.exports = {
  cacheHandler: './cache-handler.js',
  cacheMaxMemorySize: 0,
  cacheComponents: true,
  cacheHandlers: {
    default: require.resolve('./use-cache-handler.mjs'),
  },
};
