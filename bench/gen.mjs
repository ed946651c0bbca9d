// Generates the benchmark workloads (see docs/performance.md): a synthetic `next build` output
// (the shapes of fixtures/next-16.4.6-v16-4, a real Next 16.4.6 build) whose standalone tree
// lacks the cache handler and its closure, as if output tracing had dropped them.
//
//   node bench/gen.mjs <work dir> <app node_modules> <fixture dir>
//
// For each workload it writes into <work dir>/<name>/:
//   root/              the repository (tracing root); the project is root/<relativeAppDir>
//   pristine-next/     a copy of the project's .next as built (restored before each timed run)
//   workload.json      paths the harness needs: project, dist, standalone, handler, pristine
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const [workDir, appModules, fixtureDir] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!workDir || !appModules || !fixtureDir) {
  console.error('usage: node bench/gen.mjs <work dir> <app node_modules> <fixture dir>');
  process.exit(2);
}

const NEXT_VERSION = '16.4.6';
const UNRELATED_FILES = 100_000;

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

// ---- the handlers and their local modules -------------------------------------------------

const KEYS_JS = `// Local module 1: cache keys.
const crypto = require('node:crypto');
const PREFIX = process.env.CACHE_PREFIX || 'next:';
function cacheKey(key) {
  return PREFIX + crypto.createHash('sha1').update(String(key)).digest('hex');
}
function tagKey(tag) {
  return PREFIX + 'tag:' + tag;
}
module.exports = { cacheKey, tagKey };
`;

const SERIALIZE_JS = `// Local module 2: (de)serialization of cache entries.
function serialize(entry) {
  return JSON.stringify(entry, (k, v) => (Buffer.isBuffer(v) ? { __b: v.toString('base64') } : v));
}
function deserialize(text) {
  if (text == null) return null;
  return JSON.parse(text, (k, v) => (v && typeof v === 'object' && '__b' in v ? Buffer.from(v.__b, 'base64') : v));
}
module.exports = { serialize, deserialize };
`;

// A realistic ISR handler: Redis behind an in-process LRU. Nothing connects at load time.
const REALISTIC_HANDLER = `// ISR cache handler: node-redis 5 behind an in-process LRU.
const { createClient } = require('redis');
const { LRUCache } = require('lru-cache');
const { cacheKey, tagKey } = require('./lib/keys.js');
const { serialize, deserialize } = require('./lib/serialize.js');

const memory = new LRUCache({ max: 1000 });
let client;
async function redis() {
  if (!client) {
    client = createClient({ url: process.env.REDIS_URL });
    await client.connect();
  }
  return client;
}

class CacheHandler {
  constructor(ctx) {
    this.ctx = ctx;
  }
  async get(key) {
    const k = cacheKey(key);
    const hit = memory.get(k);
    if (hit) return hit;
    const entry = deserialize(await (await redis()).get(k));
    if (entry) memory.set(k, entry);
    return entry;
  }
  async set(key, data, ctx) {
    const k = cacheKey(key);
    const entry = { value: data, lastModified: Date.now(), tags: (ctx && ctx.tags) || [] };
    memory.set(k, entry);
    const r = await redis();
    await r.set(k, serialize(entry));
    for (const tag of entry.tags) await r.sAdd(tagKey(tag), k);
  }
  async revalidateTag(tags) {
    const r = await redis();
    for (const tag of [].concat(tags)) {
      const keys = await r.sMembers(tagKey(tag));
      for (const k of keys) memory.delete(k);
      if (keys.length) await r.del(keys);
    }
  }
  resetRequestCache() {}
}

module.exports = CacheHandler;
`;

