#!/usr/bin/env node
// npm run bench [-- --quick] [-- --out FILE] [-- --only sim,dashboard]: measures the sync
// primitives and the simulator against the floor and their peers, side by side in one run, and
// writes a markdown table (default docs/benchmarks.md). --only runs the named sections alone
// (SECTIONS below) and prints them, writing a file only when --out names one. Each figure is the median of several runs (min-max beside it),
// each run in a fresh process, every process with the same V8 flags (--harmony-struct when this
// Node has it, so ours and the native locks run in identical engines). Contended cases run
// interleaved (ours, native, ours, ...) so that a noisy moment hits both. Benchmarks are not
// tests: nothing here passes or fails on time.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SECTIONS = ['uncontended', 'contended', 'semaphore', 'condition', 'async', 'sim', 'dashboard', 'trials', 'explorer', 'redis'];
const USAGE = `usage: npm run bench [-- --quick] [-- --out FILE] [-- --only ${SECTIONS.join(',')}]`;
let args;
try {
  args = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } } }).values;
} catch (error) {
  process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
  process.exit(2);
}
const only = args.only === undefined ? null : args.only.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !SECTIONS.includes(name)) ?? [];
if (only && (only.length === 0 || unknown.length > 0)) {
  process.stderr.write(`bench: --only: unknown section '${unknown[0] ?? ''}'\n${USAGE}\n`);
  process.exit(2);
}
/** Whether this run measures the section (all of them unless --only names some). */
const runs = (section) => only === null || only.includes(section);
const quick = args.quick ?? false;
const root = dirname(dirname(fileURLToPath(import.meta.url)));
// A partial run (--only) is printed; it replaces a file only when --out names one.
const out = args.out ?? (only ? null : join(root, 'docs', 'benchmarks.md'));
const CASES = join(root, 'bench', 'cases.mjs');
const REPEATS = quick ? 1 : 5;
const CONTENDED_REPEATS = quick ? 1 : 7;
const SIM_REPEATS = quick ? 1 : 3;
const N = quick ? 200_000 : 5_000_000;
const MS = quick ? 150 : 400;
const COUNT = quick ? 200_000 : 1_000_000; // fixed-count contended runs: ops per worker

const hasNative = spawnSync(process.execPath, ['--harmony-struct', '-e', 'if (typeof Atomics.Mutex !== "function") process.exit(1)']).status === 0;
const notes = [];
if (!hasNative) notes.push('V8 native `Atomics.Mutex`/`Atomics.Condition` (`--harmony-struct`) are not available on this Node: those columns are skipped.');

const FLAGGED_TIMEOUT_MS = 20_000; // a sync case normally ends within 2 s
const hangs = {}; // case label -> runs dropped because the process hung

