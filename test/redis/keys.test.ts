/**
 * A shared server keeps nothing after a run: every key the run writes is under its prefix and
 * carries a TTL, even without cleanup (a killed run). Events come back through the run's stream.
 */
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/sim/stores/redis/connect.js';
import type { RedisStore } from '../../src/sim/stores/redis/store.js';
import { boundedWithdraw, deposit, notifyingDeposit, tellerVisit, waitingWithdraw } from '../helpers/redis-programs.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

describe('run keys', () => {
  it('every key written by every kind of step has the run prefix and a TTL; they expire without cleanup', async () => {
    const TTL = 1500;
    // One store per concurrent program: WATCH is per connection (RedisStore refuses overlapping steps).
    const fx = await openRun(server().url, 4, { balances: [500, 0], permits: 2 }, { fenced: true, lockTtlMs: 1000 }, TTL);
    const raw = await connectRedis(server().url);
    try {
      const [a, b, c, d] = fx.stores as NonNullable<(typeof fx.stores)[0]>[] as [RedisStore, RedisStore, RedisStore, RedisStore];
      const waiter = drive(a, () => waitingWithdraw(600), 1);
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all([
        waiter,
        drive(b, () => notifyingDeposit(100), 2),
        drive(c, () => deposit('watch', 100), 3),
        drive(d, () => deposit('fenced', 100), 1).then(() => drive(d, () => tellerVisit(true), 2)),
      ]);
      await drive(b, () => boundedWithdraw(50), 1);
      await drive(b, () => deposit('incrby', 100), 1);
      await b.perform({ op: 'add', account: 1, delta: 7 });
      await fx.run.publish({ kind: 'test' });
      // A lock wait in progress: its record in the wait-for graph is a run key with a TTL too.
      await a.perform({ op: 'lock', lock: 1 });
      const blocked = b.perform({ op: 'lock', lock: 1 });
      for (let i = 0; i < 500 && !(await raw.exists(fx.run.keys.lockWaits)); i++) await new Promise((r) => setTimeout(r, 10));

      const all = await raw.keys('*');
      expect(all.length).toBeGreaterThan(8);
      expect(all).toContain(fx.run.keys.lockWaits);
      for (const key of all) {
        expect(key.startsWith(fx.run.keys.prefix), key).toBe(true);
        const pttl = await raw.pTTL(key);
        expect(pttl, `${key} has no TTL`).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(TTL);
      }
      await a.perform({ op: 'unlock', lock: 1 });
      await blocked;
      await b.perform({ op: 'unlock', lock: 1 });
      // Nothing is cleaned up here: the TTL alone empties the server, as after a killed run.
      await new Promise((r) => setTimeout(r, TTL + 200));
      expect(await raw.keys('*')).toEqual([]);
    } finally {
      raw.destroy();
      await fx.close();
    }
  });

  it('cleanup() deletes the run keys and only those', async () => {
    const mine = await openRun(server().url, 1, { balances: [0] });
    const other = await openRun(server().url, 1, { balances: [0] });
    try {
      await drive(mine.stores[0]!, () => deposit('lock', 100), 2);
      expect((await mine.run.runKeys()).length).toBeGreaterThan(0);
      expect(await mine.run.cleanup()).toBeGreaterThan(0);
      expect(await mine.run.runKeys()).toEqual([]);
      expect((await other.run.snapshot()).balance).toBe(0);
      expect((await other.run.runKeys()).length).toBeGreaterThan(0);
    } finally {
      await mine.close();
      await other.close();
    }
  });
});

describe('one agent, one connection', () => {
  it('a second step started while one is in flight on the same store is refused, and the first completes', async () => {
    // WATCH belongs to the connection: two programs on one store would abort each other's EXEC.
    const fx = await openRun(server().url, 1, { balances: [0], permits: 0 }, { blockTimeoutMs: 2000 });
    try {
      const store = fx.stores[0]!;
      const blocked = store.perform({ op: 'acquire' });
      await expect(store.perform({ op: 'read', account: 0 })).rejects.toThrow(/step 'read' started while step 'acquire' is still running/);
      await fx.run.init({ balances: [0], permits: 1 });
      await blocked;
      expect((await store.perform({ op: 'read', account: 0 })).value).toBe(0);
    } finally {
      await fx.close();
    }
  });
});

describe('events', () => {
  it('agents publish to the run stream and the coordinator reads them back in order, incrementally', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      const first = await fx.run.readEvents<{ kind: string }>();
      expect(first.map((e) => e.event.kind)).toEqual(['init']);
      await a.publish({ kind: 'write', agent: 0, value: 100 });
      await b.publish({ kind: 'lost', agent: 1, value: 0 });
      const next = await fx.run.readEvents<{ kind: string; agent: number }>(first.at(-1)!.id);
      expect(next.map((e) => [e.event.kind, e.event.agent])).toEqual([
        ['write', 0],
        ['lost', 1],
      ]);
    } finally {
      await fx.close();
    }
  });

  it('a stale write reports what it overwrote and how many updates it erased', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      const seenA = await a.perform({ op: 'read', account: 0 });
      for (let i = 0; i < 3; i++) {
        const seen = await b.perform({ op: 'read', account: 0 });
        await b.perform({ op: 'write', account: 0, seen, value: seen.value + 100 });
      }
      await a.perform({ op: 'write', account: 0, seen: seenA, value: seenA.value + 100 });
      expect(a.lastWrite).toEqual({ account: 0, status: 'stale', overwrote: 300, overwroteBy: 1, erased: 3 });
      const snap = await fx.run.snapshot();
      expect(snap).toMatchObject({ balance: 100, expected: 400, lostUpdates: 3, staleWrites: 1 });
    } finally {
      await fx.close();
    }
  });
});
