import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Semaphore, SemaphoreOverflowError } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { eventually, semaphoreSleepers, settlesWithin, sleep } from '../helpers/threads.js';

const spawn = useThreads();

describe('Semaphore', () => {
  it('refuses non-integer initial permits, and negative ones when bounded (15)', () => {
    for (const bad of [1.5, Number.NaN, '3', Infinity]) {
      expect(() => new Semaphore(bad as never)).toThrow(InvalidArgumentError);
      expect(() => new Semaphore(bad as never, { bounded: true })).toThrow(InvalidArgumentError);
    }
    expect(() => new Semaphore(-1, { bounded: true })).toThrow(/permits must be an integer from 0/);
    expect(new Semaphore(0).getValue()).toBe(0);
    // An unbounded one may start below zero, as in async-mutex: acquirers wait until releases lift it above 0.
    const s = new Semaphore(-1);
    expect(s.tryAcquire()).toBe(false);
    s.release();
    expect(s.tryAcquire()).toBe(false);
    s.release();
    expect(s.tryAcquire()).toBe(true);
  });

  it('with 7 permits and 10 threads, exactly 7 proceed until releases let the rest in; release(n) = n releases (16)', async () => {
    const s = new Semaphore(7);
    const ts = await spawn(10);
    await attachAll(ts, { s });
    const acquires = ts.map((t) => t.call('semAcquire', 's', 1, 10_000));
    const state = acquires.map((p) => {
      const box = { done: false };
      void p.then(() => (box.done = true));
      return box;
    });
    await eventually(() => state.filter((b) => b.done).length === 7, 5000, 'seven acquisitions');
    await sleep(100);
    expect(state.filter((b) => b.done)).toHaveLength(7);
    expect(s.getValue()).toBe(0);
    s.release(2); // like two single releases: two more get in
    await eventually(() => state.filter((b) => b.done).length === 9, 5000, 'nine acquisitions');
    await sleep(100);
    expect(state.filter((b) => b.done)).toHaveLength(9);
    s.release();
    for (const r of await Promise.all(acquires)) expect(r.ok).toBe(true);
    expect(s.getValue()).toBe(0);
  });

  it('Semaphore(4) with one permit taken: 10 tryAcquire calls give exactly 3 true (17)', async () => {
    const s = new Semaphore(4);
    expect(s.tryAcquire()).toBe(true);
    const ts = await spawn(2);
    await attachAll(ts, { s });
    const results: boolean[] = [];
    for (let i = 0; i < 10; i++) results.push(await ts[i % 2]!.call('semTry', 's'));
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(results.filter((r) => !r)).toHaveLength(7);
    expect(s.getValue()).toBe(0);
  });

  it('acquireSync(1, 500) returns false after about 500 ms when no permit comes (18)', async () => {
    const s = new Semaphore(0);
    const [a] = await spawn(1);
    await attachAll([a!], { s });
    const r = await a!.call('semAcquire', 's', 1, 500);
    expect(r.ok).toBe(false);
    expect(r.elapsed).toBeGreaterThanOrEqual(300);
    expect(r.elapsed).toBeLessThan(5000);
    expect(s.getValue()).toBe(0);
  });

  it('unbounded may be released past its initial value; bounded raises and changes nothing (19)', async () => {
    const s = new Semaphore(2);
    s.release(3);
    expect(s.getValue()).toBe(5);
    const b = new Semaphore(2, { bounded: true });
    expect(() => b.release()).toThrow(SemaphoreOverflowError);
    expect(() => b.release()).toThrow(/above its 2 permits/);
    expect(b.getValue()).toBe(2);
    expect(b.tryAcquire(2)).toBe(true);
    b.release();
    expect(() => b.release(2)).toThrow(SemaphoreOverflowError);
    expect(b.getValue()).toBe(1);
    const [a] = await spawn(1);
    await attachAll([a!], { b });
    expect((await a!.error('semRelease', 'b', 5)).name).toBe('SemaphoreOverflowError');
    await a!.call('semRelease', 'b');
    expect(b.getValue()).toBe(2);
  });

  it('acquire(3) waits until 3 permits are free at once; weights out of range are refused (20)', async () => {
    const s = new Semaphore(4);
    expect(s.tryAcquire(2)).toBe(true);
    const [a] = await spawn(1);
    await attachAll([a!], { s });
    const heavy = a!.call('semAcquire', 's', 3, 10_000);
    expect(await settlesWithin(heavy, 150)).toBe(false); // 2 free: not enough
    s.release(); // 3 free now
    expect((await heavy).ok).toBe(true);
    expect(s.getValue()).toBe(0);
    for (const bad of [0, -1, 1.5]) {
      expect(() => s.acquireSync(bad)).toThrow(InvalidArgumentError);
      expect(() => s.tryAcquire(bad)).toThrow(InvalidArgumentError);
      expect(() => s.acquire(bad)).toThrow(InvalidArgumentError); // at the call, as in async-mutex
      expect(() => s.waitForUnlock(bad)).toThrow(InvalidArgumentError);
    }
    // Above the maximum: a bounded semaphore's capacity; an unbounded one queues any weight.
    const b = new Semaphore(4, { bounded: true });
    expect(() => b.acquireSync(5)).toThrow(/weight must be an integer from 1 to 4/);
    expect(() => b.acquire(5)).toThrow(InvalidArgumentError);
    expect(s.tryAcquire(5)).toBe(false);
    expect(s.getValue()).toBe(0);
  });

  it('a release of 1 that a heavy waiter cannot use still reaches a light waiter', async () => {
    const s = new Semaphore(3);
    expect(s.tryAcquire(3)).toBe(true);
    const [heavy, light] = await spawn(2);
    await attachAll([heavy!, light!], { s });
    const h = heavy!.call('semAcquire', 's', 3, 10_000);
    await eventually(() => semaphoreSleepers(s.handle).all === 1, 5000, 'the heavy waiter asleep');
    const l = light!.call('semAcquire', 's', 1, 10_000);
    await eventually(() => semaphoreSleepers(s.handle).all === 2, 5000, 'the light waiter asleep behind it');
    s.release(1);
    expect((await l).ok).toBe(true);
    expect(await settlesWithin(h, 100)).toBe(false);
    s.release(2);
    await light!.call('semRelease', 's');
    expect((await h).ok).toBe(true);
  });

  it('async side: acquire resolves [value before, releaser]; runExclusive; setValue; waitForUnlock', async () => {
    const s = new Semaphore(2);
    const [value, release] = await s.acquire();
    expect(value).toBe(2);
    expect(s.getValue()).toBe(1);
    release();
    release(); // idempotent
    expect(s.getValue()).toBe(2);
    expect(await s.runExclusive((v) => v * 10, 2)).toBe(20);
    expect(s.getValue()).toBe(2);
    s.setValue(0);
    expect(s.isLocked()).toBe(true);
    const unlocked = s.waitForUnlock();
    expect(await settlesWithin(unlocked, 50)).toBe(false);
    const [a] = await spawn(1);
    await attachAll([a!], { s });
    await a!.call('semRelease', 's');
    await unlocked;
    expect(s.getValue()).toBe(1); // waitForUnlock takes nothing
  });
});