function runCase(name, params, { native = false } = {}) {
  // The same flags for every sync case, native or not (the simulator and UI cases compare with nothing native).
  const flags = hasNative && name !== 'sim' && name !== 'ui' ? ['--harmony-struct'] : [];
  let output;
  try {
    output = execFileSync(process.execPath, [...flags, CASES, name, JSON.stringify(params)], {
      encoding: 'utf8',
      timeout: flags.length ? FLAGGED_TIMEOUT_MS : 300_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // Under --harmony-struct, V8 (Node 20) has been seen to hang a process that starts several
    // workers, whichever lock they use (first blamed on the native mutex alone): count the
    // run and go on without it.
    if (flags.length && error.code === 'ETIMEDOUT') {
      const label = `${name}${params.kind ? ` ${params.kind}` : ''}${params.workers ? `, ${params.workers} workers` : ''}${native ? ' (native)' : ''}`;
      hangs[label] = (hangs[label] ?? 0) + 1;
      return null;
    }
    // A failed case is a broken benchmark, not a slow one: say which, and stop (no half table).
    const why =
      String(error.stderr ?? error.message)
        .split('\n')
        .find((l) => /Error/.test(l)) ?? error.message;
    process.stderr.write(`\nbench: case ${name} ${JSON.stringify(params)} failed: ${why.trim()}\n`);
    process.exit(1);
  }
  return JSON.parse(output.trim().split('\n').pop());
}

/** Median, min and max of `field` over REPEATS fresh-process runs (plus any extra fields of the median run). */
function measure(name, params, field, options) {
  if (options?.native && !hasNative) return null;
  const runs = Array.from({ length: options?.repeats ?? REPEATS }, () => runCase(name, params, options)).filter(Boolean);
  if (runs.length === 0) return null;
  runs.sort((a, b) => a[field] - b[field]);
  const median = runs[Math.floor(runs.length / 2)];
  process.stdout.write('.');
  return { ...median, median: median[field], min: runs[0][field], max: runs[runs.length - 1][field] };
}

const fmt = (v, digits = 1) => (v == null ? 'n/a' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits));
const range = (m, digits) => (m ? `${fmt(m.median, digits)} (${fmt(m.min, digits)}–${fmt(m.max, digits)})` : 'n/a');
const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : 'n/a');
const mops = (m) => (m ? { ...m, median: m.median / 1e6, min: m.min / 1e6, max: m.max / 1e6 } : null);
const share = (m) => (m ? `${(m.minShare * 100).toFixed(0)}% / ${(m.maxShare * 100).toFixed(0)}%` : 'n/a');
const table = (header, rows) => [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const sections = [];
const t0 = Date.now();
const loadAtStart = loadavg()[0];

// 1. Uncontended lock + unlock on one thread (the C reference is reused by the contended table).
let pthreadResult = null;
if (runs('uncontended')) {
  const floor = measure('floor', { n: N }, 'ns');
  const rows = [
    ['raw CAS + store (the floor)', floor],
    ['Mutex (barging)', measure('mutex', { n: N }, 'ns')],
    ['Mutex (fair)', measure('mutex', { n: N, fair: true }, 'ns')],
    ['RLock', measure('rlock', { n: N }, 'ns')],
    ['Semaphore(1) acquireSync + release', measure('semaphore', { n: N }, 'ns')],
    ['V8 native Atomics.Mutex.lock(m, fn)', measure('native', { n: N }, 'ns', { native: true })],
  ];
  const pthread = pthreadReference();
  if (pthread) rows.push(['C pthread_mutex (gcc -O2)', { median: pthread.ns, min: pthread.ns, max: pthread.ns }]);
  sections.push(
    '## Uncontended lock + unlock (ns per pair, lower is better)\n\n' +
      table(
        ['primitive', 'ns/op median (min–max)', 'vs floor'],
        rows.map(([label, m]) => [label, range(m, 1), ratio(m, floor)]),
      ),
  );
  pthreadResult = pthread;
}

/**
 * Runs the contended case for several locks interleaved (round r runs every lock once, in an
 * order rotated by r), CONTENDED_REPEATS rounds; per lock: median, min, max, and the shares of
 * the median run.
 */
function interleaved(kinds, params) {
  const runs = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < CONTENDED_REPEATS; r++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + r) % kinds.length];
      if (kind === 'native' && !hasNative) continue;
      const result = runCase('contended', { ...params, kind }, { native: kind === 'native' });
      if (result) runs[kind].push(result);
    }
    process.stdout.write('.');
  }
  return Object.fromEntries(
    kinds.map((k) => {
      const rs = runs[k].sort((a, b) => a.opsPerSec - b.opsPerSec);
      if (rs.length === 0) return [k, null];
      const median = rs[Math.floor(rs.length / 2)];
      return [k, { ...median, median: median.opsPerSec, min: rs[0].opsPerSec, max: rs[rs.length - 1].opsPerSec }];
    }),
  );
}

