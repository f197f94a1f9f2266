import { afterEach } from 'vitest';
import { threads, type Thread } from './threads.js';

/** Starts threads for one test and terminates them after it, whatever happened. */
export function useThreads(): (n: number) => Promise<Thread[]> {
  let started: Thread[] = [];
  afterEach(async () => {
    await Promise.all(started.map((t) => t.terminate()));
    started = [];
  });
  return async (n: number) => {
    const ts = await threads(n);
    started.push(...ts);
    return ts;
  };
}

/** Starts n threads with the given primitives attached under their names. */
export async function attachAll(ts: Thread[], prims: Record<string, { handle: unknown }>): Promise<void> {
  for (const t of ts) for (const [name, p] of Object.entries(prims)) await t.call('attach', name, p.handle);
}
