// e2e: the wasm plugin loaded by @swc/core (pinned in ../package.json) through
// transformSync + jsc.experimental.plugins, on every fixture of fixtures/fix-config:
//   1. the plugin's output equals the stored fix-config output (expected.*), and
//   2. equals what the next-graft CLI writes on a copy of the input (`fix-config --write`),
// both compared after a normalising print by SWC (minified without compression or mangling:
// comments, whitespace and quote style drop out).
// PLUGIN_WASM: the .wasm (default: target/wasm32-wasip1/release/next_graft_swc_plugin.wasm);
// NEXT_GRAFT_BIN: the CLI (default: target/debug/next-graft).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(repo, 'target');
const wasmPath = process.env.PLUGIN_WASM || join(targetDir, 'wasm32-wasip1', 'release', 'next_graft_swc_plugin.wasm');
const cliPath = process.env.NEXT_GRAFT_BIN || join(targetDir, 'debug', 'next-graft');
const fixtures = join(repo, 'fixtures', 'fix-config');
const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const swcVersion = require('@swc/core/package.json').version;

function parserFor(name) {
  return /\.m?ts$/.test(name) ? { syntax: 'typescript' } : { syntax: 'ecmascript' };
}

function withPlugin(code, name, options) {
  return swc.transformSync(code, {
    filename: name,
    swcrc: false,
    configFile: false,
    jsc: {
      parser: parserFor(name),
      target: 'es2022',
      experimental: { plugins: [[wasmPath, options]] },
    },
  }).code;
}

// The normalising print: SWC strips types (TS), then minifies without compressing or mangling.
function normal(code, name) {
  return swc.transformSync(code, {
    filename: name,
    swcrc: false,
    configFile: false,
    minify: true,
    jsc: {
      parser: parserFor(name),
      target: 'es2022',
      minify: { compress: false, mangle: false },
    },
  }).code;
}

const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function caseFiles(c) {
  const dir = join(fixtures, c);
  const input = readdirSync(dir).find((f) => f.startsWith('next.config.'));
  const version = readFileSync(join(dir, 'version'), 'utf8').trim();
  const ext = extname(input);
  const expected = c.startsWith('nofix-') ? join(dir, input) : join(dir, `expected${ext}`);
  return { dir, input, version, expected };
}

test('the wasm exists and was built with --cfg swc_ast_unknown', () => {
  assert.ok(existsSync(wasmPath), `${wasmPath}: build it (scripts/test)`);
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  const names = WebAssembly.Module.exports(mod).map((e) => e.name);
  assert.ok(names.includes('next_graft_built_with_swc_ast_unknown'), `exports: ${names.join(', ')}`);
  assert.ok(names.includes('__transform_plugin_process_impl'), 'the plugin entry point');
  console.log(`plugin ${wasmPath} (${readFileSync(wasmPath).length} bytes) in @swc/core ${swcVersion}`);
});

test('there are fixtures', () => assert.ok(cases.length >= 15));

for (const c of cases) {
  test(`${c}: plugin output equals fix-config output`, () => {
    const { dir, input, version, expected } = caseFiles(c);
    const got = withPlugin(readFileSync(join(dir, input), 'utf8'), input, { nextVersion: version });
    assert.equal(normal(got, input), normal(readFileSync(expected, 'utf8'), input));
  });

  test(`${c}: plugin output equals what the CLI writes`, () => {
    const { dir, input, version } = caseFiles(c);
    assert.ok(existsSync(cliPath), `${cliPath}: cargo build first`);
    const tmp = mkdtempSync(join(tmpdir(), 'ng-fix-'));
    try {
      const file = join(tmp, input);
      copyFileSync(join(dir, input), file);
      execFileSync(cliPath, ['fix-config', '--write', '--next-version', version, '--project', tmp, '--file', file]);
      const cli = readFileSync(file, 'utf8');
      const plugin = withPlugin(readFileSync(join(dir, input), 'utf8'), input, { nextVersion: version });
      assert.equal(normal(plugin, input), normal(cli, input));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('moduleKind option overrides the file name', () => {
  const out = withPlugin("export default { cacheHandler: './h.js' };", 'config.js', {
    nextVersion: '16.4.6',
    moduleKind: 'cjs',
  });
  assert.match(out, /require\.resolve\(["']\.\/h\.js["']\)/);
  const esm = withPlugin("export default { cacheHandler: './h.js' };", 'next.config.mjs', { nextVersion: '16.4.6' });
  assert.match(esm, /fileURLToPath\(new URL\(["']\.\/h\.js["'], import\.meta\.url\)\)/);
  assert.match(esm, /import \{ fileURLToPath \} from ["']node:url["']/);
});

test('a bad nextVersion fails the transform', () => {
  assert.throws(() => withPlugin('module.exports = {};', 'next.config.js', { nextVersion: 'sixteen' }));
});
