import { spawnWorker } from '../../src/sim/engine/spawn-worker.js';

/** Runs `workers` stress workers in one mode to completion; resolves with their reports. */
export async function runStress(mode: string | string[], handle: unknown, shared: SharedArrayBuffer, workers: number, n: number) {
  const modes = Array.isArray(mode) ? mode : Array.from({ length: workers }, () => mode);
  const started = modes.map((m) => spawnWorker(new URL('../fixtures/stress-worker.ts', import.meta.url), { workerData: { mode: m, handle, shared, n, workers: modes.length } }));
  return Promise.all(
    started.map(
      (w) =>
        new Promise<{ done: number; maxSeen?: number }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
          w.once('exit', (code) => code !== 0 && reject(new Error(`stress worker exited with ${code}`)));
        }),
    ),
  );
}
