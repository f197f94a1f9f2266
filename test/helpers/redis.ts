import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServer } from '../../src/sim/stores/redis/server.js';
import { RunKeys } from '../../src/sim/stores/redis/keys.js';
import { newRunId } from '../../src/sim/stores/redis/connect.js';
import { RedisRun, type RunInit } from '../../src/sim/stores/redis/run.js';
import { RedisStore, type RedisStoreOptions } from '../../src/sim/stores/redis/store.js';
import type { Program, Step } from '../../src/sim/model/steps.js';

/** One private redis-server per test file: started before the first test, always stopped after. */
export function useRedisServer(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('redis-server not started');
    return server;
  };
}

export interface Fixture {
  run: RedisRun;
  stores: RedisStore[];
  close(): Promise<void>;
}

/** A fresh run (own prefix) with `agents` stores, each on its own connection. */
export async function openRun(url: string, agents: number, init: RunInit, options: Omit<RedisStoreOptions, 'agent' | 'keys'> = {}, ttlMs?: number): Promise<Fixture> {
  const keys = new RunKeys(newRunId(), ttlMs);
  const run = await RedisRun.open(url, keys);
  // Connections first, then the opening state: a short key TTL starts when the run does, not
  // while a loaded machine is still opening connections.
  const stores = await Promise.all(Array.from({ length: agents }, (_, agent) => RedisStore.open(url, { ...options, agent, keys })));
  await run.init(init);
  return {
    run,
    stores,
    async close() {
      for (const s of stores) s.close();
      await run.cleanup().catch(() => 0);
      run.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DriveOptions {
  /** The race window: time slept at each `window` step. */
  windowMs?: number;
  /** Extra stall before a given window (Kleppmann's GC pause), by transaction number (1-based). */
  stallMs?: (txn: number) => number;
}

/**
 * A minimal async interpreter for tests: runs `count` programs one after another on one store,
 * performing each step and sleeping through windows. Returns the cents the programs moved.
 */
export async function drive(store: RedisStore, make: () => Program, count: number, options: DriveOptions = {}): Promise<number> {
  let moved = 0;
  for (let txn = 1; txn <= count; txn++) {
    const program = make();
    let next = program.next();
    while (!next.done) {
      const step: Step = next.value;
      let result: unknown;
      if (step.op === 'window') {
        const ms = (options.windowMs ?? 0) + (options.stallMs?.(txn) ?? 0);
        if (ms > 0) await sleep(ms);
      } else {
        result = await store.perform(step);
      }
      next = program.next(result);
    }
    moved += next.value;
  }
  return moved;
}
