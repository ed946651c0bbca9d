#!/usr/bin/env node
// The `next-graft` launcher. npm installs exactly one platform package (an optional dependency
// whose `os`/`cpu`/`libc` fields match this machine), the way esbuild and @swc/core ship their
// binaries; this script finds its binary and runs it with the same arguments, stdin, stdout and
// stderr, forwards SIGINT/SIGTERM/SIGHUP to it, and exits the way it exited (same code, or the
// same signal). `NEXT_GRAFT_BINARY=/path/to/next-graft` overrides the lookup (development, tests).
// Plain CommonJS with no dependencies, for Node.js 18+.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// The platforms with a binary package, `@next-graft/<name>`: the same rows as npm/platforms.json
// (without the Rust target), which scripts/npm-pack packs; npm/__test__/launcher.test.mjs checks
// that the two agree. `os`, `cpu` and `libc` are npm's names (process.platform, process.arch,
// and the `libc` field of package.json); libc is null where there is only one.
const PLATFORMS = [
  { name: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', exe: 'next-graft' },
  { name: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl', exe: 'next-graft' },
  { name: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', exe: 'next-graft' },
  { name: 'linux-arm64-musl', os: 'linux', cpu: 'arm64', libc: 'musl', exe: 'next-graft' },
  { name: 'darwin-x64', os: 'darwin', cpu: 'x64', libc: null, exe: 'next-graft' },
  { name: 'darwin-arm64', os: 'darwin', cpu: 'arm64', libc: null, exe: 'next-graft' },
  { name: 'win32-x64', os: 'win32', cpu: 'x64', libc: null, exe: 'next-graft.exe' },
  { name: 'win32-arm64', os: 'win32', cpu: 'arm64', libc: null, exe: 'next-graft.exe' },
];

const FROM_SOURCE =
  'or build it from source (`cargo install --path .` in a next-graft checkout) and set ' +
  'NEXT_GRAFT_BINARY to the installed binary';

function fail(message) {
  process.stderr.write(`next-graft: error: ${message}\n`);
  process.exit(2);
}

// glibc or musl, the way esbuild and @swc/core tell them apart: Node's diagnostic report
// (`report`, an object or its JSON text) names the glibc it runs on in
// `header.glibcVersionRuntime`, and has no such field under musl. Without a report, the text of
// /usr/bin/ldd (`lddText`: musl's is a script or binary that names musl). Neither: glibc.
// Pure, so tests can fake both.
function detectLibc(report, lddText) {
  if (typeof report === 'string') {
    try {
      report = JSON.parse(report);
    } catch (_) {
      report = null;
    }
  }
  if (report && typeof report === 'object' && report.header) {
    return report.header.glibcVersionRuntime ? 'glibc' : 'musl';
  }
  if (typeof lddText === 'string' && lddText.includes('musl')) return 'musl';
  return 'glibc';
}

// The key naming a machine: `<platform>-<arch>`, plus `-gnu` or `-musl` on Linux (the names in
// PLATFORMS, and the name in the error for a machine that has none).
function platformKey({ platform, arch, libc }) {
  const base = `${platform}-${arch}`;
  if (platform !== 'linux') return base;
  return `${base}-${libc === 'musl' ? 'musl' : 'gnu'}`;
}

// The platform package for a machine ({ platform, arch, libc } as process.platform,
// process.arch and detectLibc() name them): { key, name, package, exe }, or null when no
// package is published for it. Pure.
function packageFor({ platform, arch, libc }) {
  const row = PLATFORMS.find(
    (p) => p.os === platform && p.cpu === arch && (p.libc === null || p.libc === (libc || 'glibc'))
  );
  if (!row) return null;
  return { key: row.name, name: row.name, package: `@next-graft/${row.name}`, exe: row.exe };
}

// This machine, as Node sees it.
function currentMachine() {
  let libc = null;
  if (process.platform === 'linux') {
    let report;
    try {
      if (process.report && typeof process.report.getReport === 'function') {
        // Skip the report's network section: it can make getReport() slow on odd DNS set-ups.
        process.report.excludeNetwork = true;
        report = process.report.getReport();
      }
    } catch (_) {
      report = undefined;
    }
    let lddText;
    if (!report) {
      try {
        lddText = fs.readFileSync('/usr/bin/ldd', 'latin1');
      } catch (_) {
        lddText = undefined;
      }
    }
    libc = detectLibc(report, lddText);
  }
  return { platform: process.platform, arch: process.arch, libc };
}

function findBinary() {
  const override = process.env.NEXT_GRAFT_BINARY;
  if (override) {
    if (!fs.existsSync(override)) {
      fail(`NEXT_GRAFT_BINARY is set to ${override}, which does not exist`);
    }
    return override;
  }
  const machine = currentMachine();
  const key = platformKey(machine);
  const found = packageFor(machine);
  if (!found) {
    fail(
      `no next-graft binary is published for this platform (${key}): ` +
        `there is no @next-graft/${key} package; ${FROM_SOURCE}`
    );
  }
  const pkg = found.package;
  let pkgDir;
  try {
    pkgDir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (_) {
    fail(
      `no next-graft binary for this platform (${key}): the package ${pkg} is not installed ` +
        `(installed with --omit=optional, or node_modules copied from another platform?); ` +
        `reinstall on this machine, ${FROM_SOURCE}`
    );
  }
  const exe = path.join(pkgDir, 'bin', found.exe);
  if (!fs.existsSync(exe)) {
    fail(`the package ${pkg} is installed but has no binary at ${exe}; reinstall it, ${FROM_SOURCE}`);
  }
  return exe;
}

function main() {
  const binary = findBinary();
  const forwarded = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let child = null;
  // Installed before the child starts, so no signal can slip between spawn and registration.
  const handlers = forwarded.map((sig) => {
    const handler = () => {
      if (child) {
        try {
          child.kill(sig);
        } catch (_) {
          // the child is already gone; its exit is handled below
        }
      }
    };
    process.on(sig, handler);
    return [sig, handler];
  });

  child = spawn(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
  child.on('error', (err) => fail(`cannot run ${binary}: ${err.message}`));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die by the same signal, so npm, shells and CI see what really happened.
      for (const [sig, handler] of handlers) process.removeListener(sig, handler);
      try {
        process.kill(process.pid, signal);
      } catch (_) {
        // fall through to the exit code below
      }
      // Signals that Node ignores (e.g. SIGPIPE) or cannot raise: the shell convention.
      setTimeout(() => process.exit(128 + (os.constants.signals[signal] || 0)), 500);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

if (require.main === module) {
  main();
} else {
  // Required (by the unit tests in npm/__test__/): the pure parts, nothing runs.
  module.exports = { PLATFORMS, detectLibc, platformKey, packageFor };
}
