// ISR / incremental cache handler (CommonJS class), with a local and an npm dependency.
const ms = require('ms');
const { logEvent } = require('./lib/dep.js');

// Next creates a new instance per request: the store must outlive instances.
const store = new Map();
const TTL = ms('1h');

logEvent('isr', 'load');

class CacheHandler {
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
    const list = [].concat(tags);
    logEvent('isr', 'revalidateTag', { tags: list });
    for (const [key, entry] of store) {
      if (entry.tags.some((t) => list.includes(t))) store.delete(key);
    }
  }

  resetRequestCache() {}
}

module.exports = CacheHandler;
