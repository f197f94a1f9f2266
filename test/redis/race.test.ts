/**
 * The race on a real redis-server: 8 agents, each on its own connection, deposit $1 x 200.
 * GET/SET with a window loses updates; every other strategy is exact.
 */
import { describe, expect, it } from 'vitest';
import { deposit, type RedisStrategy } from '../helpers/redis-programs.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const AGENTS = 8;
const DEPOSITS = 200;
const CENTS = 100;
const server = useRedisServer();

async function race(strategy: RedisStrategy, windowMs: number) {
  const fx = await openRun(
    server().url,
    AGENTS,
    { balances: [0] },
    {
      fenced: strategy === 'fenced',
      addVia: strategy === 'lua' ? 'script' : 'incrby',
    },
  );
  try {
    const started = performance.now();
    const moved = await Promise.all(fx.stores.map((s) => drive(s, () => deposit(strategy, CENTS), DEPOSITS, { windowMs })));
    const ms = performance.now() - started;
    const snap = await fx.run.snapshot();
    return { snap, moved: moved.reduce((a, b) => a + b, 0), ms };
  } finally {
    await fx.close();
  }
}

describe('race on Redis (8 connections x 200 deposits of $1)', () => {
  it('none (GET, 1 ms window, SET) loses updates, and the bookkeeping matches the money', async () => {
    const { snap, moved } = await race('none', 1);
    console.log(`none: lost ${snap.lostUpdates} of ${AGENTS * DEPOSITS}, stale writes ${snap.staleWrites}`);
    expect(moved).toBe(AGENTS * DEPOSITS * CENTS);
    expect(snap.expected).toBe(moved);
    expect(snap.lostUpdates).toBeGreaterThan((AGENTS * DEPOSITS) / 4);
    // Every lost deposit is $1 missing from the balance, and vice versa.
    expect(snap.expected - snap.balance).toBe(snap.lostUpdates * CENTS);
    // Each lost update was erased by some stale write (one stale write can erase several).
    expect(snap.staleWrites).toBeGreaterThan(0);
  });

  // No window here: the agents still interleave through their round trips (watch aborts show it);
  // locks under a window and a stall are tested in locks.test.ts.
  for (const strategy of ['incrby', 'lua', 'watch', 'lock', 'fenced'] as const) {
    it(`${strategy} is exact`, async () => {
      const { snap, moved, ms } = await race(strategy, 0);
      console.log(`${strategy}: balance ${snap.balance} expected ${snap.expected} aborts ${snap.aborts} in ${ms.toFixed(0)} ms`);
      expect(snap.balance).toBe(AGENTS * DEPOSITS * CENTS);
      expect(snap.expected).toBe(moved);
      expect(snap.lostUpdates).toBe(0);
      expect(snap.staleWrites).toBe(0);
      expect(snap.accounts[0]!.commits).toBe(AGENTS * DEPOSITS);
      if (strategy === 'watch') expect(snap.aborts).toBeGreaterThan(0);
      else expect(snap.aborts).toBe(0);
      if (strategy === 'lock' || strategy === 'fenced') expect(snap.lockLost).toBe(0);
    });
  }
});
