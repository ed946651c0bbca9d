// 'use cache' handler (ESM object) of the matrix app. Stores entries in memory and logs every
// call through the local CommonJS dependency, so the matrix sees from the log whether
// production used it and which interface the line called: 15.0–15.2 `expireTags` /
// `receiveExpiredTags`, 15.3+ `refreshTags` / `getExpiration`, 16.x `updateTags`.
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
  async get(cacheKey) {
    const stored = entries.get(cacheKey);
    logEvent('default', 'get', { hit: Boolean(stored) });
    if (!stored) return undefined;
    return { ...stored.entry, value: chunksToStream(stored.chunks) };
  },

  async set(cacheKey, pendingEntry) {
    logEvent('default', 'set');
    const entry = await pendingEntry;
    const chunks = await streamToChunks(entry.value);
    entries.set(cacheKey, { entry, chunks });
  },

  // 15.3+ (V2) and 16.x
  async refreshTags() {
    logEvent('default', 'refreshTags');
  },
  async getExpiration() {
    logEvent('default', 'getExpiration');
    return 0;
  },
  // 16.x
  async updateTags() {
    logEvent('default', 'updateTags');
  },
  // 15.x
  async expireTags() {
    logEvent('default', 'expireTags');
  },
  async receiveExpiredTags() {
    logEvent('default', 'receiveExpiredTags');
  },
};

// GRAFT_USE_CACHE_SHAPE=v1|v2|v3 (set on the server by the matrix's interface case) keeps only
// the methods of one interface: 15.0–15.2 (v1), 15.3–15.5 (v2), 16.x (v3).
const SHAPES = {
  v1: ['get', 'set', 'expireTags', 'receiveExpiredTags'],
  v2: ['get', 'set', 'refreshTags', 'getExpiration', 'expireTags'],
  v3: ['get', 'set', 'refreshTags', 'getExpiration', 'updateTags'],
};
const shape = SHAPES[process.env.GRAFT_USE_CACHE_SHAPE];
if (shape) {
  for (const method of Object.keys(handler)) {
    if (!shape.includes(method)) delete handler[method];
  }
}

export default handler;
