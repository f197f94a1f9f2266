import type { Condition } from '../../src/sync/index.js';
import { spawnWorker } from '../../src/sim/engine/spawn-worker.js';

/** Runs a producer and a consumer worker for n hand-offs; resolves with the consumer's tally. */
export async function runHandoffs(c: Condition, n: number): Promise<{ sum: number; consumed: number }> {
  const slot = new SharedArrayBuffer(8);
  const start = (role: string) => spawnWorker(new URL('../fixtures/handoff-worker.ts', import.meta.url), { workerData: { role, handle: c.handle, slot, n } });
  const workers = [start('producer'), start('consumer')];
  const results = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ sum: number; consumed: number }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
          w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        }),
    ),
  );
  return results[1]!;
}
