// Turns the raw results of bench/run into the markdown table of docs/performance.md.
//   node bench/report.mjs <raw dir> <repo>
import fs from 'node:fs';
import path from 'node:path';

const [raw] = process.argv.slice(2);
const read = (f) => fs.readFileSync(path.join(raw, f), 'utf8');
const exists = (f) => fs.existsSync(path.join(raw, f));
const meta = Object.fromEntries(
  read('meta.env')
    .trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

const names = { realistic: 'realistic', large: 'large closure', bigrepo: 'big repo' };
const results = {};
for (const w of ['realistic', 'large', 'bigrepo']) {
  if (!exists(`${w}.json`)) continue;
  const hf = JSON.parse(read(`${w}.json`)).results;
  const t = Object.fromEntries(hf.map((r) => [r.command, r]));
  const rss = {};
  for (const line of read(`${w}.rss`).trim().split('\n')) {
    const [what, kb] = line.trim().split(/\s+/);
    if (!/^\d+$/.test(kb || '')) continue;
    rss[what] = Math.max(rss[what] || 0, Number(kb));
  }
  // strace -c: "% time  seconds  usecs/call  calls  [errors]  syscall" rows.
  const calls = (f) => {
    const out = {};
    if (!exists(f)) return out;
    for (const line of read(f).split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 5 || !/^\d+$/.test(cols[3])) continue;
      out[cols[cols.length - 1]] = Number(cols[3]);
    }
    return out;
  };
  results[w] = {
    t,
    rss,
    syscalls: { graft: calls(`${w}.strace-graft`), check: calls(`${w}.strace-check`) },
    files: read(`${w}.files`).trim().split('\n').filter(Boolean).length,
    nftFiles: Number(read(`${w}.nft-files`).trim()),
    load: read(`${w}.load`).trim(),
  };
}

const ms = (r) => `${(r.median * 1000).toFixed(0)} ms`;
const spread = (r) => `${(r.median * 1000).toFixed(0)} ms (${(r.min * 1000).toFixed(0)}–${(r.max * 1000).toFixed(0)})`;
const mib = (kb) => (kb ? `${(kb / 1024).toFixed(1)} MiB` : 'n/a');
const x = (a, b) => a / b;
const fmt = (v) => `${v.toFixed(2)}×`;

const out = [];
out.push(`### Results (${meta.date})`);
out.push('');
out.push(
  `next-graft ${meta.commit} · node ${meta.node} · ${meta.nproc} cores (${meta.cpu}) · hyperfine ${meta.hyperfine}, ` +
    `median of ${Object.values(results)[0]?.t.graft.times.length ?? '?'} runs after warm-up, tree reset before each run · ` +
    `load average before/after: ${meta.load_before} / ${meta.load_after}`,
);
out.push('');
out.push('| workload | files added (graft / nft) | nft script | floor (cp) | next-graft | next-graft check | max RSS graft / check / nft | load (1/5/15 min) |');
out.push('|---|---|---|---|---|---|---|---|');
for (const [w, r] of Object.entries(results)) {
  out.push(
    `| ${names[w]} | ${r.files} / ${r.nftFiles} | ${spread(r.t.nft)} | ${spread(r.t.floor)} | ${spread(r.t.graft)} | ${spread(r.t.check)} | ${mib(r.rss.graft)} / ${mib(r.rss.check)} / ${mib(r.rss.nft)} | ${r.load} |`,
  );
}
out.push('');
out.push('Ratios (medians of the same run) against the targets:');
out.push('');
out.push('| ratio | target | value | met |');
out.push('|---|---|---|---|');
const row = (what, target, value, ok) => out.push(`| ${what} | ${target} | ${value} | ${ok ? 'yes' : '**no**'} |`);
for (const [w, r] of Object.entries(results)) {
  const speedup = x(r.t.nft.median, r.t.graft.median);
  row(`${names[w]}: nft script / next-graft`, '≥ 10×', fmt(speedup), speedup >= 10);
  const overFloor = x(r.t.graft.median, r.t.floor.median);
  row(`${names[w]}: next-graft / floor`, '≤ 3×', fmt(overFloor), overFloor <= 3);
}
if (results.realistic) {
  const r = results.realistic;
  const c = x(r.t.check.median, r.t.floor.median);
  row('realistic: next-graft check / floor', '≤ 2×', fmt(c), c <= 2);
}
// Big repo / realistic: the median of the ratios of alternating pairs when bench/run measured
// them, else the ratio of the medians above.
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pairRatios = (cmd) => {
  const ratios = [];
  for (let i = 1; exists(`pair-realistic-${cmd}-${i}.json`) && exists(`pair-bigrepo-${cmd}-${i}.json`); i++) {
    const t = (w) => JSON.parse(read(`pair-${w}-${cmd}-${i}.json`)).results[0].mean;
    ratios.push(t('bigrepo') / t('realistic'));
  }
  return ratios;
};
if (results.realistic && results.bigrepo) {
  for (const [cmd, label] of [['graft', 'next-graft'], ['check', 'next-graft check']]) {
    const pairs = pairRatios(cmd);
    const v = pairs.length
      ? median(pairs)
      : x(results.bigrepo.t[cmd].median, results.realistic.t[cmd].median);
    const how = pairs.length ? ` (median of ${pairs.length} alternating pairs)` : '';
    row(`${label}: big repo / realistic${how}`, '≤ 1.10×', fmt(v), v <= 1.1);
  }
}
if (results.realistic) {
  const kb = results.realistic.rss.graft;
  row('realistic: max RSS of next-graft', '< 64 MiB', mib(kb), kb < 64 * 1024);
}
out.push('');
if (Object.values(results).some((r) => r.t['graft-compare'])) {
  out.push(`Before and after in the same run: the binary given as \`BENCH_COMPARE\` (${meta.compare}) against this one:`);
  out.push('');
  out.push('| workload | graft: compare → this | check: compare → this | nft script / graft: compare → this |');
  out.push('|---|---|---|---|');
  for (const [w, r] of Object.entries(results)) {
    if (!r.t['graft-compare']) continue;
    out.push(
      `| ${names[w]} | ${ms(r.t['graft-compare'])} → ${ms(r.t.graft)} | ${ms(r.t['check-compare'])} → ${ms(r.t.check)} | ` +
        `${fmt(x(r.t.nft.median, r.t['graft-compare'].median))} → ${fmt(x(r.t.nft.median, r.t.graft.median))} |`,
    );
  }
  out.push('');
}
const stats = (c) => ['statx', 'newfstatat', 'stat', 'lstat', 'fstat'].reduce((n, k) => n + (c[k] || 0), 0);
const cpu = (r) => `${((r.user + r.system) * 1000).toFixed(0)} ms`;
out.push('CPU time (user + system, mean of the timed runs) and the work of one cold run (`strace -f -c`):');
out.push('');
out.push('| workload | CPU nft / floor / graft / check | graft: openat / stat / getdents64 | check: openat / stat / getdents64 |');
out.push('|---|---|---|---|');
for (const [w, r] of Object.entries(results)) {
  const g = r.syscalls.graft;
  const c = r.syscalls.check;
  out.push(
    `| ${names[w]} | ${cpu(r.t.nft)} / ${cpu(r.t.floor)} / ${cpu(r.t.graft)} / ${cpu(r.t.check)} | ` +
      `${g.openat ?? 0} / ${stats(g)} / ${g.getdents64 ?? 0} | ${c.openat ?? 0} / ${stats(c)} / ${c.getdents64 ?? 0} |`,
  );
}
out.push('');
console.log(out.join('\n'));
