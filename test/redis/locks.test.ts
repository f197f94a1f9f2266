/**
 * Locks on Redis under a stall (Kleppmann, "How to do distributed locking"): agent 0 pauses
 * inside its 2nd deposit, after its read and before its write, for 3x the lock's TTL. Its
 * lease expires, the others take the lock and deposit, then agent 0 wakes and writes its stale
 * balance. A plain SET NX PX lock cannot stop that write; a fencing token can.
 */
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/sim/stores/redis/connect.js';
import { CTRL } from '../../src/sim/stores/redis/protocol.js';
import { Abandoned } from '../../src/sim/stores/memory/thread-store.js';
import { deposit } from '../helpers/redis-programs.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();
const AGENTS = 4;
const DEPOSITS = 20;
// A lease far longer than any ordinary hold (1 ms window + a few round trips), even on a loaded
// machine: only the stalled holder's lease may expire. (At 100 ms, under a load average of 15,
// an ordinary hold sometimes outlived its lease too.)
const LOCK_TTL_MS = 500;
const STALL_MS = 1500;

async function stalled(strategy: 'lock' | 'fenced') {
  const fx = await openRun(server().url, AGENTS, { balances: [0] }, { lockTtlMs: LOCK_TTL_MS, fenced: strategy === 'fenced' });
  try {
    const moved = await Promise.all(
      fx.stores.map((s, agent) =>
        drive(s, () => deposit(strategy, 100), DEPOSITS, {
          windowMs: 1,
          stallMs: (txn) => (agent === 0 && txn === 2 ? STALL_MS : 0),
        }),
      ),
    );
    return { snap: await fx.run.snapshot(), moved: moved.reduce((a, b) => a + b, 0), tokens: fx.stores[0]!.fencingTokens };
  } finally {
    await fx.close();
  }
}

describe('a lock holder stalled past its TTL', () => {
  it('lock (SET NX PX, no fencing): the stalled write erases the deposits made meanwhile', async () => {
    const { snap, moved } = await stalled('lock');
    console.log(`lock: lost ${snap.lostUpdates}, stale writes ${snap.staleWrites}, expired unlocks ${snap.lockLost}`);
    expect(moved).toBe(AGENTS * DEPOSITS * 100);
    expect(snap.expected).toBe(moved);
    expect(snap.lostUpdates).toBeGreaterThan(0);
    expect(snap.expected - snap.balance).toBe(snap.lostUpdates * 100);
    // Agent 0's write is stale; if another agent was inside its own read-write when it landed,
    // that agent's write is stale too (it erases agent 0's deposit instead): lost >= 1 either way.
    expect(snap.staleWrites).toBeGreaterThanOrEqual(1);
    // Agent 0's unlock found its lease gone (compare-and-delete released nothing).
    expect(snap.lockLost).toBe(1);
  });

  it('fenced: the stalled write is rejected, nothing is lost, the balance is what was accepted', async () => {
    const { snap, moved } = await stalled('fenced');
    console.log(`fenced: lost ${snap.lostUpdates}, rejected ${snap.fencedRejects}, expired unlocks ${snap.lockLost}`);
    expect(snap.lostUpdates).toBe(0);
    expect(snap.staleWrites).toBe(0);
    expect(snap.fencedRejects).toBe(1);
    expect(snap.balance).toBe(snap.expected);
    // The rejected deposit is the only money missing from what the programs moved.
    expect(snap.expected).toBe(moved - 100);
    expect(snap.lockLost).toBe(1);
  });

  it('lock with a TTL longer than any hold is exact under a 1 ms window', async () => {
    const fx = await openRun(server().url, AGENTS, { balances: [0] }, { lockTtlMs: 5000 });
    try {
      await Promise.all(fx.stores.map((s) => drive(s, () => deposit('lock', 100), DEPOSITS, { windowMs: 1 })));
      const snap = await fx.run.snapshot();
      expect(snap.balance).toBe(AGENTS * DEPOSITS * 100);
      expect(snap.lostUpdates).toBe(0);
      expect(snap.lockLost).toBe(0);
    } finally {
      await fx.close();
    }
  });

  it('tryLock never blocks, and a second holder is refused until unlock', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      expect(await a.perform({ op: 'tryLock', lock: 3 })).toBe(true);
      expect(await b.perform({ op: 'tryLock', lock: 3 })).toBe(false);
      await b.perform({ op: 'unlock', lock: 3 }); // not b's: releases nothing
      expect(await b.perform({ op: 'tryLock', lock: 3 })).toBe(false);
      await a.perform({ op: 'unlock', lock: 3 });
      expect(await b.perform({ op: 'tryLock', lock: 3 })).toBe(true);
    } finally {
      await fx.close();
    }
  });
});

/** Reads until `ok` holds (at most ~5 s; the assertion after it says what was expected). */
async function until<T>(read: () => Promise<T>, ok: (x: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const x = await read();
    if (ok(x) || i >= 500) return x;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the wait-for graph on Redis', () => {
  it('two agents taking two locks in opposite order: the snapshot names each holder and each waiter; stopping the run ends both waits', async () => {
    const fx = await openRun(server().url, 2, { balances: [0, 0] }, { lockTtlMs: 10_000, blockTimeoutMs: 20_000 });
    const raw = await connectRedis(server().url);
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      await a.perform({ op: 'lock', lock: 0 });
      await b.perform({ op: 'lock', lock: 1 });
      expect((await fx.run.snapshot()).lockHolders).toEqual([0, 1]);
      const waits = [a.perform({ op: 'lock', lock: 1 }), b.perform({ op: 'lock', lock: 0 })];
      const settled = Promise.allSettled(waits);
      const snap = await until(
        () => fx.run.snapshot(),
        (x) => x.lockWaits.size === 2,
      );
      // The cycle, read in one MULTI: 0 waits for lock 1 held by 1, 1 waits for lock 0 held by 0.
      expect(snap.lockHolders).toEqual([0, 1]);
      expect([...snap.lockWaits].sort()).toEqual([
        [0, 1],
        [1, 0],
      ]);
      // The lock script reads the run's control: a stopping run wakes the waiters and they give up.
      await raw.hSet(fx.run.keys.control, 'c', CTRL.STOPPING);
      for (const n of [0, 1]) await raw.rPush(fx.run.keys.lockWake(n), '1');
      await settled;
      for (const wait of waits) await expect(wait).rejects.toBeInstanceOf(Abandoned);
      expect((await fx.run.snapshot()).lockWaits.size).toBe(0);
      // Still held: giving up a wait lets go of nothing (the agent's releaseAll does that).
      expect((await fx.run.snapshot()).lockHolders).toEqual([0, 1]);
    } finally {
      raw.destroy();
      await fx.close();
    }
  });

  it('a waiter that gets the lock is no longer recorded as waiting', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      await a.perform({ op: 'lock', lock: 0 });
      const waiting = b.perform({ op: 'lock', lock: 0 });
      let snap = await until(
        () => fx.run.snapshot(),
        (x) => x.lockWaits.size === 1,
      );
      expect([...snap.lockWaits]).toEqual([[1, 0]]);
      await a.perform({ op: 'unlock', lock: 0 });
      await waiting;
      snap = await fx.run.snapshot();
      expect(snap.lockHolders).toEqual([1]);
      expect(snap.lockWaits.size).toBe(0);
      await b.perform({ op: 'unlock', lock: 0 });
      expect((await fx.run.snapshot()).lockHolders).toEqual([null]);
    } finally {
      await fx.close();
    }
  });
});
