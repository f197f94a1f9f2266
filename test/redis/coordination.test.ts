/**
 * The other scenarios' primitives on a real redis-server: a withdraw that never overdraws (Lua
 * check-and-write), the tellers' counting semaphore, and withdrawers waiting for funds.
 */
import { describe, expect, it } from 'vitest';
import { boundedWithdraw, checkThenWithdraw, notifyingDeposit, tellerVisit, waitingWithdraw } from '../helpers/redis-programs.js';
import { RedisWaitTimeoutError } from '../../src/sim/stores/redis/errors.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();
const AGENTS = 8;

describe('bounded withdraw', () => {
  it('the Lua check-and-write never overdraws: exactly the funds are taken, the rest refused', async () => {
    const fx = await openRun(server().url, AGENTS, { balances: [1000] });
    try {
      const moved = await Promise.all(fx.stores.map((s) => drive(s, () => boundedWithdraw(100), 25)));
      const snap = await fx.run.snapshot();
      expect(snap.balance).toBe(0);
      expect(moved.reduce((a, b) => a + b, 0)).toBe(-1000);
      expect(snap.denied).toBe(AGENTS * 25 - 10);
      expect(snap.balance).toBe(snap.expected);
    } finally {
      await fx.close();
    }
  });

  it('check, window, DECRBY (the check is stale) does overdraw', async () => {
    const fx = await openRun(server().url, AGENTS, { balances: [1000] });
    try {
      await Promise.all(fx.stores.map((s) => drive(s, () => checkThenWithdraw(100), 5, { windowMs: 2 })));
      const snap = await fx.run.snapshot();
      console.log(`check-then-DECRBY: balance ${snap.balance}`);
      expect(snap.balance).toBeLessThan(0);
    } finally {
      await fx.close();
    }
  });
});

describe('tellers: the Redis counting semaphore (a list of K permits, BLPOP/RPUSH)', () => {
  const K = 3;
  it(`never more than ${K} customers served at once, and every permit comes back`, async () => {
    const fx = await openRun(server().url, AGENTS, { balances: [0], permits: K });
    try {
      await Promise.all(fx.stores.map((s) => drive(s, () => tellerVisit(true), 8, { windowMs: 2 })));
      const snap = await fx.run.snapshot();
      console.log(`semaphore: max served at once ${snap.maxServing}`);
      expect(snap.maxServing).toBeLessThanOrEqual(K);
      expect(snap.maxServing).toBeGreaterThanOrEqual(2); // the permits were really shared
      expect(snap.serving).toBe(0);
      expect(snap.permitsFree).toBe(K);
    } finally {
      await fx.close();
    }
  });

  it('without the semaphore the counter does see more than K (the check can fail)', async () => {
    const fx = await openRun(server().url, AGENTS, { balances: [0], permits: K });
    try {
      await Promise.all(fx.stores.map((s) => drive(s, () => tellerVisit(false), 8, { windowMs: 2 })));
      expect((await fx.run.snapshot()).maxServing).toBeGreaterThan(K);
    } finally {
      await fx.close();
    }
  });
});

describe('condition: withdrawers wait for funds (BLPOP on their wake list, no polling)', () => {
  it('every waiting withdrawal completes once deposits cover it; nothing overdraws', async () => {
    const WITHDRAWERS = 3;
    const fx = await openRun(server().url, WITHDRAWERS + 1, { balances: [0] }, { blockTimeoutMs: 5000 });
    try {
      const withdrawers = fx.stores.slice(0, WITHDRAWERS).map((s) => drive(s, () => waitingWithdraw(300), 1));
      // Let the withdrawers find the account empty and go to sleep first.
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const depositor = drive(fx.stores[WITHDRAWERS]!, () => notifyingDeposit(100), 9, { windowMs: 1 });
      const moved = await Promise.all([...withdrawers, depositor]);
      const ms = performance.now() - started;
      const snap = await fx.run.snapshot();
      expect(moved).toEqual([-300, -300, -300, 900]);
      expect(snap.balance).toBe(0);
      expect(snap.lostUpdates).toBe(0);
      expect(snap.lockLost).toBe(0);
      // Woken by notifies, not by timeouts: done long before the 5 s block timeout.
      expect(ms).toBeLessThan(2000);
    } finally {
      await fx.close();
    }
  });

  it('a wait nobody answers ends with a typed timeout, not a hang', async () => {
    const fx = await openRun(server().url, 1, { balances: [0] }, { blockTimeoutMs: 300 });
    try {
      const waited = drive(fx.stores[0]!, () => waitingWithdraw(100), 1);
      await expect(waited).rejects.toBeInstanceOf(RedisWaitTimeoutError);
      await expect(waited).rejects.toThrow(/nobody notified/);
    } finally {
      await fx.close();
    }
  });
});
