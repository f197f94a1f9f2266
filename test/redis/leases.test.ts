/**
 * Leases (issue 16, case 1): every key of a run is created with the run's TTL, and renewed while
 * the run lives. A run lasting several times its key TTL, renewed as the coordinator renews it,
 * ends with every key still there and the money exact; no key is ever found without a TTL.
 */
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../src/sim/model/config.js';
import { transaction } from '../../src/sim/model/programs.js';
import type { Seen, Step, WriteResult } from '../../src/sim/model/steps.js';
import { connectRedis } from '../../src/sim/stores/redis/connect.js';
import { RedisStore } from '../../src/sim/stores/redis/store.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';
import { tellerVisit } from '../helpers/redis-programs.js';

const server = useRedisServer();
const TTL = 1000;
const RUN_MS = 3.5 * TTL;

const DEPOSIT = { role: 'depositor', amount: 100, from: 0, to: 0 } as const;
const STRATEGIES: Strategy[] = ['incrby', 'lua', 'watch', 'lock'];

/** A deposit into `account` under its own lock (the engine's programs use account 0 only). */
function* lockedDeposit(account: number): Generator<Step, number, unknown> {
  for (;;) {
    yield { op: 'lock', lock: account };
    const seen = (yield { op: 'read', account }) as Seen;
    yield { op: 'window' };
    const w = (yield { op: 'write', account, seen, value: seen.value + 100 }) as WriteResult;
    yield { op: 'unlock', lock: account };
    if (!w.rejected) return 100;
  }
}

/**
 * Deposits under `sync` until `until`, each transaction with its own job id; returns the cents
 * moved. The atomic strategies share account 0 (they mix safely); lock and fenced, whose writes
 * would erase an INCRBY landing inside their read-modify-write, have accounts 1 and 2.
 */
async function depositUntil(store: RedisStore, sync: Strategy, until: number): Promise<number> {
  let moved = 0;
  for (let op = 1; Date.now() < until; op++) {
    store.job = `${store.agent}:${op}`;
    const program = sync === 'lock' ? () => lockedDeposit(1) : sync === 'fenced' ? () => lockedDeposit(2) : () => transaction(sync, 'naive', DEPOSIT);
    moved += await drive(store, program, 1, { windowMs: 10 });
  }
  return moved;
}

describe('leases of a run', () => {
  it(`a run of ${RUN_MS / TTL}x its key TTL, renewed every TTL/4: every key is still there, with a TTL, and the money is exact`, async () => {
    const fx = await openRun(server().url, STRATEGIES.length, { balances: [0, 0, 0], permits: 1 }, { lockTtlMs: 500 }, TTL);
    const noTtl: string[] = [];
    let renewals = 0;
    // The coordinator's part: renew every TTL/4, and beat.
    const renewing = setInterval(() => {
      void fx.run.renewLeases().then((r) => {
        renewals++;
        noTtl.push(...r.hadNoTtl);
      });
      void fx.run.beat();
    }, TTL / 4);
    const raw = await connectRedis(server().url);
    // The fenced agent's store hands out fencing tokens (a store option), and a teller.
    const fenced = await RedisStore.open(server().url, { agent: STRATEGIES.length, keys: fx.run.keys, fenced: true, lockTtlMs: 500 });
    const tellers = await RedisStore.open(server().url, { agent: STRATEGIES.length + 1, keys: fx.run.keys });
    const stores = [...fx.stores, fenced];
    try {
      const until = Date.now() + RUN_MS;
      const [moved] = await Promise.all([
        Promise.all([...STRATEGIES, 'fenced' as const].map((sync, i) => depositUntil(stores[i]!, sync, until))).then((m) => m.reduce((a, b) => a + b, 0)),
        (async () => {
          while (Date.now() < until) {
            await drive(tellers, () => tellerVisit(true), 1, { windowMs: 10 });
            await fx.run.publish({ kind: 'tick' });
          }
        })(),
      ]);
      clearInterval(renewing);
      expect(renewals).toBeGreaterThanOrEqual(3);
      const snap = await fx.run.snapshot();
      expect([snap.balance, snap.expected, snap.lostUpdates]).toEqual([moved, moved, 0]);
      expect(snap.permitsFree).toBe(1);
      // The ledger has every transaction, each applied once.
      const applied = await fx.run.appliedJobs();
      expect(applied.size).toBe(moved / 100);
      for (const job of applied.values()) expect(job.count).toBe(1);
      // Every key of the run, the bookkeeping ones included, is there and has a TTL.
      const keys = await fx.run.runKeys();
      const k = fx.run.keys;
      for (const key of [k.account(0), k.meta(0), k.account(2), k.meta(2), k.fence, k.stats, k.permits, k.fence, k.serving, k.applied, k.appliedCents, k.events])
        expect(keys).toContain(key);
      for (const key of keys) expect(await raw.pTTL(key), `${key} has no TTL`).toBeGreaterThan(0);
      expect(noTtl).toEqual([]);
    } finally {
      clearInterval(renewing);
      fenced.close();
      tellers.close();
      raw.destroy();
      await fx.close();
    }
  });

  it('renewLeases leaves the leases that mean something alone (a lock, the heartbeat), and finds a key without TTL', async () => {
    const fx = await openRun(server().url, 1, { balances: [0] }, { lockTtlMs: 300 }, 60_000);
    const raw = await connectRedis(server().url);
    try {
      await fx.stores[0]!.perform({ op: 'lock', lock: 0 });
      await fx.run.beat(700);
      await raw.set(`${fx.run.keys.prefix}stray`, '1'); // a write path that forgot the TTL
      const r = await fx.run.renewLeases();
      expect(r.hadNoTtl).toEqual([`${fx.run.keys.prefix}stray`]);
      expect(await raw.pTTL(fx.run.keys.lock(0))).toBeLessThanOrEqual(300);
      expect(await raw.pTTL(fx.run.keys.heartbeat)).toBeLessThanOrEqual(700);
      expect(await raw.pTTL(fx.run.keys.account(0))).toBeGreaterThan(59_000);
      expect(await fx.run.coordinatorAlive()).toBe(true);
    } finally {
      raw.destroy();
      await fx.close();
    }
  });
});
