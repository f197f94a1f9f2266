/**
 * Opens a run of a config on the store it names: the one Run (engine/run.ts) over the
 * shared-memory backend or the Redis backend. Commands, the dashboard, replay and tests open
 * runs here and never look at which store is under them.
 */
import { Run } from './engine/run.js';
import type { SimConfig } from './model/config.js';
import { MemoryBackend } from './stores/memory/backend.js';
import { RedisBackend, type RedisFacts, type RedisRunOptions } from './stores/redis/backend.js';
import type { OnDeadlock } from './stores/redis/protocol.js';

/** A run on any store (the facts are there on Redis only). */
export type SimRun = Run<RedisFacts>;

export interface OpenOptions {
  /** Keep every event of the run (for --trace and the stories of a whole run). */
  collectTrace?: boolean;
  /** Runs on Redis: the server and how the agents run (required when config.store is redis). */
  redis?: Omit<RedisRunOptions, 'collectTrace'> & { onDeadlock?: OnDeadlock };
}

export class StoreNotGivenError extends Error {
  override name = 'StoreNotGivenError';
}

export function openRun(config: SimConfig, options: OpenOptions = {}): SimRun {
  if ((config.store ?? 'memory') === 'redis') {
    const redis = options.redis;
    if (!redis) throw new StoreNotGivenError('a run on Redis needs its server: pass options.redis (the URL and how the agents run)');
    return new Run(config, new RedisBackend(config, { ...redis, collectTrace: options.collectTrace }), { onDeadlock: redis.onDeadlock });
  }
  return new Run<RedisFacts>(config, new MemoryBackend(config, { collectTrace: options.collectTrace }));
}
