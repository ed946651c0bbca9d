// The npm package `@next-graft/swc-plugin` (npm/swc-plugin/, packed by scripts/npm-pack-plugin),
// installed from its tarball into a fresh project and loaded BY PACKAGE NAME in @swc/core (pinned
// in ../package.json), with the project as the working directory (SWC resolves plugin names
// from there):
//   - the installed package's `main` is the wasm, and it resolves from the project;
//   - on every fixture of fixtures/fix-config, the output by name equals the output by wasm path
//     (what plugin.test.mjs checks) and, after a normalizing print, the stored fix-config output;
//   - the same from a `.swcrc` in the project;
//   - the name resolves from the working directory only (what the README says);
//   - `{}` (no nextVersion) fails, with the plugin's message on stderr.
// PLUGIN_TARBALL: use this tarball; otherwise scripts/npm-pack-plugin packs one into a temp dir
// (with `--wasm $PLUGIN_WASM` when PLUGIN_WASM is set, else it builds the wasm as scripts/test does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync, existsSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const fixtures = join(repo, 'fixtures', 'fix-config');
const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const swcVersion = require('@swc/core/package.json').version;
const NAME = '@next-graft/swc-plugin';

const parserFor = (name) => (/\.m?ts$/.test(name) ? { syntax: 'typescript' } : { syntax: 'ecmascript' });
const options = (name, plugin, pluginOptions) => ({
  filename: name,
  swcrc: false,
  configFile: false,
  jsc: { parser: parserFor(name), target: 'es2022', experimental: { plugins: [[plugin, pluginOptions]] } },
});
// The normalizing print of plugin.test.mjs: types stripped, minified without compress or mangle.
const normal = (code, name) =>
  swc.transformSync(code, {
    filename: name,
    swcrc: false,
    configFile: false,
    minify: true,
    jsc: { parser: parserFor(name), target: 'es2022', minify: { compress: false, mangle: false } },
  }).code;

const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
function caseFiles(c) {
  const dir = join(fixtures, c);
  const input = readdirSync(dir).find((f) => f.startsWith('next.config.'));
  const version = readFileSync(join(dir, 'version'), 'utf8').trim();
  const expected = c.startsWith('nofix-') ? join(dir, input) : join(dir, `expected${extname(input)}`);
  return { dir, input, version, expected, src: readFileSync(join(dir, input), 'utf8') };
}

const cwd = process.cwd();
let work; // temp dir: the packed tarball (unless PLUGIN_TARBALL) and the project
let project;
let tarball;

before(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'ng-plugin-npm-')));
  tarball = process.env.PLUGIN_TARBALL;
  if (!tarball) {
    const args = ['--out', join(work, 'npm')];
    if (process.env.PLUGIN_WASM) args.push('--wasm', process.env.PLUGIN_WASM);
    const out = execFileSync(join(repo, 'scripts', 'npm-pack-plugin'), args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    tarball = out.trim().split('\n').pop();
  }
  assert.ok(existsSync(tarball), `no tarball at ${tarball}`);
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ng-plugin-npm-test', private: true }));
  // A local tarball with no dependencies: no registry needed (--offline makes sure).
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], {
    cwd: project,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // SWC resolves plugin names from the process's working directory.
  process.chdir(project);
});

after(() => {
  process.chdir(cwd);
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the installed package: main is the wasm, resolvable by name from the project', () => {
  const pkgDir = join(project, 'node_modules', '@next-graft', 'swc-plugin');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, NAME);
  assert.equal(pkg.main, 'next_graft_swc_plugin.wasm');
  assert.equal(pkg.preferUnplugged, true);
  assert.deepEqual(pkg.dependencies ?? {}, {});
  const cargoVersion = readFileSync(join(repo, 'swc-plugin', 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
  assert.equal(pkg.version, cargoVersion, 'the version comes from swc-plugin/Cargo.toml');
  assert.deepEqual(readdirSync(pkgDir).sort(), ['README.md', 'next_graft_swc_plugin.wasm', 'package.json']);
  // What Next does (next/dist/build/swc/options.js): require.resolve(name, { paths: [configDir] }).
  const installedWasm = createRequire(join(project, 'package.json')).resolve(NAME);
  assert.equal(installedWasm, join(pkgDir, 'next_graft_swc_plugin.wasm'));
  const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(installedWasm))).map((e) => e.name);
  assert.ok(names.includes('next_graft_built_with_swc_ast_unknown'), 'built with --cfg swc_ast_unknown');
  console.log(`${NAME}@${pkg.version}: ${tarball} (${readFileSync(tarball).length} bytes), wasm ${readFileSync(installedWasm).length} bytes, @swc/core ${swcVersion}`);
});

