// 'use cache' handler: ESM because the package is "type": "module" (a .js file).
// Logs every call through the local ESM dependency, so the e2e test sees whether production used it.
import { logEvent } from './lib/dep.js';

const entries = new Map();

logEvent('default', 'load');

async function streamToChunks(stream) {
  const chunks = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

function chunksToStream(chunks) {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

const handler = {
  async get(cacheKey, softTags) {
    const stored = entries.get(cacheKey);
    logEvent('default', 'get', { key: cacheKey, hit: Boolean(stored) });
    if (!stored) return undefined;
    return { ...stored.entry, value: chunksToStream(stored.chunks) };
  },

  async set(cacheKey, pendingEntry) {
    logEvent('default', 'set', { key: cacheKey });
    const entry = await pendingEntry;
    const chunks = await streamToChunks(entry.value);
    entries.set(cacheKey, { entry, chunks });
  },

  // 15.3+ (V2) and 16.x
  async refreshTags() {},
  async getExpiration() {
    return 0;
  },
  // 16.x
  async updateTags(tags) {
    logEvent('default', 'updateTags', { tags });
  },
  // 15.x
  async expireTags(...tags) {
    logEvent('default', 'expireTags', { tags });
  },
  async receiveExpiredTags() {},
};

export default handler;
