import { describe, expect, it } from 'vitest';
import { Condition, Mutex, NotOwnerError, RLock } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { eventually, settlesWithin, sleep } from '../helpers/threads.js';

const spawn = useThreads();

describe('Condition', () => {
  it('wait and notify without holding the mutex raise NotOwnerError (10)', async () => {
    const c = new Condition(new Mutex());
    expect(() => c.wait(10)).toThrow(NotOwnerError);
    expect(() => c.notify()).toThrow(NotOwnerError);
    expect(() => c.notifyAll()).toThrow(NotOwnerError);
    await expect(c.waitAsync(10)).rejects.toThrow(NotOwnerError);
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await a!.call('condLock', 'c'); // held by another thread: still not ours
    expect(() => c.notify()).toThrow(/must hold the condition's mutex/);
    expect((await a!.error('notify', 'nope')).message).toMatch(/no primitive/);
    expect(c.waiting).toBe(0);
  });

  it('notify(3) wakes exactly 3 of 5 waiters, only after the notifier unlocks; notifyAll the rest (11)', async () => {
    const c = new Condition(new Mutex());
    const ts = await spawn(5);
    await attachAll(ts, { c });
    const waits = ts.map(async (t) => {
      await t.call('condLock', 'c');
      const r = await t.call('condWait', 'c');
      await t.call('condUnlock', 'c');
      return r;
    });
    const done = waits.map((w) => {
      const box = { settled: false };
      void w.then(() => (box.settled = true));
      return box;
    });
    await eventually(() => c.waiting === 5, 5000, 'five waiters');
    c.mutex.lock();
    c.notify(3);
    await sleep(100);
    expect(done.filter((d) => d.settled)).toHaveLength(0); // we still hold the mutex
    c.mutex.unlock();
    await eventually(() => done.filter((d) => d.settled).length === 3, 5000, 'three woken');
    await sleep(150);
    expect(done.filter((d) => d.settled)).toHaveLength(3); // exactly three, not four
    expect(c.waiting).toBe(2);
    c.mutex.lock();
    c.notifyAll();
    c.mutex.unlock();
    const results = await Promise.all(waits);
    for (const r of results) {
      expect(r.notified).toBe(true);
      expect(r.holds).toBe(true);
    }
    expect(c.waiting).toBe(0);
  });

  it('wait(500) times out, returns false and holds the mutex again (12)', async () => {
    const c = new Condition(new Mutex());
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await a!.call('condLock', 'c');
    const r = await a!.call('condWait', 'c', 500);
    expect(r.notified).toBe(false);
    expect(r.holds).toBe(true);
    expect(r.elapsed).toBeGreaterThanOrEqual(300);
    expect(r.elapsed).toBeLessThan(5000);
    expect(c.mutex.owner).toBe(a!.worker.threadId);
    expect(c.waiting).toBe(0);
  });

  it('waitFor returns true once the predicate holds, false after its timeout otherwise (13)', async () => {
    const c = new Condition(new Mutex());
    const cell = new SharedArrayBuffer(4);
    const view = new Int32Array(cell);
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await a!.call('condLock', 'c');
    const never = await a!.call('condWaitFor', 'c', cell, 0, 1, 100);
    expect(never.result).toBe(false);
    expect(never.elapsed).toBeGreaterThanOrEqual(60);
    expect(never.elapsed).toBeLessThan(1000);
    expect(never.holds).toBe(true);
    const pending = a!.call('condWaitFor', 'c', cell, 0, 3);
    await eventually(() => c.waiting === 1);
    for (let i = 1; i <= 3; i++) {
      await c.mutex.runExclusive(() => {
        Atomics.store(view, 0, i);
        c.notify(); // wakes it for 1 and 2 too: spurious for its predicate, which it re-checks
      });
      if (i < 3) {
        expect(await settlesWithin(pending, 50)).toBe(false);
      }
    }
    const r = await pending;
    expect(r.result).toBe(true);
    expect(r.holds).toBe(true);
  });

  it('loses no wake-up: 100k producer/consumer hand-offs between two workers', async () => {
    // A notify landing between a waiter's unlock and its sleep must still wake it; with a
    // lost wake-up this test hangs on its own deadlines instead of finishing.
    const c = new Condition(new Mutex());
    const { runHandoffs } = await import('../helpers/handoff.js');
    const result = await runHandoffs(c, 100_000);
    expect(result.consumed).toBe(100_000);
    expect(result.sum).toBe((100_000 * 100_001) / 2);
  });

  it('works with an RLock held several levels deep, restoring the depth', async () => {
    const r = new RLock();
    const c = new Condition(r);
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    r.lock();
    r.lock();
    const notifier = (async () => {
      await a!.call('condLock', 'c');
      await a!.call('notify', 'c');
      await a!.call('condUnlock', 'c');
    })();
    const woken = await c.waitAsync(5000);
    expect(woken).toBe(true);
    expect(r.depth).toBe(2);
    r.unlock();
    r.unlock();
    await notifier;
    expect(r.owner).toBe(null);
  });

  it("a waitAsync whose re-acquire is canceled leaves alone the depth of another task's hold on the RLock", async () => {
    // Ownership is per thread: while task B holds the RLock, the thread is its owner, so the
    // canceled waiter A must not take B's hold for its own and write its saved depth into it.
    const r = new RLock();
    const c = new Condition(r, { maxWaiters: 1 });
    r.lock();
    r.lock(); // A waits two levels deep
    const a = c.waitAsync(50);
    const releaseB = await r.acquire(); // B takes the lock A let go of, one level
    await eventually(() => c.waiting === 0, 5000, "A's timeout"); // A withdraws, then queues its re-acquire behind B
    await sleep(0);
    r.cancel(); // A's re-acquire is canceled
    await expect(a).rejects.toThrow(/canceled/);
    expect(r.depth).toBe(1); // B's hold, as B took it
    releaseB();
    expect(r.owner).toBe(null); // one release ends B's one-level hold
    r.lock(); // and A's slot, the only one, was handed back: a new waiter gets it
    expect(await c.waitAsync(1)).toBe(false);
    r.unlock();
  });

  it('an aborted waitAsync leaves no pending Atomics.waitAsync on its slot (200 aborted untimed waits)', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 1 });
    for (let i = 0; i < 200; i++) {
      const release = await c.mutex.acquire();
      const abort = new AbortController();
      const waiting = c.waitAsync(undefined, { signal: abort.signal });
      await Promise.resolve(); // asleep in Atomics.waitAsync on its slot
      abort.abort();
      expect(await waiting).toBe(false);
      release();
    }
    // The one slot is cell 4 + maxWaiters (layout in condition.ts); notify returns how many slept
    // on it. Before: all 200 waits, never settled, each holding memory until some notify came.
    const slot = new Int32Array(c.handle.buffer, c.handle.byteOffset + (4 + 1) * 4, 1);
    expect(Atomics.notify(slot, 0)).toBe(0);
  });

  it('Condition.from rebuilds its mutex in the other thread', async () => {
    const m = new Mutex();
    const c = new Condition(m);
    expect(c.handle.mutex).toEqual(m.handle);
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await a!.call('condLock', 'c');
    expect(m.owner).toBe(a!.worker.threadId);
    await a!.call('condUnlock', 'c');
  });
});
