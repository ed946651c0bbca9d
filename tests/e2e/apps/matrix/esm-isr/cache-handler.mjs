// The ISR handler as an ES module with top-level await: `import()` loads it, `require()` cannot
// (ERR_REQUIRE_ESM, or ERR_REQUIRE_ASYNC_MODULE where Node can require() an ES module). The
// matrix builds it on the lines around HandlersCjsOnly (13.4–14.0: require() only).
import ms from 'ms';
import dep from './lib/dep.js';

const { logEvent } = dep;
const store = new Map();
const TTL = ms('1h');

await Promise.resolve();
logEvent('isr', 'load');

export default class CacheHandler {
  constructor(ctx) {
    this.ctx = ctx;
    logEvent('isr', 'construct');
  }

  async get(key) {
    const entry = store.get(key);
    logEvent('isr', 'get', { key, hit: Boolean(entry) });
    if (!entry || Date.now() - entry.lastModified > TTL) return null;
    return entry;
  }

  async set(key, data, ctx) {
    logEvent('isr', 'set', { key });
    store.set(key, { value: data, lastModified: Date.now(), tags: (ctx && ctx.tags) || [] });
  }

  async revalidateTag(tags) {
    logEvent('isr', 'revalidateTag', { tags: [].concat(tags) });
  }

  resetRequestCache() {}
}
