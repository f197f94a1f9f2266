// One benchmark case per process (so JIT state and flags never leak between cases):
//   node [--harmony-struct] bench/cases.mjs <case> '<json params>'  ->  prints one JSON result.
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex as AsyncMutex } from 'async-mutex';
import { Condition, Mutex, RLock, Semaphore } from '../dist/sync/index.js';

const [name, raw = '{}'] = process.argv.slice(2);
const p = JSON.parse(raw);
const WORKER = new URL('./worker.mjs', import.meta.url);

function nsPerOp(n, body) {
  body(Math.min(n, 100_000)); // warm-up
  const t0 = process.hrtime.bigint();
  body(n);
  return Number(process.hrtime.bigint() - t0) / n;
}

// Control cells as in worker.mjs: one 64-byte cache line each.
const L = 16;
const [START, STOP, COUNTER, READY] = [0, L, 2 * L, 3 * L];
const controlBuffer = () => new SharedArrayBuffer(9 * L * 4);

/**
 * Starts `workers` bench workers on one lock. Fixed time (`ms`): runs them that long and
 * reports throughput and each worker's share of the ops. Fixed count (`count` per worker):
 * every worker does the same work; throughput is total / time until the last one finished,
 * and the shares become each worker's finishing time over the slowest one's (1 = all equal).
 */
async function contend(kind, workers, { ms, count }, extra = {}) {
  const shared = controlBuffer();
  const ctl = new Int32Array(shared);
  const ws = Array.from({ length: workers }, (_, i) => new Worker(WORKER, { workerData: { kind, shared, me: i, count, ...extra } }));
  const reports = ws.map((w) => new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject))));
  while (Atomics.load(ctl, READY) < workers) await sleep(5);
  Atomics.store(ctl, START, 1);
  Atomics.notify(ctl, START);
  const t0 = performance.now();
  if (count === undefined) {
    await sleep(ms);
    Atomics.store(ctl, STOP, 1);
  }
  const done = await Promise.all(reports);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(ws.map((w) => w.terminate()));
  const ops = done.map((r) => r.ops);
  const total = ops.reduce((a, b) => a + b, 0);
  if (kind !== 'atomic' && ctl[COUNTER] !== total) throw new Error(`${kind}: counter ${ctl[COUNTER]} != ${total} ops: mutual exclusion broken`);
  if (count !== undefined) {
    const times = done.map((r) => r.ms);
    const slowest = Math.max(...times);
    return { opsPerSec: total / (slowest / 1000), minShare: Math.min(...times) / slowest, maxShare: 1, wallSeconds: seconds };
  }
  return { opsPerSec: total / seconds, minShare: Math.min(...ops) / total, maxShare: Math.max(...ops) / total };
}

