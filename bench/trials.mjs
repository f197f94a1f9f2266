#!/usr/bin/env node
// Trials throughput (npm run bench includes it; alone: node bench/trials.mjs [--quick] [--json]).
// Measures `runTrials` from the built engine the way `bank-sim trials` runs it: agents started
// once, trial states reset in shared memory between rounds. Each figure is the median of
// REPEATS runs in this process, min-max beside it. Prints a markdown section.
import { parseArgs } from 'node:util';
import { preset } from '../dist/sim/model/config.js';
import { runTrials } from '../dist/sim/engine/trials.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick ?? false;
const REPEATS = quick ? 1 : 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const n = (x) => Math.round(x).toLocaleString('en-US');

async function measure(config, trials, stride) {
  const runs = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await runTrials(config, { trials, stride }));
  const rates = runs.map((r) => r.trialsPerSecond);
  const forbidden = runs.map((r) => r.forbidden / r.trials);
  return { rate: median(rates), min: Math.min(...rates), max: Math.max(...rates), forbidden: median(forbidden), seconds: median(runs.map((r) => r.durationMs / 1000)) };
}

/** The physical limit of a trial made of `ops` sequential windows of `us`: how long those sleeps really take here. */
function windowLimit(ops, us) {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  const rounds = 20;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < ops; i++) Atomics.wait(cell, 0, 0, us / 1000);
  return 1000 / ((performance.now() - t0) / rounds);
}

const litmus = { ...preset('race'), depositors: 2, ops: 1, windowUs: 0 };
const litmusN = quick ? 100_000 : 1_000_000;
const strided = await measure(litmus, litmusN, 256);
const perTrial = await measure(litmus, quick ? 20_000 : 200_000, 1);
const race = preset('race');
const raceN = quick ? 20 : 200;
const defaults = await measure(race, raceN, 1);
const limit = windowLimit(race.ops, race.windowUs);

const rows = [
  [
    'litmus race, 2 agents x 1 deposit, no window: 256 trial states per barrier',
    `${n(litmusN)} trials`,
    `**${n(strided.rate)}**/s (${n(strided.min)}-${n(strided.max)}), ${strided.seconds.toFixed(1)} s`,
    `${(strided.forbidden * 100).toFixed(1)}% lost an update`,
  ],
  [
    'the same, one barrier per trial',
    `${n(quick ? 20_000 : 200_000)} trials`,
    `${n(perTrial.rate)}/s (${n(perTrial.min)}-${n(perTrial.max)})`,
    `${(perTrial.forbidden * 100).toFixed(1)}% lost an update`,
  ],
  [
    'default race, 10 agents x 10 deposits, 1 ms window',
    `${raceN} trials`,
    `**${n(defaults.rate)}**/s (${n(defaults.min)}-${n(defaults.max)})`,
    `limit ${n(limit)}/s: ${(limit / defaults.rate).toFixed(1)}x`,
  ],
];
const table = [
  '## Trials (`bank-sim trials`)',
  '',
  `Median of ${REPEATS} run${REPEATS > 1 ? 's' : ''} (min-max); agent start-up included. The limit of the default race is`,
  'what its ten sequential 1 ms windows per agent take on this machine (`Atomics.wait` sleeps, measured here).',
  '',
  '| trials | size | trials/s | outcome |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
if (values.json) process.stdout.write(`${JSON.stringify({ strided, perTrial, defaults, limit })}\n`);
else process.stdout.write(`${table}\n`);
