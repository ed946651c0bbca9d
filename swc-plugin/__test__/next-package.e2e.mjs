// e2e: the npm package `@next-graft/swc-plugin` in a real Next.js build. A fresh app installs the
// packed tarball and names the plugin in next.config the way users will:
//   experimental: { swcPlugins: [['@next-graft/swc-plugin', { nextVersion }]] }
// Next resolves that name with require.resolve(name, { paths: [<app dir>] })
// (next/dist/build/swc/options.js) and runs it on every module it compiles. `next build --webpack`
// then compiles app/handler-config.js, a module shaped like a next.config with keys the plugin
// moves for Next 16 (experimental.incrementalCacheHandlerPath → cacheHandler,
// experimental.cacheHandlers → cacheHandlers); the page prints that object, and the prerendered
// HTML must show the moved keys. (Next never runs swcPlugins on next.config itself: it loads the
// config before it reads swcPlugins.)
// Needs NEXT_PACKAGE_DIR: a `next` package directory whose node_modules also has react and
// react-dom (the e2e suite's target/e2e-cache/next-16.4.6/node_modules/next); the app links them.
// PLUGIN_TARBALL: use this tarball; otherwise scripts/npm-pack-plugin packs one into a temp dir
// (with `--wasm $PLUGIN_WASM` when set). Not matched by `node --test __test__/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync, realpathSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const NAME = '@next-graft/swc-plugin';

const HANDLER_CONFIG = `// Shaped like a next.config: the plugin normalizes it for the Next version it is given.
const config = {
  output: 'standalone',
  experimental: {
    incrementalCacheHandlerPath: '/srv/cache-handler.js',
    cacheHandlers: { default: '/srv/use-cache-handler.js' },
  },
};

export default config;
`;

test('next build --webpack runs @next-graft/swc-plugin given by package name in experimental.swcPlugins', () => {
  const nextDir = process.env.NEXT_PACKAGE_DIR;
  assert.ok(nextDir, 'set NEXT_PACKAGE_DIR to a next package directory');
  const nextReal = realpathSync(nextDir);
  const nextVersion = JSON.parse(readFileSync(join(nextReal, 'package.json'), 'utf8')).version;
  const modules = dirname(nextReal);
  for (const dep of ['react', 'react-dom']) {
    assert.ok(existsSync(join(modules, dep, 'package.json')), `${dep} next to ${nextReal}`);
  }

  const work = realpathSync(mkdtempSync(join(tmpdir(), 'ng-plugin-next-')));
  try {
    let tarball = process.env.PLUGIN_TARBALL;
    if (!tarball) {
      const args = ['--out', join(work, 'npm')];
      if (process.env.PLUGIN_WASM) args.push('--wasm', process.env.PLUGIN_WASM);
      tarball = execFileSync(join(repo, 'scripts', 'npm-pack-plugin'), args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
        .trim()
        .split('\n')
        .pop();
    }
    assert.ok(existsSync(tarball), `no tarball at ${tarball}`);

    const app = join(work, 'app');
    mkdirSync(join(app, 'app'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ng-plugin-next-app', private: true }));
    // The plugin from its tarball (no dependencies: --offline, no registry) ...
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], {
      cwd: app,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // ... and next, react, react-dom linked from the e2e install (Node and webpack follow the links
    // to their real paths, where the three sit side by side).
    for (const dep of ['next', 'react', 'react-dom']) symlinkSync(join(modules, dep), join(app, 'node_modules', dep), 'dir');

    writeFileSync(
      join(app, 'next.config.js'),
      `module.exports = {
  experimental: {
    swcPlugins: [[${JSON.stringify(NAME)}, { nextVersion: require('next/package.json').version }]],
  },
};
`,
    );
    writeFileSync(join(app, 'app', 'handler-config.js'), HANDLER_CONFIG);
    writeFileSync(
      join(app, 'app', 'layout.js'),
      `export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`,
    );
    writeFileSync(
      join(app, 'app', 'page.js'),
      `import config from './handler-config.js';

export default function Page() {
  return <pre id="config">{JSON.stringify(config)}</pre>;
}
`,
    );

    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CI: '1' };
    delete env.NODE_ENV;
    const started = Date.now();
    const build = spawnSync(process.execPath, [join(nextReal, 'dist', 'bin', 'next'), 'build', '--webpack'], {
      cwd: app,
      env,
      encoding: 'utf8',
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const log = `${build.stdout}\n${build.stderr}`;
    assert.equal(build.status, 0, `next build failed (${seconds}s):\n${log.slice(-4000)}`);

    const html = readFileSync(join(app, '.next', 'server', 'app', 'index.html'), 'utf8');
    const m = html.match(/<pre id="config">(.*?)<\/pre>/s);
    assert.ok(m, `no <pre id="config"> in the prerendered page:\n${html.slice(0, 2000)}`);
    const text = m[1].replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const shown = JSON.parse(text);
    assert.equal(shown.cacheHandler, '/srv/cache-handler.js', `the legacy key moved to cacheHandler: ${text}`);
    assert.deepEqual(shown.cacheHandlers, { default: '/srv/use-cache-handler.js' }, `experimental.cacheHandlers moved: ${text}`);
    assert.ok(!('incrementalCacheHandlerPath' in (shown.experimental ?? {})), `legacy key left: ${text}`);
    assert.ok(!('cacheHandlers' in (shown.experimental ?? {})), `experimental.cacheHandlers left: ${text}`);
    console.log(`next ${nextVersion}: next build --webpack with ${NAME} from ${tarball} in ${seconds}s; page shows ${text}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