// 2. Contended: workers incrementing one counter under the lock, fixed time and fixed count.
if (runs('contended')) {
  const rows = [];
  const locks = [
    ['Mutex (barging)', 'mutex'],
    ['Mutex (fair)', 'fair'],
    ['V8 native Atomics.Mutex', 'native'],
    ['lock-free Atomics.add (no lock)', 'atomic'],
  ];
  for (const workers of quick ? [2] : [2, 4, 8]) {
    for (const [mode, params] of [
      [`${MS} ms`, { workers, ms: MS }],
      [`${COUNT / 1e6}M ops each`, { workers, count: COUNT }],
    ]) {
      const results = interleaved(
        locks.map(([, kind]) => kind),
        params,
      );
      for (const [label, kind] of locks) {
        const m = results[kind];
        const fairness = m == null ? 'n/a' : params.count ? `${(m.minShare * 100).toFixed(0)}%` : share(m);
        rows.push([String(workers), mode, label, range(mops(m), 2), fairness, ratio(m, results.native)]);
      }
    }
  }
  if (pthreadResult) rows.push(['2', `${MS} ms`, 'C pthread_mutex (gcc -O2)', fmt(pthreadResult.opsPerSec / 1e6, 2), 'n/a', 'n/a']);
  sections.push(
    '## Contended Mutex: workers incrementing one shared counter (million ops/s, higher is better)\n\n' +
      `Interleaved runs (every lock once per round, the order rotated each round), ${CONTENDED_REPEATS} rounds, the same V8 flags ` +
      'for every lock, the control cells (start, stop, counter) on separate cache lines. Two modes:\n' +
      `- fixed time (${MS} ms): fairness is the smallest / largest fraction of all operations done by one worker ` +
      '(equal sharing: 50% / 50% with 2 workers); a lock that lets one worker re-take it again and again scores high ' +
      'throughput with lopsided shares, so read the two together;\n' +
      `- fixed count (${COUNT.toLocaleString('en-US')} ops per worker): throughput is all ops over the time until the last worker ` +
      "finished; fairness is the first finisher's time over the last one's (100%: they finished together).\n\n" +
      table(['workers', 'mode', 'lock', 'Mops/s median (min–max)', 'fairness (median run)', 'vs native'], rows),
  );
}

// 3. Semaphore.
if (runs('semaphore')) {
  const rows = [];
  for (const [workers, permits] of quick
    ? [[2, 1]]
    : [
        [2, 1],
        [4, 2],
        [8, 3],
      ]) {
    const m = measure('contended', { kind: 'semaphore', workers, permits, ms: MS }, 'opsPerSec');
    rows.push([`${workers} workers, Semaphore(${permits})`, range(mops(m), 2), share(m)]);
  }
  sections.push('## Semaphore acquireSync + release with fewer permits than workers (million ops/s)\n\n' + table(['setting', 'Mops/s median (min–max)', 'min / max share'], rows));
}

// 4. Condition hand-off latency.
if (runs('condition')) {
  const n = quick ? 2_000 : 20_000;
  const ours = measure('pingpong', { n }, 'us');
  const native = measure('pingpong', { n, native: true }, 'us', { native: true });
  sections.push(
    '## Condition ping-pong between two workers (µs per hand-off, lower is better)\n\n' +
      'Not like for like: our `Condition.wait` spins on its own slot for about 2,000 loads (10–15 µs) before it sleeps, ' +
      "so a prompt notify usually finds the waiter awake; V8's native `Atomics.Condition.wait` goes to sleep at once, " +
      'so each of its hand-offs pays a sleep and a wake-up. The figures compare a spinning hand-off with a sleeping one.\n\n' +
      table(
        ['condition', 'µs median (min–max)', 'vs native'],
        [
          ['Condition + Mutex (this library)', range(ours, 2), ratio(ours, native)],
          ['V8 native Atomics.Condition + Atomics.Mutex', range(native, 2), ratio(native, native)],
        ],
      ),
  );
}

