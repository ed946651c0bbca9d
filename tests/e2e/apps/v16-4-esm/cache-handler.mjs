// ISR / incremental cache handler as an ES module class. `lru-cache` resolves through its
// `exports` "import" condition (dist/esm), which only a correct trace copies.
import { LRUCache } from 'lru-cache';
import { logEvent } from './lib/dep.js';

// Next creates a new instance per request: the store must outlive instances.
const store = new LRUCache({ max: 500 });

logEvent('isr', 'load');

export default class CacheHandler {
  constructor(ctx) {
    this.ctx = ctx;
    logEvent('isr', 'construct');
  }

  async get(key) {
    const entry = store.get(key);
    logEvent('isr', 'get', { key, hit: Boolean(entry) });
    return entry ?? null;
  }

  async set(key, data, ctx) {
    logEvent('isr', 'set', { key });
    store.set(key, { value: data, lastModified: Date.now(), tags: (ctx && ctx.tags) || [] });
  }

  async revalidateTag(tags) {
    const list = [].concat(tags);
    logEvent('isr', 'revalidateTag', { tags: list });
    for (const [key, entry] of store.entries()) {
      if (entry.tags.some((t) => list.includes(t))) store.delete(key);
    }
  }

  resetRequestCache() {}
}
