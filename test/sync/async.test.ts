import { describe, expect, expectTypeOf, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import type { MutexInterface, SemaphoreInterface } from 'async-mutex';
import { CanceledError, E_CANCELED, Mutex, type RLock, Semaphore, TimeoutError } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { eventually, lockSleepers, semaphoreSleepers, settlesWithin, sleep, stillPending } from '../helpers/threads.js';

const spawn = useThreads();

describe('async side (main thread)', () => {
  it("implements async-mutex's MutexInterface and SemaphoreInterface", () => {
    expectTypeOf<Mutex>().toMatchTypeOf<MutexInterface>();
    expectTypeOf<RLock>().toMatchTypeOf<MutexInterface>();
    expectTypeOf<Semaphore>().toMatchTypeOf<SemaphoreInterface>();
    const asMutex: MutexInterface = new Mutex();
    const asSemaphore: SemaphoreInterface = new Semaphore(1);
    expect(asMutex.isLocked()).toBe(false);
    expect(asSemaphore.getValue()).toBe(1);
  });

  it('acquire() never blocks the event loop while a worker holds the lock (21)', async () => {
    const m = new Mutex();
    const [a] = await spawn(1);
    await attachAll([a!], { m });
    await a!.call('lock', 'm');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const acquired = m.acquire();
    await sleep(200);
    expect(ticks).toBeGreaterThanOrEqual(10); // timers kept firing while we waited
    expect(await settlesWithin(acquired, 0)).toBe(false);
    await a!.call('unlock', 'm');
    const release = await acquired;
    clearInterval(timer);
    expect(m.owner).toBe(threadId);
    release();
    expect(m.isLocked()).toBe(false);
  });

  it('cancel() rejects every queued acquirer with CanceledError (E_CANCELED) and leaves the held lock alone (22)', async () => {
    const m = new Mutex();
    const [a] = await spawn(1);
    await attachAll([a!], { m });
    await a!.call('lock', 'm');
    const waiters = [m.acquire(), m.acquire(3)];
    const unlocked = m.waitForUnlock(); // not an acquirer: async-mutex's cancel() leaves it waiting
    await sleep(20);
    m.cancel();
    for (const w of waiters) await expect(w).rejects.toBe(E_CANCELED);
    expect(E_CANCELED).toBeInstanceOf(CanceledError);
    expect(await settlesWithin(unlocked, 50)).toBe(false);
    expect(m.owner).toBe(a!.worker.threadId);
    await a!.call('unlock', 'm');
    await unlocked;
    const release = await m.acquire({ timeoutMs: 2000 }); // the queue still works afterwards
    release();

    const s = new Semaphore(0);
    const semWaiter = s.acquire();
    s.cancel();
    await expect(semWaiter).rejects.toBeInstanceOf(CanceledError);
    expect(s.getValue()).toBe(0);
  });

  it('an AbortSignal aborts one waiter only; the others keep their place (23)', async () => {
    const m = new Mutex();
    const release0 = await m.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const first = m.acquire().then((r) => (order.push('first'), r));
    const aborted = m.acquire({ signal: controller.signal });
    const third = m.acquire().then((r) => (order.push('third'), r));
    controller.abort(new Error('user gave up'));
    const err = await aborted.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CanceledError);
    expect((err as Error).cause).toEqual(new Error('user gave up'));
    release0();
    (await first)();
    (await third)();
    expect(order).toEqual(['first', 'third']);
    await expect(m.acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CanceledError);
  });

  it('serves same-thread waiters by priority, first-come first-served within one (24)', async () => {
    const m = new Mutex();
    const release = await m.acquire();
    const order: string[] = [];
    const queue = [
      ['low-a', 0],
      ['high-a', 5],
      ['mid', 1],
      ['high-b', 5],
      ['low-b', 0],
    ] as const;
    const done = queue.map(([name, priority]) =>
      m.runExclusive(() => {
        order.push(name);
      }, priority),
    );
    release();
    await Promise.all(done);
    expect(order).toEqual(['high-a', 'high-b', 'mid', 'low-a', 'low-b']);

    const s = new Semaphore(1);
    const [, semRelease] = await s.acquire();
    const semOrder: number[] = [];
    const semDone = [0, 2, 1].map((p) => s.runExclusive(() => void semOrder.push(p), 1, p));
    semRelease();
    await Promise.all(semDone);
    expect(semOrder).toEqual([2, 1, 0]);
  });

  it('times out an async acquire on a Semaphore with TimeoutError', async () => {
    const s = new Semaphore(1);
    const [, release] = await s.acquire();
    await expect(s.acquire(1, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    release();
    expect(s.getValue()).toBe(1);
  });

  it('waitForUnlock resolves when a worker unlocks, without taking the lock', async () => {
    const m = new Mutex({ fair: true });
    const [a] = await spawn(1);
    await attachAll([a!], { m });
    await a!.call('lock', 'm');
    const free = m.waitForUnlock();
    expect(await settlesWithin(free, 100)).toBe(false);
    await a!.call('unlock', 'm');
    await free;
    expect(m.isLocked()).toBe(false);
    expect(await a!.call('tryLock', 'm')).toBe(true); // the hand-off was passed on, not kept
  });

  it('an async waiter that gave up does not swallow the wake-up meant for a worker (fair mode)', async () => {
    const m = new Mutex({ fair: true });
    const [holder, waiter] = await spawn(2);
    await attachAll([holder!, waiter!], { m });
    await holder!.call('lock', 'm');
    const controller = new AbortController();
    const mainWait = m.acquire({ signal: controller.signal }); // queued first on the word
    expect(lockSleepers(m.handle).async).toBe(1); // armed at once
    const workerWait = waiter!.call('lock', 'm', 5000);
    await stillPending(workerWait, 50, "the worker's lock()");
    controller.abort();
    await expect(mainWait).rejects.toBeInstanceOf(CanceledError);
    await holder!.call('unlock', 'm'); // hands off to the first sleeper: our abandoned waitAsync
    const r = await workerWait;
    expect(r.ok).toBe(true);
    expect(r.elapsed).toBeLessThan(2000);
  });

  it('Condition.waitAsync is woken by a worker and returns holding the mutex', async () => {
    const { Condition } = await import('../../src/sync/index.js');
    const c = new Condition(new Mutex());
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    const release = await c.mutex.acquire();
    const woken = c.waitAsync(5000);
    await a!.call('condLock', 'c');
    await a!.call('notify', 'c');
    await a!.call('condUnlock', 'c');
    expect(await woken).toBe(true);
    expect(c.mutex.owner).toBe(threadId);
    release();
    const controller = new AbortController();
    await c.mutex.acquire();
    const abortable = c.waitAsync(undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect(await abortable).toBe(false);
    expect(c.mutex.owner).toBe(threadId);
    c.mutex.release();
  });

  // Found by review: each of these lost a wake-up or left a waiter stranded.
  it('a main-thread acquire and a blocked worker woken by one unlock both get the lock, in either order', async () => {
    const m = new Mutex();
    const [a, b] = await spawn(2);
    await attachAll([a!, b!], { m });
    await a!.call('lock', 'm');
    const mainAcquire = m.acquire(); // sleeps on the word first
    expect(lockSleepers(m.handle).async).toBe(1);
    const bWaits = b!.call('lock', 'm', 5000); // then B sleeps behind it
    await stillPending(bWaits, 50, "B's lock()");
    expect(await settlesWithin(mainAcquire, 0)).toBe(false);
    await a!.call('unlock', 'm'); // wakes B as well as our waiter (W2): whoever loses must be woken again
    const first = await Promise.race([mainAcquire.then(() => 'main'), bWaits.then(() => 'worker')]);
    if (first === 'main') {
      (await mainAcquire)(); // must wake B (WAITERS was kept), not leave it asleep with the lock free
      const r = await bWaits;
      expect(r.ok).toBe(true);
      await b!.call('unlock', 'm');
    } else {
      expect((await bWaits).ok).toBe(true);
      await b!.call('unlock', 'm');
      expect(await settlesWithin(mainAcquire, 2000)).toBe(true);
      (await mainAcquire)();
    }
    expect(m.isLocked()).toBe(false);
  });

  it('a waiter queued behind one that timed out is served once the permits are there', async () => {
    const s = new Semaphore(2);
    expect(s.tryAcquire()).toBe(true); // 1 of 2 permits left
    const heavy = s.acquire(2, { timeoutMs: 50 });
    const light = s.acquire(1);
    await expect(heavy).rejects.toBeInstanceOf(TimeoutError);
    expect(await settlesWithin(light, 1000)).toBe(true);
    expect(s.getValue()).toBe(0);
  });

  it('Semaphore.waitForUnlock does not swallow the wake-up a blocked worker needs', async () => {
    const s = new Semaphore(0);
    const [a] = await spawn(1);
    await attachAll([a!], { s });
    const peek = s.waitForUnlock(); // sleeps on the permits first
    expect(semaphoreSleepers(s.handle)).toEqual({ all: 1, async: 1 });
    const workerWaits = a!.call('semAcquire', 's', 1, 3000);
    await eventually(() => semaphoreSleepers(s.handle).all === 2, 5000, 'the worker asleep on the permits');
    s.release();
    await peek;
    const r = await workerWaits;
    expect(r.ok).toBe(true);
    expect(r.elapsed).toBeLessThan(1500);
  });

  it('cancel() ends a sleeping pump: a process left with no waiters can exit', async () => {
    const { execFile } = await import('node:child_process');
    // The lock is held (by this thread), so acquire() queues and its pump sleeps, holding the
    // event loop open; after cancel() nothing is pending and the process must end by itself.
    const script = `
      import { Mutex } from 'bank-sim/sync';
      const m = new Mutex();
      if (!m.tryLock()) throw new Error('no lock');
      m.acquire().catch((e) => console.log('rejected', e.name));
      setTimeout(() => m.cancel(), 50);
    `;
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (error, out) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout: out }),
      );
    });
    expect(stdout).toMatch(/rejected CanceledError/); // the waiter was there, and cancel() reached it
    expect(code).toBe(0); // exited by itself: nothing held the event loop after cancel()
  });

  it('a Condition waiter whose re-acquire is canceled gives its slot back', async () => {
    const { Condition } = await import('../../src/sync/index.js');
    const c = new Condition(new Mutex(), { maxWaiters: 1 });
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await c.mutex.acquire();
    const waiting = c.waitAsync(5000);
    await a!.call('condLock', 'c');
    await a!.call('notify', 'c'); // our waiter is signaled but the worker keeps the mutex
    await sleep(50);
    c.mutex.cancel(); // the waiter's re-acquire is canceled
    await expect(waiting).rejects.toBeInstanceOf(CanceledError);
    await a!.call('condUnlock', 'c');
    // The single slot is free again: a new wait/notify round works.
    const release = await c.mutex.acquire();
    const again = c.waitAsync(5000);
    await a!.call('condLock', 'c');
    await a!.call('notify', 'c');
    await a!.call('condUnlock', 'c');
    expect(await again).toBe(true);
    release();
  });
});