// 5. The async (main-thread) path.
if (runs('async')) {
  const n = quick ? 20_000 : 500_000;
  const acquire = measure('asyncAcquire', { n }, 'ns');
  const acquireRef = measure('asyncAcquire', { n, lib: 'async-mutex' }, 'ns');
  const exclusive = measure('asyncRunExclusive', { n }, 'ns');
  const exclusiveRef = measure('asyncRunExclusive', { n, lib: 'async-mutex' }, 'ns');
  const wake = measure('asyncWake', { n: quick ? 50 : 500 }, 'us');
  sections.push(
    '## Async path on the main thread\n\n' +
      table(
        ['operation', 'this library', 'async-mutex (one thread only)', 'ratio'],
        [
          ['`await acquire()` + release, uncontended (ns)', range(acquire, 0), range(acquireRef, 0), ratio(acquire, acquireRef)],
          ['`runExclusive(fn)`, uncontended (ns)', range(exclusive, 0), range(exclusiveRef, 0), ratio(exclusive, exclusiveRef)],
          [
            'wake-up: worker unlock → main `acquire()` resolves (µs, median of per-run medians; p90 ' + fmt(wake?.p90, 0) + ')',
            range(wake, 1),
            'n/a (cannot wait for another thread)',
            '',
          ],
        ],
      ),
  );
}

// 6. The simulator: race scenario, window 0.
if (runs('sim')) {
  const strategies = quick ? ['none', 'mutex'] : ['none', 'mutex', 'rlock', 'semaphore', 'condition', 'atomic', 'async', 'async-mutex'];
  const agentsList = quick ? [2] : [2, 4, 8];
  const ops = quick ? 2_000 : 50_000;
  const rows = strategies.map((sync) => [
    sync,
    ...agentsList.map((agents) => range(mops(measure('sim', { sync, agents, ops: Math.round(ops / agents) * 2 }, 'txPerSec', { repeats: SIM_REPEATS })), 3)),
  ]);
  sections.push(
    `## Simulator: race scenario, window 0 (million transactions/s)\n\n` +
      `Median of ${SIM_REPEATS} runs (min–max).\n\n` +
      table(['strategy', ...agentsList.map((a) => `${a} agents`)], rows) +
      '\n\n`none` and `async` lose updates (that is the point); the others are exact. `async`/`async-mutex` run every agent on one event loop.',
  );
}

