#!/usr/bin/env node
// npm run bench:redis [-- --quick] [-- --out FILE]: deposits/s per Redis strategy on a private
// redis-server, next to redis-benchmark's INCR on the same server (the ceiling: one command per
// deposit, no bookkeeping, C client). Prints a markdown table (and writes it to FILE with --out);
// `npm run bench` includes it in docs/benchmarks.md.
// Each figure: median of several runs (min-max beside it). Not a test: nothing fails on time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
let args;
try {
  args = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } } }).values;
} catch (error) {
  process.stderr.write(`bench:redis: ${error.message}\nusage: npm run bench:redis [-- --quick] [-- --out FILE]\n`);
  process.exit(2);
}
const quick = args.quick ?? false;
const out = args.out ?? null;
const { startRedisServer } = await import(join(root, 'dist/sim/stores/redis/server.js'));
const { RunKeys } = await import(join(root, 'dist/sim/stores/redis/keys.js'));
const { RedisRun } = await import(join(root, 'dist/sim/stores/redis/run.js'));
const { RedisStore } = await import(join(root, 'dist/sim/stores/redis/store.js'));
const { newRunId, connectRedis } = await import(join(root, 'dist/sim/stores/redis/connect.js'));

const AGENTS = 8;
const DEPOSITS = quick ? 200 : 500; // per agent
const REPEATS = quick ? 1 : 3;
const STRATEGIES = ['none', 'incrby', 'lua', 'watch', 'lock', 'fenced'];

// The same deposit programs as the tests (test/helpers/redis-programs.ts), no window.
function* deposit(strategy) {
  if (strategy === 'incrby' || strategy === 'lua') {
    yield { op: 'add', account: 0, delta: 100 };
  } else if (strategy === 'watch') {
    for (;;) {
      const seen = yield { op: 'read', account: 0, watch: true };
      if (yield { op: 'cas', account: 0, seen, value: seen.value + 100 }) break;
    }
  } else {
    const locked = strategy !== 'none';
    if (locked) yield { op: 'lock', lock: 0 };
    const seen = yield { op: 'read', account: 0 };
    yield { op: 'write', account: 0, seen, value: seen.value + 100 };
    if (locked) yield { op: 'unlock', lock: 0 };
  }
  return 100;
}

async function agent(store, strategy) {
  for (let i = 0; i < DEPOSITS; i++) {
    const program = deposit(strategy);
    let next = program.next();
    while (!next.done) next = program.next(await store.perform(next.value));
  }
}

async function once(url, strategy) {
  const keys = new RunKeys(newRunId(), 60_000);
  const run = await RedisRun.open(url, keys);
  await run.init({ balances: [0] });
  const stores = await Promise.all(
    Array.from({ length: AGENTS }, (_, i) => RedisStore.open(url, { agent: i, keys, fenced: strategy === 'fenced', addVia: strategy === 'lua' ? 'script' : 'incrby' })),
  );
  try {
    const t = performance.now();
    await Promise.all(stores.map((s) => agent(s, strategy)));
    const seconds = (performance.now() - t) / 1000;
    const snap = await run.snapshot();
    return { perSecond: (AGENTS * DEPOSITS) / seconds, lost: snap.lostUpdates, aborts: snap.aborts };
  } finally {
    for (const s of stores) s.close();
    await run.cleanup();
    run.close();
  }
}

// The client-side ceiling: bare INCRs from 8 node-redis connections sharing this one event loop
// (what every strategy pays per round trip before any Redis-side cost).
async function bare(url) {
  const clients = await Promise.all(Array.from({ length: AGENTS }, () => connectRedis(url)));
  try {
    const t = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < DEPOSITS; i++) await c.incrBy('bench:bare', 100);
      }),
    );
    return { perSecond: (AGENTS * DEPOSITS) / ((performance.now() - t) / 1000), lost: 0, aborts: 0 };
  } finally {
    await clients[0].del('bench:bare');
    for (const c of clients) c.destroy();
  }
}

function ceiling(port) {
  // Same shape as the agents: 8 connections, one command per round trip (no pipelining).
  const text = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'incr', '-n', String(quick ? 20_000 : 200_000), '-c', String(AGENTS), '-q'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const m = /INCR:\s*([\d.]+) requests per second/.exec(text.replace(/\r/g, '\n'));
  if (!m) throw new Error(`cannot read redis-benchmark output: ${text}`);
  return Number(m[1]);
}

const stats = (runs, field) => {
  const v = runs.map((r) => r[field]).sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)], min: v[0], max: v.at(-1) };
};
const fmt = (v) => Math.round(v).toLocaleString('en-US');
const range = (s) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

const server = await startRedisServer();
let version = '?';
try {
  version = /v=([\d.]+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const t0 = Date.now();
  const ceil = stats(
    Array.from({ length: REPEATS }, () => ({ v: ceiling(server.port) })),
    'v',
  );
  // Warm-up, discarded: the first runs in a fresh process pay for JIT compilation.
  await bare(server.url);
  for (const strategy of STRATEGIES) await once(server.url, strategy);
  const rows = [];
  {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await bare(server.url));
    const s = stats(runs, 'perSecond');
    rows.push(['(bare INCRBY, no bookkeeping)', range(s), `${((s.median / ceil.median) * 100).toFixed(0)}%`, '–', '–']);
  }
  for (const strategy of STRATEGIES) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await once(server.url, strategy));
    const s = stats(runs, 'perSecond');
    rows.push([strategy, range(s), `${((s.median / ceil.median) * 100).toFixed(0)}%`, fmt(stats(runs, 'lost').median), fmt(stats(runs, 'aborts').median)]);
    process.stdout.write('.');
  }
  const header = ['strategy', 'deposits/s median (min–max)', 'of the INCR ceiling', 'lost updates (median)', 'WATCH aborts (median)'];
  const md = [
    '# Benchmarks: the account on Redis',
    '',
    `Written by \`npm run bench:redis${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: Node.js ${process.version}, redis-server ${version} (private, loopback, no persistence), ${cpus()[0]?.model ?? '?'} (${cpus().length} cores).`,
    `${AGENTS} agents, each on its own connection, ${DEPOSITS} deposits of $1 each, no race window; median of ${REPEATS} runs after a discarded warm-up run of each. Total time ${Math.round((Date.now() - t0) / 1000)} s.`,
    '',
    `Ceiling: \`redis-benchmark -t incr -c ${AGENTS}\` on the same server: **${range(ceil)} INCR/s** (a C client, one command per deposit, no bookkeeping).`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Round trips per deposit: incrby 1 (MULTI with its bookkeeping), lua 1 (EVALSHA), none 2 (read, write),',
    'watch 3 per attempt (WATCH, read, MULTI/EXEC) plus the retries, lock/fenced 4 (lock, read, write, unlock)',
    'plus waiting for the lock. `none` is fast because it is wrong: see its lost updates.',
    'All agents here share one Node.js event loop (the async interpreter); the bare-INCRBY row is that',
    "loop's own ceiling, far below redis-benchmark's: the client, not Redis, is the limit. Agents as",
    'processes or on other hosts (--agents-on) would each bring their own loop.',
    '',
  ].join('\n');
  process.stdout.write(`\n${md}\n`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, md);
    process.stdout.write(`written to ${out}\n`);
  }
} finally {
  await server.stop();
}
