// Unit tests of the launcher's platform detection (npm/next-graft/bin/next-graft.js), with the
// machine faked: platform, arch, and the glibc/musl evidence (Node's diagnostic report, the text
// of /usr/bin/ldd). Run with `node --test npm/__test__/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const launcher = require('../next-graft/bin/next-graft.js');
const table = JSON.parse(readFileSync(fileURLToPath(new URL('../platforms.json', import.meta.url)), 'utf8'));

const { PLATFORMS, detectLibc, platformKey, packageFor } = launcher;

test('requiring the launcher runs nothing and exports the pure functions', () => {
  assert.equal(typeof detectLibc, 'function');
  assert.equal(typeof platformKey, 'function');
  assert.equal(typeof packageFor, 'function');
  assert.ok(Array.isArray(PLATFORMS));
});

test('the launcher table equals npm/platforms.json (without the Rust target)', () => {
  assert.deepEqual(
    PLATFORMS,
    table.map(({ triple, ...row }) => row)
  );
  assert.equal(table.length, 8);
  for (const row of table) {
    assert.deepEqual(Object.keys(row), ['name', 'triple', 'os', 'cpu', 'libc', 'exe'], row.name);
  }
});

// Every row of the table: the machine npm would install it on finds exactly that package.
for (const row of table) {
  test(`${row.name}: ${row.os} ${row.cpu}${row.libc ? ` ${row.libc}` : ''} -> @next-graft/${row.name}`, () => {
    const machine = { platform: row.os, arch: row.cpu, libc: row.os === 'linux' ? row.libc : null };
    assert.equal(platformKey(machine), row.name);
    assert.deepEqual(packageFor(machine), {
      key: row.name,
      name: row.name,
      package: `@next-graft/${row.name}`,
      exe: row.exe,
    });
    assert.equal(row.exe, row.os === 'win32' ? 'next-graft.exe' : 'next-graft');
  });
}

test('the expected eight keys', () => {
  assert.deepEqual(
    table.map((r) => r.name),
    [
      'linux-x64-gnu',
      'linux-x64-musl',
      'linux-arm64-gnu',
      'linux-arm64-musl',
      'darwin-x64',
      'darwin-arm64',
      'win32-x64',
      'win32-arm64',
    ]
  );
});

const unsupported = [
  [{ platform: 'linux', arch: 'ia32', libc: 'glibc' }, 'linux-ia32-gnu'],
  [{ platform: 'linux', arch: 'arm', libc: 'glibc' }, 'linux-arm-gnu'],
  [{ platform: 'linux', arch: 's390x', libc: 'musl' }, 'linux-s390x-musl'],
  [{ platform: 'linux', arch: 'riscv64', libc: 'glibc' }, 'linux-riscv64-gnu'],
  [{ platform: 'freebsd', arch: 'x64', libc: null }, 'freebsd-x64'],
  [{ platform: 'openbsd', arch: 'arm64', libc: null }, 'openbsd-arm64'],
  [{ platform: 'win32', arch: 'ia32', libc: null }, 'win32-ia32'],
  [{ platform: 'android', arch: 'arm64', libc: null }, 'android-arm64'],
  [{ platform: 'sunos', arch: 'x64', libc: null }, 'sunos-x64'],
];
for (const [machine, key] of unsupported) {
  test(`unsupported: ${key} has no package`, () => {
    assert.equal(packageFor(machine), null);
    assert.equal(platformKey(machine), key);
  });
}

test('darwin and win32 ignore the libc', () => {
  for (const libc of [null, undefined, 'glibc', 'musl']) {
    assert.equal(packageFor({ platform: 'darwin', arch: 'arm64', libc }).name, 'darwin-arm64');
    assert.equal(packageFor({ platform: 'win32', arch: 'x64', libc }).name, 'win32-x64');
    assert.equal(platformKey({ platform: 'win32', arch: 'arm64', libc }), 'win32-arm64');
  }
});

test('linux without a known libc is glibc', () => {
  assert.equal(packageFor({ platform: 'linux', arch: 'arm64' }).name, 'linux-arm64-gnu');
  assert.equal(platformKey({ platform: 'linux', arch: 'x64' }), 'linux-x64-gnu');
});

test('detectLibc: the diagnostic report decides when there is one', () => {
  assert.equal(detectLibc({ header: { glibcVersionRuntime: '2.36' } }), 'glibc');
  assert.equal(detectLibc({ header: { glibcVersionRuntime: '2.17' } }, 'musl libc (x86_64)'), 'glibc');
  assert.equal(detectLibc({ header: {} }), 'musl');
  assert.equal(detectLibc({ header: { glibcVersionCompiler: '2.28' } }), 'musl');
  // The report wins over ldd: Alpine with gcompat has no glibcVersionRuntime.
  assert.equal(detectLibc({ header: {} }, 'ldd (GNU libc) 2.36'), 'musl');
  // getReport() returned JSON text (old Node versions).
  assert.equal(detectLibc(JSON.stringify({ header: { glibcVersionRuntime: '2.31' } })), 'glibc');
  assert.equal(detectLibc(JSON.stringify({ header: {} })), 'musl');
});

test('detectLibc: without a report, the text of /usr/bin/ldd', () => {
  const alpineLdd = '#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list "$@"\n';
  const glibcLdd = '#! /bin/bash\n# ldd (GNU libc) 2.36\nRTLDLIST="/lib64/ld-linux-x86-64.so.2"\n';
  for (const report of [undefined, null, 'not json', {}]) {
    assert.equal(detectLibc(report, alpineLdd), 'musl', String(report));
    assert.equal(detectLibc(report, glibcLdd), 'glibc', String(report));
    assert.equal(detectLibc(report, undefined), 'glibc', String(report));
  }
});

test('the machine running this test is found (or is honestly unsupported)', () => {
  const libc =
    process.platform === 'linux'
      ? detectLibc(process.report.getReport(), undefined)
      : null;
  const machine = { platform: process.platform, arch: process.arch, libc };
  const found = packageFor(machine);
  const supported = table.some((r) => r.name === platformKey(machine));
  assert.equal(found !== null, supported);
});