// 7. UI overhead: the same run headless and with the dashboard rendering off-screen.
if (runs('dashboard')) {
  const ops = quick ? 20_000 : 500_000;
  const pairs = quick ? 1 : 5;
  const off = [];
  const on = [];
  let frames = 0;
  for (let i = 0; i < pairs; i++) {
    off.push(runCase('ui', { agents: 4, ops }).txPerSec);
    const withUi = runCase('ui', { agents: 4, ops, withUi: true });
    on.push(withUi.txPerSec);
    frames = withUi.frames;
    process.stdout.write('.');
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const overhead = (1 - med(on) / med(off)) * 100;
  sections.push(
    '## Dashboard overhead on the agents (race, mutex, 4 agents, window 0)\n\n' +
      table(
        ['run', 'Mtx/s median (min–max)'],
        [
          ['headless', `${fmt(med(off) / 1e6, 3)} (${fmt(Math.min(...off) / 1e6, 3)}–${fmt(Math.max(...off) / 1e6, 3)})`],
          [`with the dashboard rendering (15 fps, ${frames} frames written)`, `${fmt(med(on) / 1e6, 3)} (${fmt(Math.min(...on) / 1e6, 3)}–${fmt(Math.max(...on) / 1e6, 3)})`],
        ],
      ) +
      `\n\nOverhead: **${overhead.toFixed(1)}%** of headless throughput (median of ${pairs} alternating pairs).`,
  );
}

// 8-10. The simulator's own engines, each a script of its own that prints its markdown section:
// trials (bank-sim trials), the explorer (bank-sim explore) and the account on Redis.
function script(name, extra = []) {
  return execFileSync(process.execPath, [join(root, 'bench', name), ...(quick ? ['--quick'] : []), ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  }).trim();
}
if (runs('trials')) {
  sections.push(script('trials.mjs'));
  process.stdout.write('.');
}
if (runs('explorer')) {
  sections.push(script('explore.mjs'));
  process.stdout.write('.');
}
if (!runs('redis')) {
  // not asked for (--only)
} else if (quick) {
  notes.push('Quick mode skips the Redis section (`npm run bench:redis` measures it alone).');
} else if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-benchmark'], { stdio: 'ignore' }).status !== 0) {
  notes.push('redis-server or redis-benchmark is not installed: the Redis section is skipped.');
} else {
  const redisOut = join(mkdtempSync(join(tmpdir(), 'bank-sim-bench-')), 'redis.md');
  execFileSync(process.execPath, [join(root, 'bench', 'redis.mjs'), '--out', redisOut], { stdio: 'ignore', timeout: 600_000 });
  // The Redis report is a document of its own: here its body, under a section heading.
  sections.push(
    readFileSync(redisOut, 'utf8')
      .trim()
      .replace(/^# Benchmarks: the account on Redis/, '## The account on Redis (`--store redis`)'),
  );
  process.stdout.write('.');
}

function pthreadReference() {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (!cc) {
    notes.push('No C compiler found: the pthread_mutex reference is skipped.');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bank-sim-bench-'));
  const exe = join(dir, 'pthread');
  try {
    execFileSync(cc, ['-O2', '-pthread', '-o', exe, join(root, 'bench', 'pthread.c')]);
    return JSON.parse(execFileSync(exe, [String(N * 2), String(MS)], { encoding: 'utf8' }));
  } catch (error) {
    notes.push(`The pthread_mutex reference did not build or run: ${error.message.split('\n')[0]}`);
    return null;
  }
}

if (Object.keys(hangs).length) {
  notes.push(
    `Processes run with \`--harmony-struct\` hung (no result within ${FLAGGED_TIMEOUT_MS / 1000} s) and were dropped: ` +
      Object.entries(hangs)
        .map(([label, n]) => `${label}: ${n}`)
        .join('; ') +
      '.',
  );
}
const cpu = cpus();
const flags = [quick ? '--quick' : '', only ? `--only ${only.join(',')}` : ''].filter(Boolean);
const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: Node.js ${process.version}, ` +
    `${cpu[0]?.model ?? 'unknown CPU'} (${cpu.length} cores), ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}/${process.arch}.`,
  `Each figure: median of ${REPEATS} runs in fresh processes (min–max in brackets); the contended Mutex rows: ${CONTENDED_REPEATS} interleaved rounds; ` +
    `the simulator rows: ${SIM_REPEATS} runs; the dashboard: ${quick ? 1 : 5} alternating pairs${quick ? ' — QUICK MODE: tiny runs, figures are rough' : ''}. ` +
    `Every sync-primitive process runs with the same V8 flags (${hasNative ? '`--harmony-struct`' : 'none'}), ours and native alike. ` +
    `Total time ${Math.round((Date.now() - t0) / 1000)} s. ` +
    `Load average (1 min) ${loadAtStart.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end, on ${cpu.length} cores: ` +
    'above the core count, other processes competed for the CPUs and the contended figures swing accordingly (compare the min–max ranges, not single figures).',
  ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
];
const markdown = `${header.join('\n')}\n\n${sections.join('\n\n')}\n`;
if (out === null) {
  process.stdout.write(`\n\n${markdown}\n(--only: not written to a file; --out FILE writes it)\n`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, markdown);
  renameSync(tmp, out);
  process.stdout.write(`\n\n${markdown}\nwritten to ${out}\n`);
}