// A heavy handler: S3 for bodies, ioredis for tags, OpenTelemetry (SDK + auto-instrumentations).
const LARGE_HANDLER = `// ISR cache handler: bodies in S3, tags in Redis (ioredis), traced with OpenTelemetry.
const { S3Client, GetObjectCommand, PutObjectCommand, DeleteObjectsCommand } = require('@aws-sdk/client-s3');
const Redis = require('ioredis');
const { trace } = require('@opentelemetry/api');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { LRUCache } = require('lru-cache');
const { cacheKey, tagKey } = require('./lib/keys.js');
const { serialize, deserialize } = require('./lib/serialize.js');

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT && !globalThis.__cacheOtel) {
  globalThis.__cacheOtel = new NodeSDK({ instrumentations: [getNodeAutoInstrumentations()] });
  globalThis.__cacheOtel.start();
}
const tracer = trace.getTracer('cache-handler');
const memory = new LRUCache({ max: 1000 });
const Bucket = process.env.CACHE_BUCKET || 'next-cache';
let s3;
let redis;
function clients() {
  if (!s3) s3 = new S3Client({});
  if (!redis) redis = new Redis(process.env.REDIS_URL, { lazyConnect: true });
  return { s3, redis };
}

class CacheHandler {
  constructor(ctx) {
    this.ctx = ctx;
  }
  async get(key) {
    return tracer.startActiveSpan('cache.get', async (span) => {
      try {
        const Key = cacheKey(key);
        const hit = memory.get(Key);
        if (hit) return hit;
        const out = await clients().s3.send(new GetObjectCommand({ Bucket, Key })).catch(() => null);
        const entry = out ? deserialize(await out.Body.transformToString()) : null;
        if (entry) memory.set(Key, entry);
        return entry;
      } finally {
        span.end();
      }
    });
  }
  async set(key, data, ctx) {
    const Key = cacheKey(key);
    const entry = { value: data, lastModified: Date.now(), tags: (ctx && ctx.tags) || [] };
    memory.set(Key, entry);
    await clients().s3.send(new PutObjectCommand({ Bucket, Key, Body: serialize(entry) }));
    for (const tag of entry.tags) await clients().redis.sadd(tagKey(tag), Key);
  }
  async revalidateTag(tags) {
    for (const tag of [].concat(tags)) {
      const keys = await clients().redis.smembers(tagKey(tag));
      for (const k of keys) memory.delete(k);
      if (keys.length) {
        await clients().s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
      }
    }
  }
  resetRequestCache() {}
}

module.exports = CacheHandler;
`;

// ---- the build output ---------------------------------------------------------------------

const fixtureManifest = JSON.parse(fs.readFileSync(path.join(fixtureDir, '.next/required-server-files.json'), 'utf8'));
const fixtureServerJs = fs.readFileSync(path.join(fixtureDir, '.next/standalone/server.js'), 'utf8');

function manifestFor(root, relativeAppDir) {
  const m = structuredClone(fixtureManifest);
  const appDir = path.join(root, relativeAppDir);
  m.config.cacheHandler = '../cache-handler.js';
  delete m.config.cacheHandlers; // one handler: the ISR cacheHandler
  m.config.cacheComponents = false;
  m.config.outputFileTracingRoot = root;
  if (m.config.turbopack && 'root' in m.config.turbopack) m.config.turbopack.root = root;
  m.appDir = appDir;
  m.relativeAppDir = relativeAppDir;
  return m;
}

// server.js with its `const nextConfig = {…}` literal replaced by this build's config.
function serverJsFor(config) {
  const start = fixtureServerJs.indexOf('const nextConfig = ');
  const end = fixtureServerJs.indexOf('\n', start);
  if (start < 0 || end < 0) throw new Error('fixture server.js has no nextConfig line');
  const standaloneConfig = { ...config, distDir: './.next' };
  return (
    fixtureServerJs.slice(0, start) +
    'const nextConfig = ' +
    JSON.stringify(standaloneConfig) +
    fixtureServerJs.slice(end)
  );
}

function nextBuild(root, relativeAppDir) {
  const project = path.join(root, relativeAppDir);
  const dist = path.join(project, '.next');
  const m = manifestFor(root, relativeAppDir);
  const manifestText = JSON.stringify(m, null, 2);
  write(path.join(dist, 'required-server-files.json'), manifestText);
  write(path.join(dist, 'required-server-files.js'), 'self.__SERVER_FILES_MANIFEST=' + manifestText);
  write(path.join(dist, 'BUILD_ID'), 'benchBuild0001');
  write(path.join(dist, 'package.json'), '{"type": "commonjs"}');
  const standalone = path.join(dist, 'standalone');
  const serverDir = path.join(standalone, relativeAppDir);
  // The standalone copy of the manifest records the same config (Next writes it as built).
  write(path.join(serverDir, '.next/required-server-files.json'), manifestText);
  write(path.join(serverDir, '.next/BUILD_ID'), 'benchBuild0001');
  write(path.join(serverDir, '.next/package.json'), '{"type": "commonjs"}');
  write(path.join(serverDir, 'server.js'), serverJsFor(m.config));
  write(path.join(serverDir, 'package.json'), fs.readFileSync(path.join(project, 'package.json')));
  write(
    path.join(standalone, 'node_modules/next/package.json'),
    JSON.stringify({ name: 'next', version: NEXT_VERSION, main: './dist/server/next.js' }, null, 2),
  );
  return { project, dist, standalone, serverDir };
}

