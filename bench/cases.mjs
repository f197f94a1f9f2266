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

/** Starts `workers` bench workers, runs them for `ms`, returns per-worker op counts. */
async function contend(kind, workers, ms, extra = {}) {
  const shared = new SharedArrayBuffer(64);
  const ctl = new Int32Array(shared);
  const ws = Array.from({ length: workers }, (_, i) => new Worker(WORKER, { workerData: { kind, shared, me: i, ...extra } }));
  const reports = ws.map((w) => new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject))));
  while (Atomics.load(ctl, 3) < workers) await sleep(5);
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  const t0 = performance.now();
  await sleep(ms);
  Atomics.store(ctl, 1, 1);
  const ops = (await Promise.all(reports)).map((r) => r.ops);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(ws.map((w) => w.terminate()));
  const total = ops.reduce((a, b) => a + b, 0);
  if (kind !== 'atomic' && ctl[2] !== total) throw new Error(`${kind}: counter ${ctl[2]} != ${total} ops: mutual exclusion broken`);
  return { opsPerSec: total / seconds, minShare: Math.min(...ops) / total, maxShare: Math.max(...ops) / total };
}

const cases = {
  // Uncontended lock+unlock on one thread, ns per pair.
  floor: () => {
    const c = new Int32Array(new SharedArrayBuffer(4));
    return { ns: nsPerOp(p.n, (n) => {
      for (let i = 0; i < n; i++) {
        Atomics.compareExchange(c, 0, 0, 1);
        Atomics.store(c, 0, 0);
      }
    }) };
  },
  mutex: () => {
    const m = new Mutex({ fair: p.fair ?? false });
    return { ns: nsPerOp(p.n, (n) => {
      for (let i = 0; i < n; i++) {
        m.lock();
        m.unlock();
      }
    }) };
  },
  rlock: () => {
    const m = new RLock();
    return { ns: nsPerOp(p.n, (n) => {
      for (let i = 0; i < n; i++) {
        m.lock();
        m.unlock();
      }
    }) };
  },
  native: () => {
    const m = new Atomics.Mutex();
    const noop = () => {};
    return { ns: nsPerOp(p.n, (n) => {
      for (let i = 0; i < n; i++) Atomics.Mutex.lock(m, noop);
    }) };
  },
  semaphore: () => {
    const s = new Semaphore(1);
    return { ns: nsPerOp(p.n, (n) => {
      for (let i = 0; i < n; i++) {
        s.acquireSync();
        s.release();
      }
    }) };
  },
  // Contended: workers incrementing one counter under the lock.
  contended: async () => {
    if (p.kind === 'native') return contend('native', p.workers, p.ms, { native: new Atomics.Mutex() });
    if (p.kind === 'atomic') return contend('atomic', p.workers, p.ms);
    if (p.kind === 'semaphore') return contend('semaphore', p.workers, p.ms, { handle: new Semaphore(p.permits).handle });
    return contend('mutex', p.workers, p.ms, { handle: new Mutex({ fair: p.kind === 'fair' }).handle });
  },
  // Condition hand-off between two workers: µs per hand-off.
  pingpong: async () => {
    const t0 = performance.now();
    const shared = new SharedArrayBuffer(64);
    const extra = p.native
      ? { native: new Atomics.Mutex(), cond: new Atomics.Condition() }
      : { handle: new Condition(new Mutex()).handle };
    const kind = p.native ? 'native-pingpong' : 'pingpong';
    const ws = [0, 1].map((me) => new Worker(WORKER, { workerData: { kind, shared, me, iterations: p.n, ...extra } }));
    const ctl = new Int32Array(shared);
    while (Atomics.load(ctl, 3) < 2) await sleep(2);
    const start = performance.now();
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
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
    const shared = new SharedArrayBuffer(64);
    const stamp = new SharedArrayBuffer(8);
    const ctl = new Int32Array(shared);
    const w = new Worker(WORKER, { workerData: { kind: 'holder', shared, handle: m.handle, stamp, iterations: p.n } });
    while (Atomics.load(ctl, 3) < 1) await sleep(2);
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    const samples = [];
    for (let i = 0; i < p.n; i++) {
      while (Atomics.load(ctl, 5) !== 1) await sleep(0);
      Atomics.store(ctl, 5, 0);
      const acquired = m.acquire();
      Atomics.store(ctl, 6, i + 1);
      Atomics.notify(ctl, 6);
      const release = await acquired;
      samples.push((performance.timeOrigin + performance.now() - new Float64Array(stamp)[0]) * 1000);
      release();
      Atomics.store(ctl, 8, i + 1);
      Atomics.notify(ctl, 8);
    }
    await new Promise((r) => w.once('exit', r));
    samples.sort((a, b) => a - b);
    return { us: samples[Math.floor(samples.length / 2)], p90: samples[Math.floor(samples.length * 0.9)] };
  },
  // The simulator: transactions per second for one strategy.
  sim: async () => {
    const { preset } = await import('../dist/sim/config.js');
    const { Simulation } = await import('../dist/sim/simulation.js');
    const config = { ...preset('race'), sync: p.sync, depositors: p.agents, ops: p.ops, windowUs: 0, traceCapacity: 1024 };
    const report = await new Simulation(config).run();
    const unsafe = p.sync === 'none' || p.sync === 'async'; // these lose updates by design
    if (!unsafe && report.balance !== report.expected) throw new Error(`${p.sync}: balance != expected`);
    return { txPerSec: report.throughput };
  },
  // UI overhead: the same run headless and with the dashboard rendering to an off-screen terminal.
  ui: async () => {
    const { preset } = await import('../dist/sim/config.js');
    const { Simulation } = await import('../dist/sim/simulation.js');
    const config = { ...preset('race'), sync: 'mutex', depositors: p.agents, ops: p.ops, windowUs: 0, traceCapacity: 4096 };
    const sim = new Simulation(config);
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
