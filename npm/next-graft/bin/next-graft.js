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

// `<platform>-<arch>[-<libc>]` -> package. Keep in sync with PLATFORMS in scripts/npm-pack.
const PLATFORMS = {
  'linux-x64-gnu': '@next-graft/linux-x64-gnu',
  'linux-arm64-gnu': '@next-graft/linux-arm64-gnu',
  'linux-x64-musl': '@next-graft/linux-x64-musl',
  'darwin-x64': '@next-graft/darwin-x64',
  'darwin-arm64': '@next-graft/darwin-arm64',
  'win32-x64': '@next-graft/win32-x64-msvc',
};

const FROM_SOURCE =
  'or build it from source (`cargo install --path .` in a next-graft checkout) and set ' +
  'NEXT_GRAFT_BINARY to the installed binary';

function fail(message) {
  process.stderr.write(`next-graft: error: ${message}\n`);
  process.exit(2);
}

// glibc or musl, the way esbuild and @swc/core tell them apart: Node's diagnostic report names
// the glibc it runs on, and has no such field under musl.
function linuxLibc() {
  try {
    if (process.report && typeof process.report.getReport === 'function') {
      // Skip the report's network section: it can make getReport() slow on odd DNS set-ups.
      process.report.excludeNetwork = true;
      let report = process.report.getReport();
      if (typeof report === 'string') report = JSON.parse(report);
      return report && report.header && report.header.glibcVersionRuntime ? 'gnu' : 'musl';
    }
  } catch (_) {
    // fall through
  }
  try {
    if (fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return 'musl';
  } catch (_) {
    // fall through
  }
  return 'gnu';
}

function platformKey() {
  const base = `${process.platform}-${process.arch}`;
  return process.platform === 'linux' ? `${base}-${linuxLibc()}` : base;
}

function findBinary() {
  const override = process.env.NEXT_GRAFT_BINARY;
  if (override) {
    if (!fs.existsSync(override)) {
      fail(`NEXT_GRAFT_BINARY is set to ${override}, which does not exist`);
    }
    return override;
  }
  const key = platformKey();
  const pkg = PLATFORMS[key];
  if (!pkg) {
    fail(
      `no next-graft binary is published for this platform (${key}): ` +
        `there is no @next-graft/${key} package; ${FROM_SOURCE}`
    );
  }
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
  const exe = path.join(pkgDir, 'bin', process.platform === 'win32' ? 'next-graft.exe' : 'next-graft');
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

main();