function project(root, relativeAppDir, handlerText) {
  const dir = path.join(root, relativeAppDir);
  write(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-app', private: true, scripts: { build: 'next build' } }, null, 2),
  );
  write(
    path.join(dir, 'next.config.js'),
    "module.exports = { output: 'standalone', cacheHandler: require.resolve('./cache-handler.js'), cacheMaxMemorySize: 0 };\n",
  );
  write(path.join(dir, 'cache-handler.js'), handlerText);
  write(path.join(dir, 'lib/keys.js'), KEYS_JS);
  write(path.join(dir, 'lib/serialize.js'), SERIALIZE_JS);
}

function installModules(root) {
  fs.mkdirSync(root, { recursive: true });
  // Hard links: the same bytes without copying 22,000 files three times (nothing writes to them).
  execFileSync('cp', ['-al', appModules, path.join(root, 'node_modules')]);
  // `next` itself: only its package.json (the version is all next-graft reads of it).
  write(
    path.join(root, 'node_modules/next/package.json'),
    JSON.stringify({ name: 'next', version: NEXT_VERSION, main: './dist/server/next.js' }, null, 2),
  );
}

// ---- 100,000 unrelated files --------------------------------------------------------------

// Half in the project (app source: components, pages, assets), half in node_modules (packages).
function unrelated(root, projectDir, count) {
  const inProject = Math.floor(count / 2);
  const inModules = count - inProject;
  let n = 0;
  const perDir = 100;
  for (let i = 0; n < inProject; i++) {
    const dir = path.join(projectDir, 'src/generated', `feature-${String(i).padStart(4, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let j = 0; j < perDir && n < inProject; j++, n++) {
      const name = j % 10 === 9 ? `asset-${j}.json` : `component-${j}.js`;
      fs.writeFileSync(
        path.join(dir, name),
        name.endsWith('.json')
          ? JSON.stringify({ id: n, title: `item ${n}` })
          : `const dep = require('./component-${(j + 1) % 9}.js');\nmodule.exports = function C${n}() { return 'c${n}' + typeof dep; };\n`,
      );
    }
  }
  n = 0;
  for (let i = 0; n < inModules; i++) {
    const pkg = path.join(root, 'node_modules/@generated', `pkg-${String(i).padStart(4, '0')}`);
    fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: `@generated/pkg-${i}`, version: '1.0.0', main: 'lib/index.js' }));
    n++;
    for (let j = 0; j < perDir - 1 && n < inModules; j++, n++) {
      fs.writeFileSync(
        path.join(pkg, 'lib', j === 0 ? 'index.js' : `m${j}.js`),
        `exports.v${j} = ${j};\nexports.next = () => require('./m${(j % 97) + 1}.js');\n`,
      );
    }
  }
}

// ---- the workloads ------------------------------------------------------------------------

function workload(name, { handler, relativeAppDir = '', bigRepo = false }) {
  const base = path.join(workDir, name);
  fs.rmSync(base, { recursive: true, force: true });
  const root = path.join(base, 'root');
  installModules(root);
  if (relativeAppDir) {
    write(
      path.join(root, 'package.json'),
      JSON.stringify({ name: 'bench-monorepo', private: true, workspaces: ['apps/*', 'packages/*'] }, null, 2),
    );
  }
  project(root, relativeAppDir, handler);
  const build = nextBuild(root, relativeAppDir);
  if (bigRepo) unrelated(root, build.project, UNRELATED_FILES);
  const pristine = path.join(base, 'pristine-next');
  execFileSync('cp', ['-a', build.dist, pristine]);
  const info = {
    name,
    root,
    project: build.project,
    dist: build.dist,
    standalone: build.standalone,
    serverDir: build.serverDir,
    handler: path.join(build.project, 'cache-handler.js'),
    // The build output as `next build` left it (standalone without the closure); bench/run
    // restores it before every timed run.
    pristine,
  };
  write(path.join(base, 'workload.json'), JSON.stringify(info, null, 2) + '\n');
  return info;
}

const started = Date.now();
workload('realistic', { handler: REALISTIC_HANDLER });
workload('large', { handler: LARGE_HANDLER });
workload('bigrepo', { handler: REALISTIC_HANDLER, relativeAppDir: 'apps/web', bigRepo: true });
console.error(`bench: workloads generated in ${((Date.now() - started) / 1000).toFixed(1)}s`);
