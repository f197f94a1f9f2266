import { threadId } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { spawnWorker } from '../../src/sim/engine/spawn-worker.js';
import { Mutex, Semaphore, watchWorker } from '../../src/sync/index.js';

// A bounded fuzz of mixed operations on real threads (a few seconds): blocking, timed, try and
// async acquires with timeouts, aborts and cancel() on one Mutex and one Semaphore, from three
// workers and the main thread at once, and a holder terminated mid-run. Checked: mutual
// exclusion and the permit bound in every hold, nobody stranded (every thread finishes), and
// both primitives free and whole at the end. Seeds are printed on failure to replay a run.
it('fuzz: mixed operations from 4 threads keep every invariant, and nobody is stranded', async () => {
  const m = new Mutex();
  const permits = 2;
  const s = new Semaphore(permits);
  const shared = new SharedArrayBuffer(12);
  const cells = new Int32Array(shared);
  const ms = 2500;
  const base = (Date.now() & 0xffff) + 1;
  const start = (role: string, seed: number) =>
    spawnWorker(new URL('../fixtures/fuzz-worker.ts', import.meta.url), {
      workerData: { mutex: m.handle, semaphore: s.handle, shared, permits, ms, seed, role },
    });
  const finished = (w: ReturnType<typeof start>) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });

  const victim = start('victim', 0);
  let recovered = 0;
  watchWorker(victim, (n) => (recovered = n));
  await new Promise((resolve) => victim.once('message', resolve));
  const workers = [1, 2, 3].map((k) => start('fuzz', base * 7 + k));
  const results = workers.map(finished);
  setTimeout(() => void victim.terminate(), 300); // dies holding the Mutex while the others run

  const mainOps: Record<string, number> = {};
  const end = performance.now() + ms;
  while (performance.now() < end) {
    try {
      const release = await m.acquire({ timeoutMs: 3 });
      if (Atomics.add(cells, 0, 1) !== 0) Atomics.add(cells, 2, 1);
      await Promise.resolve();
      Atomics.sub(cells, 0, 1);
      release();
      mainOps.acquire = (mainOps.acquire ?? 0) + 1;
      const [, semRelease] = await s.acquire(1, { timeoutMs: 3 });
      if (Atomics.add(cells, 1, 1) + 1 > permits) Atomics.add(cells, 2, 1);
      Atomics.sub(cells, 1, 1);
      semRelease();
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'TimeoutError' && name !== 'CanceledError') throw error;
      mainOps[name] = (mainOps[name] ?? 0) + 1;
    }
  }
  const reports = await Promise.all(results); // every worker finished: nobody stranded
  const total = [...reports, mainOps].reduce((sum, r) => sum + Object.values(r).reduce((a, b) => a + b, 0), 0);
  const context = `seeds ${base * 7 + 1}..${base * 7 + 3}: ${JSON.stringify({ reports, mainOps })}`;
  expect(Atomics.load(cells, 2), context).toBe(0); // no violation of exclusion or of the bound
  expect(recovered, context).toBe(1);
  expect(total, context).toBeGreaterThan(1000);
  expect(m.isLocked(), context).toBe(false);
  expect(s.getValue(), context).toBe(permits);
  const release = await m.acquire({ timeoutMs: 2000 }); // and it still works
  expect(m.owner).toBe(threadId);
  release();
}, 30_000);