const cases = {
  // Uncontended lock+unlock on one thread, ns per pair.
  floor: () => {
    const c = new Int32Array(new SharedArrayBuffer(4));
    return {
      ns: nsPerOp(p.n, (n) => {
        for (let i = 0; i < n; i++) {
          Atomics.compareExchange(c, 0, 0, 1);
          Atomics.store(c, 0, 0);
        }
      }),
    };
  },
  mutex: () => {
    const m = new Mutex({ fair: p.fair ?? false });
    return {
      ns: nsPerOp(p.n, (n) => {
        for (let i = 0; i < n; i++) {
          m.lock();
          m.unlock();
        }
      }),
    };
  },
  rlock: () => {
    const m = new RLock();
    return {
      ns: nsPerOp(p.n, (n) => {
        for (let i = 0; i < n; i++) {
          m.lock();
          m.unlock();
        }
      }),
    };
  },
  native: () => {
    const m = new Atomics.Mutex();
    const noop = () => {};
    return {
      ns: nsPerOp(p.n, (n) => {
        for (let i = 0; i < n; i++) Atomics.Mutex.lock(m, noop);
      }),
    };
  },
  semaphore: () => {
    const s = new Semaphore(1);
    return {
      ns: nsPerOp(p.n, (n) => {
        for (let i = 0; i < n; i++) {
          s.acquireSync();
          s.release();
        }
      }),
    };
  },
  // Contended: workers incrementing one counter under the lock.
  contended: async () => {
    const mode = { ms: p.ms, count: p.count };
    if (p.kind === 'native') return contend('native', p.workers, mode, { native: new Atomics.Mutex() });
    if (p.kind === 'atomic') return contend('atomic', p.workers, mode);
    if (p.kind === 'semaphore') return contend('semaphore', p.workers, mode, { handle: new Semaphore(p.permits).handle });
    return contend('mutex', p.workers, mode, { handle: new Mutex({ fair: p.kind === 'fair' }).handle });
  },
  // Condition hand-off between two workers: µs per hand-off.
  pingpong: async () => {
    const t0 = performance.now();
    const shared = controlBuffer();
    const extra = p.native ? { native: new Atomics.Mutex(), cond: new Atomics.Condition() } : { handle: new Condition(new Mutex()).handle };
    const kind = p.native ? 'native-pingpong' : 'pingpong';
    const ws = [0, 1].map((me) => new Worker(WORKER, { workerData: { kind, shared, me, iterations: p.n, ...extra } }));
    const ctl = new Int32Array(shared);
    while (Atomics.load(ctl, READY) < 2) await sleep(2);
    const start = performance.now();
    Atomics.store(ctl, START, 1);
    Atomics.notify(ctl, START);
    await Promise.all(ws.map((w) => new Promise((r, j) => (w.once('message', r), w.once('error', j)))));
    const us = ((performance.now() - start) * 1000) / (2 * p.n);
    void t0;
    return { us };
  },
  // Main thread async path: uncontended acquire+release (ns) for ours and async-mutex.
  asyncAcquire: async () => {
    const lock = p.lib === 'async-mutex' ? new AsyncMutex() : new Mutex();
    const run = async (n) => {
      for (let i = 0; i < n; i++) {
        const release = await lock.acquire();
        release();
      }
    };
    await run(10_000);
    const t0 = process.hrtime.bigint();
    await run(p.n);
    return { ns: Number(process.hrtime.bigint() - t0) / p.n };
  },
  asyncRunExclusive: async () => {
    const lock = p.lib === 'async-mutex' ? new AsyncMutex() : new Mutex();
    const run = async (n) => {
      for (let i = 0; i < n; i++) await lock.runExclusive(() => i);
    };
    await run(10_000);
    const t0 = process.hrtime.bigint();
    await run(p.n);
    return { ns: Number(process.hrtime.bigint() - t0) / p.n };
  },
  // Wake-up latency: a worker unlocks; how long until the main thread's acquire() resolves.
  asyncWake: async () => {
    const m = new Mutex();
    const shared = controlBuffer();
    const stamp = new SharedArrayBuffer(8);
    const ctl = new Int32Array(shared);
    const w = new Worker(WORKER, { workerData: { kind: 'holder', shared, handle: m.handle, stamp, iterations: p.n } });
    while (Atomics.load(ctl, READY) < 1) await sleep(2);
    Atomics.store(ctl, START, 1);
    Atomics.notify(ctl, START);
    const samples = [];
    for (let i = 0; i < p.n; i++) {
      while (Atomics.load(ctl, 5 * L) !== 1) await sleep(0);
      Atomics.store(ctl, 5 * L, 0);
      const acquired = m.acquire();
      Atomics.store(ctl, 6 * L, i + 1);
      Atomics.notify(ctl, 6 * L);
      const release = await acquired;
      samples.push((performance.timeOrigin + performance.now() - new Float64Array(stamp)[0]) * 1000);
      release();
      Atomics.store(ctl, 8 * L, i + 1);
      Atomics.notify(ctl, 8 * L);
    }
    await new Promise((r) => w.once('exit', r));
    samples.sort((a, b) => a - b);
    return { us: samples[Math.floor(samples.length / 2)], p90: samples[Math.floor(samples.length * 0.9)] };
  },
  // The simulator: transactions per second for one strategy.
  sim: async () => {
    const { preset } = await import('../dist/sim/model/config.js');
    const { openRun } = await import('../dist/sim/open-run.js');
    const config = { ...preset('race'), sync: p.sync, depositors: p.agents, ops: p.ops, windowUs: 0, traceCapacity: 1024 };
    const report = await openRun(config).run();
    const unsafe = p.sync === 'none' || p.sync === 'async'; // these lose updates by design
    if (!unsafe && report.balance !== report.expected) throw new Error(`${p.sync}: balance != expected`);
    return { txPerSec: report.throughput };
  },
  // UI overhead: the same run headless and with the dashboard rendering to an off-screen terminal.
  ui: async () => {
    // React's production build, as the CLI loads it (src/cli.ts): the dashboard users get.
    process.env.NODE_ENV ??= 'production';
    const { preset } = await import('../dist/sim/model/config.js');
    const { openRun } = await import('../dist/sim/open-run.js');
    const config = { ...preset('race'), sync: 'mutex', depositors: p.agents, ops: p.ops, windowUs: 0, traceCapacity: 4096 };
    const sim = openRun(config);
    let frames = 0;
    let instance;
    if (p.withUi) {
      const { Writable } = await import('node:stream');
      const React = (await import('react')).default;
      const { render } = await import('ink');
      const { App } = await import('../dist/ui/App.js');
      const screen = Object.assign(new Writable({ write: (_c, _e, cb) => (frames++, cb()) }), { isTTY: true, columns: 120, rows: 40 });
      const stdin = Object.assign(new (await import('node:stream')).PassThrough(), { isTTY: true, setRawMode() {}, ref() {}, unref() {} });
      instance = render(React.createElement(App, { scenario: 'race', start: () => [sim], onExit() {} }), {
        stdout: screen,
        stdin,
        exitOnCtrlC: false,
        maxFps: 15,
        patchConsole: false,
      });
    }
    const report = await sim.run();
    instance?.unmount();
    return { txPerSec: report.throughput, frames };
  },
};

const fn = cases[name];
if (!fn) {
  console.error(`unknown case ${name}`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(await fn()) + '\n');
process.exit(0);
