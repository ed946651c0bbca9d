#!/usr/bin/env node
// Copies a trimmed, offline copy of a real `next build` output into fixtures/ for the fast
// fixture tests.
//
//   node tests/e2e/make-fixture.mjs <build root> <fixture dir> [<project dir inside root>]
//
// <build root> is the copied app template (for a monorepo, the repo; the Next project is then
// <build root>/<project>). Kept: what next-graft reads: the project's package.json and
// next.config.*, the root package.json, each handler (named by the build's
// required-server-files.json) with its closure as the build traced it (or, when the build did
// not trace it, the files beside it), node_modules/ms (real) and node_modules/next/package.json
// (the version); the manifests; the nft traces that list a handler, trimmed to the files this
// fixture keeps; and the same handler files, manifests and server.js from .next/standalone.
// Dropped: chunks, compiled pages, the rest of node_modules. Absolute build paths inside the
// manifests are kept verbatim: handling them is part of the job.
import fs from 'node:fs';
import path from 'node:path';

const [srcArg, dstArg, projectRel = ''] = process.argv.slice(2);
if (!srcArg || !dstArg) {
  console.error('usage: make-fixture.mjs <build root> <fixture dir> [<project dir inside root>]');
  process.exit(2);
}
const root = path.resolve(srcArg);
const dst = path.resolve(dstArg);
const project = path.join(root, projectRel);
const dist = path.join(project, '.next');
fs.rmSync(dst, { recursive: true, force: true });

const kept = new Set(); // absolute source paths copied into the fixture
const copyAbs = (abs) => {
  if (!fs.existsSync(abs) || kept.has(abs)) return;
  const rel = path.relative(root, abs);
  if (rel.startsWith('..')) return; // outside the build root: nothing to keep
  fs.mkdirSync(path.dirname(path.join(dst, rel)), { recursive: true });
  fs.cpSync(abs, path.join(dst, rel), { recursive: true });
  kept.add(abs);
};

const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'required-server-files.json'), 'utf8'));
const config = manifest.config;
const values = [
  config.cacheHandler,
  ...Object.values(config.cacheHandlers || {}),
  ...Object.values((config.experimental || {}).cacheHandlers || {}),
].filter((v) => typeof v === 'string' && v);
const handlers = [...new Set(values.map((v) => path.resolve(dist, v)))];
const tracingRoot = config.outputFileTracingRoot || (config.experimental || {}).outputFileTracingRoot || project;
const relativeAppDir = manifest.relativeAppDir || '';

// Project files.
copyAbs(path.join(root, 'package.json'));
copyAbs(path.join(project, 'package.json'));
for (const f of fs.readdirSync(project)) if (f.startsWith('next.config')) copyAbs(path.join(project, f));
copyAbs(path.join(project, 'node_modules/next/package.json'));
copyAbs(path.join(project, 'node_modules/ms'));

// nft traces that list a handler.
const traces = [];
const walk = (dir) => {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (!['standalone', 'cache', 'static'].includes(ent.name)) walk(p);
    } else if (ent.name.endsWith('.nft.json')) traces.push(p);
  }
};
walk(dist);
const handlerTraces = traces.filter((t) => {
  const json = JSON.parse(fs.readFileSync(t, 'utf8'));
  return json.files.some((f) => handlers.includes(path.resolve(path.dirname(t), f)));
});

// Handler closure: what the build traced outside node_modules; else the files beside each
// handler (an untraced handler, e.g. one outside the tracing root).
for (const h of handlers) {
  copyAbs(h);
  for (const f of fs.readdirSync(path.dirname(h))) {
    if (/\.(c|m)?js$|^package\.json$/.test(f)) copyAbs(path.join(path.dirname(h), f));
  }
  const lib = path.join(path.dirname(h), 'lib');
  if (fs.existsSync(lib)) copyAbs(lib);
}
for (const t of handlerTraces) {
  const json = JSON.parse(fs.readFileSync(t, 'utf8'));
  for (const f of json.files) {
    const abs = path.resolve(path.dirname(t), f);
    if (!abs.includes(`${path.sep}node_modules${path.sep}`) && !abs.startsWith(dist)) copyAbs(abs);
  }
}

// Manifests; server/server-reference-manifest.json lists the 'use cache' functions.
for (const f of [
  'required-server-files.json',
  'required-server-files.js',
  'BUILD_ID',
  'package.json',
  'server/server-reference-manifest.json',
]) {
  copyAbs(path.join(dist, f));
}

// Traces, trimmed to entries that point at files this fixture keeps (the rest would dangle).
// One route trace is representative: Turbopack repeats the handlers in all of them.
const report = [];
const routeTrace = handlerTraces.find((t) => /server\/app\/page\.js\.nft\.json$/.test(t));
for (const t of handlerTraces) {
  if (t.includes(`${path.sep}server${path.sep}`) && t !== routeTrace) continue;
  const json = JSON.parse(fs.readFileSync(t, 'utf8'));
  const idx = json.files
    .map((f, i) => [path.resolve(path.dirname(t), f), i])
    .filter(([abs]) => [...kept].some((k) => abs === k || abs.startsWith(k + path.sep)))
    .map(([, i]) => i);
  const trimmed = { ...json, files: idx.map((i) => json.files[i]) };
  // Turbopack traces carry fileHashes parallel to files: keep them aligned.
  if (Array.isArray(json.fileHashes)) trimmed.fileHashes = idx.map((i) => json.fileHashes[i]);
  const rel = path.relative(root, t);
  fs.mkdirSync(path.dirname(path.join(dst, rel)), { recursive: true });
  fs.writeFileSync(path.join(dst, rel), JSON.stringify(trimmed));
  report.push(`${rel}: ${json.files.length} -> ${trimmed.files.length} entries`);
}

// The standalone tree: the server dir's entry and manifests, every kept source file at its
// place under the tracing root, and the version marker and ms wherever node_modules are.
const sa = path.join(dist, 'standalone');
const saDst = path.join(dst, path.relative(root, sa));
const copySa = (rel) => {
  const s = path.join(sa, rel);
  if (!fs.existsSync(s)) return;
  fs.mkdirSync(path.dirname(path.join(saDst, rel)), { recursive: true });
  fs.cpSync(s, path.join(saDst, rel), { recursive: true });
};
for (const f of ['server.js', 'package.json', '.next/required-server-files.json', '.next/BUILD_ID', '.next/package.json']) {
  copySa(path.join(relativeAppDir, f));
}
for (const abs of kept) {
  const rel = path.relative(tracingRoot, abs);
  if (!rel.startsWith('..') && !abs.startsWith(dist) && !abs.includes(`${path.sep}node_modules${path.sep}`)) copySa(rel);
}
for (const nm of [path.join(relativeAppDir, 'node_modules'), 'node_modules']) {
  copySa(path.join(nm, 'next/package.json'));
  copySa(path.join(nm, 'ms'));
}
console.log(report.join('\n'));
