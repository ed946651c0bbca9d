#!/usr/bin/env node
// Copies a trimmed, offline copy of a real `next build` output into fixtures/ for the fast
// fixture tests. Usage: node tests/e2e/make-fixture.mjs <built app dir> <fixture dir>
//
// Kept: what next-graft reads (package.json, next.config.*, handler sources and their local and
// npm dependencies, the manifests, node_modules/next/package.json for the version, the
// standalone server.js with its embedded config) plus the nft traces that mention the handlers,
// trimmed to the handler closure. Dropped: chunks, compiled pages, the rest of node_modules.
// Absolute build paths inside manifests are kept verbatim: handling them is part of the job.
import fs from 'node:fs';
import path from 'node:path';

const [src, dst] = process.argv.slice(2).map((p) => path.resolve(p));
if (!src || !dst) {
  console.error('usage: make-fixture.mjs <built app dir> <fixture dir>');
  process.exit(2);
}
fs.rmSync(dst, { recursive: true, force: true });

const copy = (rel, from = src) => {
  const s = path.join(from, rel);
  if (!fs.existsSync(s)) return false;
  fs.mkdirSync(path.dirname(path.join(dst, rel)), { recursive: true });
  fs.cpSync(s, path.join(dst, rel), { recursive: true });
  return true;
};

// Handler sources: every top-level *.js/*.mjs/*.cjs except next.config, plus lib/.
const handlerFiles = fs
  .readdirSync(src)
  .filter((f) => /\.(c|m)?js$/.test(f) && !f.startsWith('next.config'));
const configFiles = fs.readdirSync(src).filter((f) => f.startsWith('next.config'));
const sourceRels = [...handlerFiles, 'lib'];

for (const rel of ['package.json', ...configFiles, ...sourceRels]) copy(rel);
copy('node_modules/next/package.json');
copy('node_modules/ms');
for (const rel of ['required-server-files.json', 'required-server-files.js', 'BUILD_ID', 'package.json']) {
  copy(path.join('.next', rel));
}

// nft traces that name a handler, trimmed to the entries that point at files the fixture keeps
// (the handler closure and the app's package.json); everything else would dangle.
const handlerNames = handlerFiles;
const traces = [];
const walk = (dir) => {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (ent.name !== 'standalone' && ent.name !== 'cache' && ent.name !== 'static') walk(p);
    } else if (ent.name.endsWith('.nft.json')) traces.push(p);
  }
};
walk(path.join(src, '.next'));
const kept = [];
for (const t of traces) {
  const json = JSON.parse(fs.readFileSync(t, 'utf8'));
  const mentions = json.files.filter((f) => handlerNames.includes(path.basename(f)));
  if (mentions.length === 0) continue;
  // One route trace is representative: Turbopack and 15.5+ repeat the handler in all of them.
  const rel = path.relative(src, t);
  if (rel.includes(`${path.sep}server${path.sep}`) && !/server\/app\/page\.js\.nft\.json$/.test(rel)) continue;
  const traceDir = path.dirname(t);
  const idx = json.files
    .map((f, i) => [f, i])
    .filter(([f]) => fs.existsSync(path.join(dst, path.relative(src, path.resolve(traceDir, f)))))
    .map(([, i]) => i);
  const trimmed = { ...json, files: idx.map((i) => json.files[i]) };
  // Turbopack traces carry fileHashes parallel to files: keep them aligned.
  if (Array.isArray(json.fileHashes)) trimmed.fileHashes = idx.map((i) => json.fileHashes[i]);
  fs.mkdirSync(path.dirname(path.join(dst, rel)), { recursive: true });
  fs.writeFileSync(path.join(dst, rel), JSON.stringify(trimmed));
  kept.push(`${rel}: ${json.files.length} -> ${trimmed.files.length} entries`);
}

// The standalone tree: server entry, manifests, handlers with their deps, version marker.
const sa = path.join(src, '.next', 'standalone');
const saDst = path.join('.next', 'standalone');
for (const rel of [
  'server.js',
  'package.json',
  '.next/required-server-files.json',
  '.next/BUILD_ID',
  '.next/package.json',
  'node_modules/next/package.json',
  'node_modules/ms',
  ...sourceRels,
]) {
  const s = path.join(sa, rel);
  if (!fs.existsSync(s)) continue;
  fs.mkdirSync(path.dirname(path.join(dst, saDst, rel)), { recursive: true });
  fs.cpSync(s, path.join(dst, saDst, rel), { recursive: true });
}
console.log(kept.join('\n'));
