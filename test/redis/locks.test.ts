/**
 * Locks on Redis under a stall (Kleppmann, "How to do distributed locking"): agent 0 pauses
 * inside its 2nd deposit, after its read and before its write, for 3x the lock's TTL. Its
 * lease expires, the others take the lock and deposit, then agent 0 wakes and writes its stale
 * balance. A plain SET NX PX lock cannot stop that write; a fencing token can.
 */
import { describe, expect, it } from 'vitest';
import { deposit } from '../helpers/redis-programs.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();
const AGENTS = 4;
const DEPOSITS = 20;
const LOCK_TTL_MS = 100;
const STALL_MS = 300;

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
