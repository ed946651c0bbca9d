// Baseline (a): what a JavaScript postbuild script would do without next-graft. Trace the handler
// with @vercel/nft and copy every traced file (and symlink) into the standalone tree.
//
//   node bench/nft-copy.mjs <tools dir with node_modules/@vercel/nft> <tracing root> <standalone> <handler>
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [toolsDir, root, standalone, handler] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(toolsDir), 'package.json'));
const { nodeFileTrace } = await import(pathToFileURL(require.resolve('@vercel/nft')).href);

const { fileList } = await nodeFileTrace([path.resolve(handler)], { base: path.resolve(root) });

// Copy in parallel (fs.promises), creating directories first.
const files = [...fileList];
const dirs = new Set(files.map((f) => path.dirname(path.join(standalone, f))));
await Promise.all([...dirs].map((d) => fs.mkdir(d, { recursive: true })));
await Promise.all(
  files.map(async (f) => {
    const from = path.join(root, f);
    const to = path.join(standalone, f);
    const st = await fs.lstat(from);
    if (st.isSymbolicLink()) {
      await fs.rm(to, { force: true });
      await fs.symlink(await fs.readlink(from), to);
    } else if (st.isFile()) {
      await fs.copyFile(from, to);
    }
  }),
);
if (process.env.BENCH_VERBOSE) console.error(`nft: ${files.length} files copied`);
