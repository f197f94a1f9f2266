/**
 * Leases of a run's keys, and the coordinator's heartbeat.
 *
 * Every key of a run is written with the run's TTL (keys.ttlMs) in the same command, script or
 * MULTI that creates it, so a killed run leaves nothing behind for long. A run that lasts longer
 * than its TTL must renew them: renewLeases() re-PEXPIREs every key of the run (found by SCAN on
 * the run's prefix), except the ones whose short lease is their meaning: the locks (a lock's TTL
 * is its lease, --lock-ttl) and the heartbeat.
 *
 * The heartbeat is one key with a short PX that the coordinator refreshes (beat) every ~500 ms;
 * agents read it with their figures and leave when it is gone: their coordinator is dead.
 */
import type { RedisConn } from './connect.js';
import type { RunKeys } from './keys.js';

/** How long the heartbeat key lives after a beat: agents give up this long after the last one. */
export const HEARTBEAT_TTL_MS = 5000;
/** How often the coordinator should beat. */
export const HEARTBEAT_EVERY_MS = 500;

/** Keys whose TTL is not the run's lease: a lock's PX is its lease, the heartbeat's is its timeout. */
function ownLease(keys: RunKeys, key: string): boolean {
  return key === keys.heartbeat || key.startsWith(`${keys.prefix}lock:`);
}

export interface Renewal {
  /** Keys whose TTL was set back to keys.ttlMs. */
  renewed: number;
  /** Keys that had no TTL at all before the renewal (a bug: some write path forgot it). */
  hadNoTtl: string[];
}

/**
 * Re-PEXPIREs every key of the run to keys.ttlMs (one SCAN, then one pipeline per batch:
 * PTTL and PEXPIRE of each key). Call it periodically (say every ttl/3) while the run lives.
 */
export async function renewLeases(client: RedisConn, keys: RunKeys): Promise<Renewal> {
  const result: Renewal = { renewed: 0, hadNoTtl: [] };
  for await (const batch of client.scanIterator({ MATCH: keys.pattern, COUNT: 500 })) {
    const mine = batch.filter((key) => !ownLease(keys, key));
    if (mine.length === 0) continue;
    const multi = client.multi();
    for (const key of mine) multi.pTTL(key).pExpire(key, keys.ttlMs);
    const replies = await multi.execAsPipeline();
    mine.forEach((key, i) => {
      if (Number(replies[2 * i]) === -1) result.hadNoTtl.push(key);
      if (Number(replies[2 * i + 1]) === 1) result.renewed++;
    });
  }
  return result;
}

/** The coordinator is alive: the heartbeat key lives for ttlMs more. */
export async function beat(client: RedisConn, keys: RunKeys, ttlMs = HEARTBEAT_TTL_MS): Promise<void> {
  await client.set(keys.heartbeat, String(Date.now()), { PX: ttlMs });
}

/** True while the coordinator's heartbeat key exists. */
export async function coordinatorAlive(client: RedisConn, keys: RunKeys): Promise<boolean> {
  return (await client.exists(keys.heartbeat)) === 1;
}
