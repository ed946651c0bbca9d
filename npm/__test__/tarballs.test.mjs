// The packed tarballs, installed the way npm users get them: `scripts/npm-pack` packs the
// launcher and all eight platform packages (with tiny fake binaries: the packaging is what is
// under test here), then, for each platform of npm/platforms.json, `npm install --os --cpu
// --libc` of the launcher tarball into a fresh project must install exactly that platform's
// package (from the launcher's own optionalDependencies, pointed at the local tarballs with
// `overrides`, offline). Run with `node --test npm/__test__/` (about 20 s; needs npm 11 for
// --os/--cpu/--libc).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const table = require('../platforms.json');
const launcher = require('../next-graft/bin/next-graft.js');

const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
const skip =
  Number(npmVersion.split('.')[0]) < 11
    ? `npm ${npmVersion} has no --os/--cpu/--libc (npm 11 has)`
    : false;

let tmp;
let version;
let tarballs; // name -> path; 'next-graft' is the launcher

before(() => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'next-graft-tarballs-'));
  // One fake binary per platform: a script that names its platform.
  const bins = path.join(tmp, 'bins');
  fs.mkdirSync(bins);
  const tsv = table
    .map((r) => {
      const file = path.join(bins, r.name);
      fs.writeFileSync(file, `#!/bin/sh\necho "fake ${r.name} $*"\n`, { mode: 0o755 });
      return `${r.name}\t${file}\n`;
    })
    .join('');
  fs.writeFileSync(path.join(tmp, 'binaries.tsv'), tsv);
  const out = execFileSync(
    path.join(repo, 'scripts/npm-pack'),
    [
      '--out',
      path.join(tmp, 'packs'),
      '--binaries',
      path.join(tmp, 'binaries.tsv'),
      ...table.flatMap((r) => ['--platform', r.name]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1 + table.length, `one tarball per package: ${out}`);
  version = JSON.parse(
    execFileSync('tar', ['-xzOf', lines[0], 'package/package.json'], { encoding: 'utf8' })
  ).version;
  tarballs = { 'next-graft': lines[0] };
  table.forEach((r, i) => {
    assert.equal(path.basename(lines[i + 1]), `next-graft-${r.name}-${version}.tgz`);
    tarballs[r.name] = lines[i + 1];
  });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function readPackageJson(tgz) {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

test('the launcher lists every platform package as an optional dependency', { skip }, () => {
  const pkg = readPackageJson(tarballs['next-graft']);
  assert.deepEqual(
    pkg.optionalDependencies,
    Object.fromEntries(table.map((r) => [`@next-graft/${r.name}`, version]))
  );
  assert.deepEqual(pkg.bin, { 'next-graft': 'bin/next-graft.js' });
});

test('each platform package: os, cpu, libc and its one binary, from npm/platforms.json', { skip }, () => {
  for (const r of table) {
    const pkg = readPackageJson(tarballs[r.name]);
    assert.equal(pkg.name, `@next-graft/${r.name}`);
    assert.equal(pkg.version, version);
    assert.deepEqual(pkg.os, [r.os], r.name);
    assert.deepEqual(pkg.cpu, [r.cpu], r.name);
    assert.deepEqual(pkg.libc, r.libc ? [r.libc] : undefined, r.name);
    const files = execFileSync('tar', ['-tzf', tarballs[r.name]], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    assert.deepEqual(files, ['package/bin/' + r.exe, 'package/package.json'], r.name);
  }
});

// A fresh project depending on the launcher tarball; the launcher's optional dependencies
// resolve to the local platform tarballs through `overrides`. Returns the installed
// @next-graft/* package names.
function install(flags, label) {
  const project = path.join(tmp, `project-${label}`);
  fs.mkdirSync(project);
  const overrides = Object.fromEntries(table.map((r) => [`@next-graft/${r.name}`, `file:${tarballs[r.name]}`]));
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'project',
      version: '1.0.0',
      private: true,
      dependencies: { 'next-graft': `file:${tarballs['next-graft']}` },
      overrides,
    })
  );
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--cache',
      path.join(tmp, 'npm-cache'),
      ...flags,
    ],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/' } }
  );
  assert.ok(fs.existsSync(path.join(project, 'node_modules/next-graft/bin/next-graft.js')), label);
  const scope = path.join(project, 'node_modules/@next-graft');
  const installed = fs.existsSync(scope) ? fs.readdirSync(scope).sort() : [];
  return { project, installed };
}

for (const r of table) {
  const flags = [`--os=${r.os}`, `--cpu=${r.cpu}`, ...(r.libc ? [`--libc=${r.libc}`] : [])];
  test(`npm install ${flags.join(' ')} installs exactly @next-graft/${r.name}`, { skip }, () => {
    const { project, installed } = install(flags, r.name);
    assert.deepEqual(installed, [r.name]);
    const exe = path.join(project, 'node_modules/@next-graft', r.name, 'bin', r.exe);
    assert.ok(fs.statSync(exe).mode & 0o100, `${exe} is executable`);

    // On the machine this row is for, the installed launcher finds and runs that binary.
    const libc = process.platform === 'linux' ? launcher.detectLibc(process.report.getReport()) : null;
    const here = launcher.packageFor({ platform: process.platform, arch: process.arch, libc });
    if (here && here.name === r.name && process.platform !== 'win32') {
      const env = { ...process.env };
      delete env.NEXT_GRAFT_BINARY;
      const out = execFileSync(path.join(project, 'node_modules/.bin/next-graft'), ['check', 'a b'], {
        cwd: project,
        encoding: 'utf8',
        env,
      });
      assert.equal(out, `fake ${r.name} check a b\n`);
    }
  });
}

for (const [flags, label] of [
  [['--os=linux', '--cpu=ia32', '--libc=glibc'], 'linux-ia32'],
  [['--os=freebsd', '--cpu=x64'], 'freebsd-x64'],
]) {
  test(`npm install ${flags.join(' ')} installs no platform package (unsupported)`, { skip }, () => {
    const { installed } = install(flags, label);
    assert.deepEqual(installed, []);
  });
}
