import * as asyncMutex from 'async-mutex';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as ours from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';

const spawn = useThreads();

/*
 * async-mutex's documented behaviours (the API sections of its README), one row each, run
 * against async-mutex itself (so every row states what async-mutex really does) and against
 * bank-sim/sync imported the way an async-mutex user would, changing only the import.
 * Fake timers throughout, as async-mutex's own suites use @sinonjs/fake-timers: a waiter served
 * by a release in this thread must resolve on microtasks alone, and timeouts follow the clock.
 */
type Lib = Pick<typeof asyncMutex, 'Mutex' | 'Semaphore' | 'withTimeout' | 'tryAcquire' | 'E_CANCELED' | 'E_TIMEOUT' | 'E_ALREADY_LOCKED'>;

const libraries: [string, Lib][] = [
  ['async-mutex', asyncMutex],
  ['bank-sim/sync', ours as unknown as Lib],
];

/** Lets queued microtasks run (no timers: fake timers are installed, and none is advanced). */
async function ticks(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** Tracks whether a promise has settled, and how. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const box: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(box, { settled: true, value }),
    (error: unknown) => Object.assign(box, { settled: true, error }),
  );
  return box;
}

const table: [string, (lib: Lib) => Promise<void>][] = [
  // --- Mutex ---------------------------------------------------------------------------
  [
    'Mutex: acquire resolves a releaser; isLocked() while held; the releaser frees it',
    async ({ Mutex }) => {
      const m = new Mutex();
      expect(m.isLocked()).toBe(false);
      const release = await m.acquire();
      expect(m.isLocked()).toBe(true);
      release();
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: a second acquire waits for the release, then resolves on microtasks alone',
    async ({ Mutex }) => {
      const m = new Mutex();
      const release = await m.acquire();
      const second = track(m.acquire());
      await ticks();
      expect(second.settled).toBe(false);
      release();
      expect(m.isLocked()).toBe(true); // handed straight to the waiter
      await ticks();
      expect(second.settled).toBe(true);
      (second.value as () => void)();
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: releasers are idempotent (a second call does not release the next holder)',
    async ({ Mutex }) => {
      const m = new Mutex();
      const release = await m.acquire();
      const next = track(m.acquire());
      release();
      await ticks();
      release();
      expect(next.settled).toBe(true);
      expect(m.isLocked()).toBe(true);
    },
  ],
  [
    'Mutex: runExclusive runs callbacks one at a time, in order, and returns their value',
    async ({ Mutex }) => {
      const m = new Mutex();
      const log: string[] = [];
      const results = [1, 2, 3].map((n) =>
        m.runExclusive(async () => {
          log.push(`start ${n}`);
          await ticks(3);
          log.push(`end ${n}`);
          return n * 10;
        }),
      );
      expect(await Promise.all(results)).toEqual([10, 20, 30]);
      expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: runExclusive releases when the callback throws, and passes the error on',
    async ({ Mutex }) => {
      const m = new Mutex();
      await expect(
        m.runExclusive(() => {
          throw new Error('sync throw');
        }),
      ).rejects.toThrow('sync throw');
      await expect(
        m.runExclusive(async () => {
          throw new Error('async throw');
        }),
      ).rejects.toThrow('async throw');
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: release() frees a lock taken with acquire(); on a free mutex it is a no-op',
    async ({ Mutex }) => {
      const m = new Mutex();
      expect(() => m.release()).not.toThrow();
      await m.acquire();
      m.release();
      expect(m.isLocked()).toBe(false);
      m.release();
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: cancel() rejects pending acquires with E_CANCELED; the holder keeps the lock',
    async ({ Mutex, E_CANCELED }) => {
      const m = new Mutex();
      const release = await m.acquire();
      const pending = [m.acquire(), m.runExclusive(() => 1)];
      m.cancel();
      for (const p of pending) await expect(p).rejects.toBe(E_CANCELED);
      expect(m.isLocked()).toBe(true);
      release();
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: new Mutex(cancelError) rejects canceled acquires with that error',
    async ({ Mutex }) => {
      const custom = new Error('custom cancel');
      const m = new Mutex(custom);
      await m.acquire();
      const pending = m.acquire();
      m.cancel();
      await expect(pending).rejects.toBe(custom);
    },
  ],
  [
    'Mutex: waitForUnlock resolves once the mutex is free, without locking it',
    async ({ Mutex }) => {
      const m = new Mutex();
      await expect(m.waitForUnlock()).resolves.toBeUndefined(); // free already
      const release = await m.acquire();
      const unlocked = track(m.waitForUnlock());
      await ticks();
      expect(unlocked.settled).toBe(false);
      release();
      await ticks();
      expect(unlocked.settled).toBe(true);
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'Mutex: higher priority is served first, equal priorities in arrival order',
    async ({ Mutex }) => {
      const m = new Mutex();
      const release = await m.acquire();
      const order: string[] = [];
      const done = (
        [
          ['a0', 0],
          ['b5', 5],
          ['c1', 1],
          ['d5', 5],
          ['e0', 0],
          ['f-1', -1],
        ] as const
      ).map(([name, priority]) => m.runExclusive(() => void order.push(name), priority));
      release();
      await Promise.all(done);
      expect(order).toEqual(['b5', 'd5', 'c1', 'a0', 'e0', 'f-1']);
    },
  ],
  [
    'Mutex: waitForUnlock(priority) resolves before queued acquirers of lower priority only',
    async ({ Mutex }) => {
      const m = new Mutex();
      const release = await m.acquire();
      const order: string[] = [];
      const acquirer = m.acquire(5).then((r) => (order.push('acquire 5'), r));
      const low = m.waitForUnlock(1).then(() => order.push('waitForUnlock 1'));
      const high = m.waitForUnlock(10).then(() => order.push('waitForUnlock 10'));
      release();
      await ticks();
      expect(order).toEqual(['waitForUnlock 10', 'acquire 5']);
      (await acquirer)();
      await Promise.all([low, high]);
      expect(order).toEqual(['waitForUnlock 10', 'acquire 5', 'waitForUnlock 1']);
    },
  ],
  [
    'Mutex: an acquire that outranks every queued one, on a free mutex, takes it at once',
    async ({ Mutex }) => {
      const m = new Mutex();
      const release = await m.acquire();
      expect(m.isLocked()).toBe(true);
      const low = track(m.acquire(0));
      release(); // handed to `low`
      await ticks();
      expect(low.settled).toBe(true);
      (low.value as () => void)();
      const again = await m.acquire(9);
      again();
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'withTimeout(mutex): rejects with E_TIMEOUT when the clock passes the timeout',
    async ({ Mutex, withTimeout, E_TIMEOUT }) => {
      const m = withTimeout(new Mutex(), 100);
      const release = await m.acquire();
      const late = track(m.acquire());
      await vi.advanceTimersByTimeAsync(99);
      expect(late.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(late.error).toBe(E_TIMEOUT);
      release();
      await ticks(); // async-mutex's timed-out waiter takes the lock late and releases it
      expect(m.isLocked()).toBe(false);
    },
  ],
  [
    'withTimeout(mutex, ms, error): rejects with the given error; in time it acquires normally',
    async ({ Mutex, withTimeout }) => {
      const custom = new Error('too slow');
      const m = withTimeout(new Mutex(), 100, custom);
      const release = await m.acquire();
      const late = expect(m.acquire()).rejects.toBe(custom);
      await vi.advanceTimersByTimeAsync(100);
      await late;
      await ticks();
      const inTime = track(m.acquire());
      await vi.advanceTimersByTimeAsync(50);
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(inTime.settled).toBe(true);
      expect(typeof inTime.value).toBe('function');
      await vi.advanceTimersByTimeAsync(200);
      expect(m.isLocked()).toBe(true); // still held by the in-time waiter
    },
  ],
  [
    'withTimeout(mutex): runExclusive and waitForUnlock time out too',
    async ({ Mutex, withTimeout, E_TIMEOUT }) => {
      const m = withTimeout(new Mutex(), 50);
      await m.acquire();
      const run = expect(m.runExclusive(() => 1)).rejects.toBe(E_TIMEOUT);
      const unlock = expect(m.waitForUnlock()).rejects.toBe(E_TIMEOUT);
      await vi.advanceTimersByTimeAsync(50);
      await run;
      await unlock;
    },
  ],
  [
    'tryAcquire(mutex): rejects with E_ALREADY_LOCKED when locked, acquires when free',
    async ({ Mutex, tryAcquire, E_ALREADY_LOCKED }) => {
      const m = new Mutex();
      const release = await tryAcquire(m).acquire();
      expect(m.isLocked()).toBe(true);
      const refused = expect(tryAcquire(m).acquire()).rejects.toBe(E_ALREADY_LOCKED);
      await vi.advanceTimersByTimeAsync(0);
      await refused;
      const custom = new Error('busy');
      const refusedCustom = expect(tryAcquire(m, custom).runExclusive(() => 1)).rejects.toBe(custom);
      await vi.advanceTimersByTimeAsync(0);
      await refusedCustom;
      release();
      await ticks();
      expect(await tryAcquire(m).runExclusive(() => 'ran')).toBe('ran');
    },
  ],
  // --- Semaphore -----------------------------------------------------------------------
  [
    'Semaphore: acquire resolves [value before, releaser]; getValue and isLocked follow',
    async ({ Semaphore }) => {
      const s = new Semaphore(2);
      const [v1, r1] = await s.acquire();
      expect(v1).toBe(2);
      const [v2, r2] = await s.acquire();
      expect(v2).toBe(1);
      expect(s.getValue()).toBe(0);
      expect(s.isLocked()).toBe(true);
      r1();
      r1(); // idempotent
      expect(s.getValue()).toBe(1);
      r2();
      expect(s.getValue()).toBe(2);
    },
  ],
  [
    'Semaphore: acquire(weight) waits until that many are free; releases serve it on microtasks',
    async ({ Semaphore }) => {
      const s = new Semaphore(3);
      const [, r1] = await s.acquire(2);
      const heavy = track(s.acquire(3));
      await ticks();
      expect(heavy.settled).toBe(false);
      r1();
      await ticks();
      expect(heavy.settled).toBe(true);
      expect((heavy.value as [number, () => void])[0]).toBe(3);
      expect(s.getValue()).toBe(0);
    },
  ],
  [
    'Semaphore: a weight above the current value is queued until release or setValue raise it',
    async ({ Semaphore }) => {
      const s = new Semaphore(0);
      const two = track(s.acquire(2));
      s.release();
      await ticks();
      expect(two.settled).toBe(false);
      s.setValue(3);
      await ticks();
      expect(two.settled).toBe(true);
      expect(s.getValue()).toBe(1);
    },
  ],
  [
    'Semaphore: a negative initial value waits for releases to lift it above zero',
    async ({ Semaphore }) => {
      const s = new Semaphore(-2);
      expect(s.isLocked()).toBe(true);
      const one = track(s.acquire());
      s.release(2);
      await ticks();
      expect(one.settled).toBe(false);
      expect(s.getValue()).toBe(0);
      s.release();
      await ticks();
      expect(one.settled).toBe(true);
    },
  ],
  [
    'Semaphore: a bad weight throws at the call (not a rejected promise)',
    async ({ Semaphore }) => {
      const s = new Semaphore(2);
      expect(() => s.acquire(0)).toThrow();
      expect(() => s.acquire(-1)).toThrow();
      expect(() => s.waitForUnlock(0)).toThrow();
      expect(() => s.release(-1)).toThrow();
      expect(s.getValue()).toBe(2);
    },
  ],
  [
    'Semaphore: runExclusive(callback(value), weight) holds the weight for the callback',
    async ({ Semaphore }) => {
      const s = new Semaphore(4);
      const seen = await s.runExclusive((value) => {
        expect(s.getValue()).toBe(1);
        return value;
      }, 3);
      expect(seen).toBe(4);
      expect(s.getValue()).toBe(4);
      await expect(
        s.runExclusive(() => {
          throw new Error('boom');
        }, 2),
      ).rejects.toThrow('boom');
      expect(s.getValue()).toBe(4);
    },
  ],
  [
    'Semaphore: higher priority first; a heavy head is not overtaken by lighter, lower ones',
    async ({ Semaphore }) => {
      const s = new Semaphore(2);
      const [, release] = await s.acquire(2);
      const order: string[] = [];
      const heavy = s.acquire(2, 5).then(([, r]) => (order.push('heavy 5'), r));
      const light = s.acquire(1, 0).then(([, r]) => (order.push('light 0'), r));
      const lightHigh = s.acquire(1, 9).then(([, r]) => (order.push('light 9'), r));
      release();
      await ticks();
      expect(order).toEqual(['light 9']); // 1 left: the heavy head waits, and the light one behind it too
      (await lightHigh)();
      await ticks();
      expect(order).toEqual(['light 9', 'heavy 5']);
      (await heavy)();
      (await light)();
      expect(s.getValue()).toBe(2);
    },
  ],
  [
    'Semaphore: waitForUnlock(weight) resolves once that many are free, taking none',
    async ({ Semaphore }) => {
      const s = new Semaphore(3);
      const [, release] = await s.acquire(2);
      await expect(s.waitForUnlock(1)).resolves.toBeUndefined();
      const two = track(s.waitForUnlock(2));
      await ticks();
      expect(two.settled).toBe(false);
      release();
      await ticks();
      expect(two.settled).toBe(true);
      expect(s.getValue()).toBe(3);
    },
  ],
  [
    'Semaphore: waitForUnlock behind a heavier queued acquirer waits for it (priority rule)',
    async ({ Semaphore }) => {
      const s = new Semaphore(1);
      const [, release] = await s.acquire();
      const order: string[] = [];
      const heavy = s.acquire(2).then(([, r]) => (order.push('acquire 2'), r));
      const peek = s.waitForUnlock(1).then(() => order.push('waitForUnlock 1'));
      release(); // 1 free: the heavy head cannot go, and the peeker (not outranking it) waits behind
      await ticks();
      expect(order).toEqual([]);
      s.release();
      await ticks();
      expect(order).toEqual(['acquire 2']);
      (await heavy)();
      await peek;
      expect(order).toEqual(['acquire 2', 'waitForUnlock 1']);
    },
  ],
  [
    'Semaphore: setValue dispatches every waiter it lets through',
    async ({ Semaphore }) => {
      const s = new Semaphore(0);
      const waiters = [track(s.acquire()), track(s.acquire()), track(s.acquire())];
      s.setValue(2);
      await ticks();
      expect(waiters.map((w) => w.settled)).toEqual([true, true, false]);
      expect(s.getValue()).toBe(0);
    },
  ],
  [
    "Semaphore: cancel() rejects pending acquires with E_CANCELED, or the constructor's error",
    async ({ Semaphore, E_CANCELED }) => {
      const s = new Semaphore(0);
      const pending = s.acquire();
      s.cancel();
      await expect(pending).rejects.toBe(E_CANCELED);
      const custom = new Error('custom');
      const t = new Semaphore(0, custom);
      const p2 = t.acquire(2);
      t.cancel();
      await expect(p2).rejects.toBe(custom);
      expect(t.getValue()).toBe(0);
    },
  ],
  [
    'withTimeout(semaphore): a weighted acquire rejects with E_TIMEOUT and leaves the value alone',
    async ({ Semaphore, withTimeout, E_TIMEOUT }) => {
      const s = withTimeout(new Semaphore(1), 100);
      const late = expect(s.acquire(2)).rejects.toBe(E_TIMEOUT);
      await vi.advanceTimersByTimeAsync(100);
      await late;
      expect(s.getValue()).toBe(1);
      s.setValue(2);
      const [value, release] = await s.acquire(2);
      expect(value).toBe(2);
      release();
    },
  ],
  [
    'tryAcquire(semaphore): rejects with E_ALREADY_LOCKED when too few are free',
    async ({ Semaphore, tryAcquire, E_ALREADY_LOCKED }) => {
      const s = new Semaphore(2);
      const [, release] = await tryAcquire(s).acquire(2);
      const refused = expect(tryAcquire(s).acquire()).rejects.toBe(E_ALREADY_LOCKED);
      await vi.advanceTimersByTimeAsync(0);
      await refused;
      release();
      await ticks(); // async-mutex's refused waiter takes its permit late and gives it back
      expect(s.getValue()).toBe(2);
    },
  ],
];

describe.each(libraries)('async-mutex compatibility: %s', (_name, lib) => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  for (const [behaviour, check] of table) it(behaviour, () => check(lib));
});

describe('bank-sim/sync where it differs from async-mutex on purpose (README: Migrating)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a waiter that timed out has left the queue: it never takes the lock late', async () => {
    const m = ours.withTimeout(new ours.Mutex(), 100);
    const release = await m.acquire();
    const late = expect(m.acquire()).rejects.toBe(ours.E_TIMEOUT);
    await vi.advanceTimersByTimeAsync(100);
    await late;
    release();
    expect(m.isLocked()).toBe(false); // at once: no late take-and-release in between
    const s = ours.tryAcquire(new ours.Semaphore(1));
    const [, r] = await s.acquire();
    const refused = expect(s.acquire()).rejects.toBe(ours.E_ALREADY_LOCKED);
    await vi.advanceTimersByTimeAsync(0);
    await refused;
    r();
    expect(s.getValue()).toBe(1);
  });

  it('release() by a thread that does not hold a lock held elsewhere still throws', async () => {
    vi.useRealTimers();
    const m = new ours.Mutex();
    const [holder] = await spawn(1);
    await attachAll([holder!], { m });
    await holder!.call('lock', 'm');
    expect(m.isLocked()).toBe(true);
    expect(() => m.release()).toThrow(ours.NotOwnerError);
    await holder!.call('unlock', 'm');
  });
});

describe('async-mutex compatibility: names', () => {
  it('exports every name async-mutex exports', () => {
    for (const name of Object.keys(asyncMutex)) expect(ours, name).toHaveProperty(name);
  });

  it('the error singletons are also our typed errors', () => {
    expect(ours.E_CANCELED).toBeInstanceOf(ours.CanceledError);
    expect(ours.E_TIMEOUT).toBeInstanceOf(ours.TimeoutError);
    expect(ours.E_ALREADY_LOCKED).toBeInstanceOf(ours.AlreadyLockedError);
    expect(ours.E_CANCELED.message).toBe(asyncMutex.E_CANCELED.message);
    expect(ours.E_TIMEOUT.message).toBe(asyncMutex.E_TIMEOUT.message);
    expect(ours.E_ALREADY_LOCKED.message).toBe(asyncMutex.E_ALREADY_LOCKED.message);
  });
});
