// ISR cache handler in TypeScript with one construct that is not erasable: the `enum` below.
// Node's type stripping refuses it (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX).
import type { Stats } from 'node:fs';
import ms from 'ms';
import { logEvent } from './handler-lib/dep.ts';

interface Entry {
  value: unknown;
  lastModified: number;
  tags: string[];
}

type Context = { tags?: string[] } | undefined;

// Next creates a new instance per request: the store must outlive instances.
const store = new Map<string, Entry>();
const TTL: number = ms('1h') as number;
const unused: Stats | null = null;

enum Event {
  Load = 'load',
  Construct = 'construct',
}

logEvent('isr', Event.Load);

export default class CacheHandler {
  ctx: unknown;

  constructor(ctx: unknown) {
    this.ctx = ctx ?? unused;
    logEvent('isr', Event.Construct);
  }

  async get(key: string): Promise<Entry | null> {
    const entry = store.get(key);
    logEvent('isr', 'get', { key, hit: Boolean(entry) });
    if (!entry || Date.now() - entry.lastModified > TTL) return null;
    return entry;
  }

  async set(key: string, data: unknown, ctx: Context): Promise<void> {
    logEvent('isr', 'set', { key });
    store.set(key, { value: data, lastModified: Date.now(), tags: (ctx && ctx.tags) || [] } satisfies Entry);
  }

  async revalidateTag(tags: string | string[]): Promise<void> {
    const list = ([] as string[]).concat(tags);
    logEvent('isr', 'revalidateTag', { tags: list });
    for (const [key, entry] of store) {
      if (entry.tags.some((t) => list.includes(t))) store.delete(key);
    }
  }

  resetRequestCache(): void {}
}