test('by package name, on every fixture: equal to the wasm by path and to the fix-config output', () => {
  assert.ok(cases.length >= 15);
  const wasm = createRequire(join(project, 'package.json')).resolve(NAME);
  for (const c of cases) {
    const { input, version, expected, src } = caseFiles(c);
    const byName = swc.transformSync(src, options(input, NAME, { nextVersion: version })).code;
    const byPath = swc.transformSync(src, options(input, wasm, { nextVersion: version })).code;
    assert.equal(byName, byPath, `${c}: by name vs by path`);
    assert.equal(normal(byName, input), normal(readFileSync(expected, 'utf8'), input), `${c}: vs fix-config output`);
    if (!c.startsWith('nofix-')) assert.notEqual(normal(byName, input), normal(src, input), `${c}: no edit`);
  }
});

test('esm-relative by package name: the relative handler paths become fileURLToPath(new URL(…))', () => {
  const { input, version, src } = caseFiles('esm-relative');
  const out = swc.transformSync(src, options(input, NAME, { nextVersion: version })).code;
  assert.match(out, /cacheHandler: fileURLToPath\(new URL\(["']\.\/cache-handler\.mjs["'], import\.meta\.url\)\)/);
  assert.match(out, /default: fileURLToPath\(new URL\(["']\.\/handlers\/use-cache\.mjs["'], import\.meta\.url\)\)/);
  assert.match(out, /import \{ fileURLToPath \} from ["']node:url["']/);
});

test('from a .swcrc in the project, by package name', () => {
  const { input, version, src } = caseFiles('cjs-relative');
  writeFileSync(
    join(project, '.swcrc'),
    JSON.stringify({
      jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022', experimental: { plugins: [[NAME, { nextVersion: version }]] } },
    }),
  );
  // SWC reads a .swcrc only for a file that exists on disk.
  const file = join(project, input);
  writeFileSync(file, src);
  try {
    const out = swc.transformFileSync(file).code;
    assert.match(out, /cacheHandler: require\.resolve\(["']\.\/cache-handler\.js["']\)/);
    assert.match(out, /\? require\.resolve\(["']\.\/handlers\/redis\.js["']\)/);
  } finally {
    rmSync(join(project, '.swcrc'));
    rmSync(file);
  }
});

// A transform in a child process (SWC caches resolved plugin paths per process; a panic message
// of the plugin goes to stderr).
function transformInChild(cwd, filename, opts) {
  const script = `require(${JSON.stringify(require.resolve('@swc/core'))}).transformSync(${JSON.stringify(
    "module.exports = { cacheHandler: './h.js' };",
  )}, ${JSON.stringify({ ...options(filename, NAME, opts), cwd: project })})`;
  return spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
}

test('SWC resolves the name from the working directory (not from the cwd option or the filename)', () => {
  const elsewhere = transformInChild(work, join(project, 'next.config.js'), { nextVersion: '16.4.6' });
  assert.notEqual(elsewhere.status, 0);
  assert.match(elsewhere.stderr, /failed to resolve plugin path: @next-graft\/swc-plugin/);
  const inProject = transformInChild(project, join(project, 'next.config.js'), { nextVersion: '16.4.6' });
  assert.equal(inProject.status, 0, inProject.stderr);
});

test('no nextVersion ({}) fails the transform; the plugin says why on stderr', () => {
  // The thrown error is SWC's generic "failed to invoke plugin"; the plugin's panic message is
  // only on stderr.
  const child = transformInChild(project, 'next.config.js', {});
  assert.notEqual(child.status, 0, 'the transform must fail');
  assert.match(child.stderr, /failed to invoke plugin/);
  assert.match(child.stderr, /next-graft-swc-plugin: invalid options \{\}: missing field `nextVersion`/);
});
