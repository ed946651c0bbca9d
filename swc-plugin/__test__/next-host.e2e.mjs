// e2e in a real Next.js host: the plugin loaded by Next's own SWC binding
// (`next/dist/build/swc/index.js` transformSync, the runner `next build --webpack` uses) on every
// fixture of fixtures/fix-config, output equal to @swc/core's (normalised print).
// Needs NEXT_PACKAGE_DIR (the `next` package directory, e.g. the e2e suite's
// target/e2e-cache/next-16.4.6/node_modules/next); scripts/test runs it after the e2e suite.
// Not matched by `node --test __test__/` (the name does not end in .test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(repo, 'target');
const wasmPath = process.env.PLUGIN_WASM || join(targetDir, 'wasm32-wasip1', 'release', 'next_graft_swc_plugin.wasm');
const nextDir = process.env.NEXT_PACKAGE_DIR;
const fixtures = join(repo, 'fixtures', 'fix-config');
const require = createRequire(import.meta.url);
const swc = require('@swc/core');

const parserFor = (name) => (/\.m?ts$/.test(name) ? { syntax: 'typescript' } : { syntax: 'ecmascript' });
const options = (name, plugins) => ({
  filename: name,
  swcrc: false,
  configFile: false,
  jsc: { parser: parserFor(name), target: 'es2022', experimental: { plugins } },
});
const normal = (code, name) =>
  swc.transformSync(code, {
    filename: name,
    swcrc: false,
    configFile: false,
    minify: true,
    jsc: { parser: parserFor(name), target: 'es2022', minify: { compress: false, mangle: false } },
  }).code.replace(/^"use strict";/, ''); // Next's defaults add it to scripts

test('the plugin runs in Next.js and matches @swc/core on every fixture', async () => {
  assert.ok(nextDir, 'set NEXT_PACKAGE_DIR to a next package directory');
  const nextVersion = JSON.parse(readFileSync(join(nextDir, 'package.json'), 'utf8')).version;
  const nextSwc = require(join(nextDir, 'dist', 'build', 'swc', 'index.js'));
  if (nextSwc.loadBindings) await nextSwc.loadBindings();
  const cases = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.ok(cases.length >= 15);
  for (const c of cases) {
    const dir = join(fixtures, c);
    const input = readdirSync(dir).find((f) => f.startsWith('next.config.'));
    const version = readFileSync(join(dir, 'version'), 'utf8').trim();
    const src = readFileSync(join(dir, input), 'utf8');
    const plugins = [[wasmPath, { nextVersion: version }]];
    const inNext = nextSwc.transformSync(src, options(input, plugins)).code;
    const inSwc = swc.transformSync(src, options(input, plugins)).code;
    assert.equal(normal(inNext, input), normal(inSwc, input), `${c} in next ${nextVersion}`);
    if (!c.startsWith('nofix-')) assert.notEqual(normal(inNext, input), normal(src, input), `${c}: no edit in next`);
  }
  console.log(`plugin loaded by next ${nextVersion}'s SWC on ${cases.length} fixtures`);
});
