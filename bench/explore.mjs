#!/usr/bin/env node
// node bench/explore.mjs (after npm run build): the explorer's speed. For each case, the
// median of several runs in this process (after one warm-up run): interleavings counted,
// Mazurkiewicz classes, states expanded (both passes), time, and states/s. Prints a markdown
// table. Benchmarks are not tests: nothing here passes or fails on time.
import { cpus } from 'node:os';
import { preset } from '../dist/sim/model/config.js';
import { explore } from '../dist/sim/explore/enumerate.js';

// --quick (npm run bench -- --quick): one run of the small cases only.
const quick = process.argv.includes('--quick');
const REPEATS = quick ? 1 : Number(process.env.REPEATS ?? 5);
const race = (sync, depositors, ops) => ({ ...preset('race'), sync, depositors, ops });
const CASES = [
  ['race/none 2 agents x 1 op', race('none', 2, 1)],
  ['race/none 3 x 1', race('none', 3, 1)],
  ['race/none 4 x 1', race('none', 4, 1)],
  ['race/none 4 x 2', race('none', 4, 2)],
  ['race/mutex 4 x 2', race('mutex', 4, 2)],
  ['race/atomic 3 x 2 (CAS retries)', race('atomic', 3, 2)],
  ['transfer/none 3 x 1, 2 accounts', { ...preset('transfer'), sync: 'none', depositors: 3, ops: 1, accounts: 2 }],
  ['transfer/mutex naive 3 x 2, 3 accounts', { ...preset('transfer'), sync: 'mutex', depositors: 3, ops: 2, accounts: 3 }],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const n = (x) => (x === null ? '-' : Math.round(x).toLocaleString('en-US'));
const rows = [];
for (const [name, config] of quick ? CASES.slice(0, 3) : CASES) {
  explore(config); // warm-up
  const runs = Array.from({ length: REPEATS }, () => explore(config));
  const r = runs[0];
  const ms = median(runs.map((x) => x.durationMs));
  rows.push(
    `| ${name}${r.stopped ? ` (${r.stopped.message})` : ''} | ${n(r.interleavings)} | ${n(r.classes)} | ${r.outcomes.length} | ${n(r.states)} | ${ms.toFixed(ms < 10 ? 2 : 0)} | ${n((r.states * 1000) / ms)} |`,
  );
  process.stderr.write('.');
}
process.stderr.write('\n');
console.log(`## Explorer (\`bank-sim explore\`)`);
console.log('');
console.log(
  `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores); median of ${REPEATS} run${REPEATS > 1 ? 's' : ''} after a warm-up, one process. States: distinct model states expanded (both passes); states/s = states / time.`,
);
console.log('');
console.log('| case | interleavings | classes | outcomes | states | ms | states/s |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
