// ISR / incremental cache handler (CommonJS class), with a local and an npm dependency, and an
// import of a package that is not installed (the dependency-unresolvable scenario).
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

  // Broken on purpose: this package is not installed. The require is lazy, so `next build`
  // (which constructs the handler but never calls this) exits 0: Turbopack only prints a
  // "Module not found" warning, and nft (webpack builds) drops the failure silently.
  notify(tags) {
    const client = require('graft-e2e-not-installed');
    return client.publish(tags);
  }
}

module.exports = CacheHandler;
