/**
 * The store a command runs on, for the command's whole life: shared memory (nothing to set up),
 * or Redis (the server the user named, checked before anything starts, or a private
 * redis-server on a free loopback port, stopped whatever happens). Every command opens its runs
 * through `open`, so a command never forks on the store.
 */
import type { SimConfig } from '../sim/model/config.js';
import type { SimRun } from '../sim/open-run.js';
import type { RedisCommandOptions } from './redis-args.js';

export interface StoreSession {
  /** Opens a run of `config` on this store (not started). */
  open(config: SimConfig, options?: { collectTrace?: boolean }): SimRun;
  close(): Promise<void>;
}

/**
 * The stores (and the Redis client under them) are loaded here, on demand, not when the CLI
 * starts: the signal handlers are in place first, and a command that runs nothing stays fast.
 */
export async function openSession(redis: RedisCommandOptions | null): Promise<StoreSession> {
  const { openRun } = await import('../sim/open-run.js');
  if (redis === null) return { open: (config, options = {}) => openRun({ ...config, store: 'memory' }, options), close: async () => {} };
  const { connectRedis, disconnect } = await import('../sim/stores/redis/connect.js');
  const { startRedisServer } = await import('../sim/stores/redis/server.js');
  let url = redis.url;
  const server = url === null ? await startRedisServer() : null;
  if (server) url = server.url;
  else disconnect(await connectRedis(url!)); // unreachable: a clear error in seconds, before anything starts
  const { url: _given, ...how } = redis;
  return {
    open: (config, options = {}) => openRun({ ...config, store: 'redis' }, { ...options, redis: { ...how, url: url! } }),
    close: async () => {
      await server?.stop();
    },
  };
}
