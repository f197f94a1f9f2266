import { describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import { DeadlockError, InvalidArgumentError, Mutex, NotOwnerError, RLock, TimeoutError } from '../../src/sync/index.js';
import { settlesWithin } from '../helpers/threads.js';
import { useThreads } from '../helpers/spawned.js';

const spawn = useThreads();

describe.each([
  ['barging', false],
  ['fair', true],
] as const)('Mutex (%s)', (_mode, fair) => {
  it('tryLock succeeds on a free lock and fails at once from another thread while held (1)', async () => {
    const m = new Mutex({ fair });
    const [a, b] = await spawn(2);
    await a!.call('attach', 'm', m.handle);
    await b!.call('attach', 'm', m.handle);
    expect(await a!.call('tryLock', 'm')).toBe(true);
    expect(m.owner).toBe(a!.worker.threadId);
    expect(await b!.call('tryLock', 'm')).toBe(false);
    expect(m.tryLock()).toBe(false); // main thread too
    await a!.call('unlock', 'm');
    expect(await b!.call('tryLock', 'm')).toBe(true);
  });

  it('lets blocked threads in only after unlock, one at a time (2)', async () => {
    const m = new Mutex({ fair });
    const ts = await spawn(4);
    for (const t of ts) await t.call('attach', 'm', m.handle);
    expect(m.tryLock()).toBe(true); // the main thread holds it
    const waits = ts.map((t) => t.call('lock', 'm').then(() => t));
    expect(await settlesWithin(Promise.race(waits), 150)).toBe(false);
    m.unlock();
    // Exactly one gets in; the others stay blocked until it unlocks, and so on.
    const pending = new Set(waits);
    for (let round = 0; round < ts.length; round++) {
      const winner = await Promise.race(pending);
      const winnerPromise = waits[ts.indexOf(winner)]!;
      pending.delete(winnerPromise);
      expect(m.owner).toBe(winner.worker.threadId);
      if (pending.size) expect(await settlesWithin(Promise.race(pending), 50)).toBe(false);
      await winner.call('unlock', 'm');
    }
    expect(m.isLocked()).toBe(false);
  });

  it('withLock releases on return and on throw (3)', async () => {
    const m = new Mutex({ fair });
    const [a] = await spawn(1);
    await a!.call('attach', 'm', m.handle);
    expect(await a!.call('withLockThrows', 'm')).toBe('inside');
    expect(m.isLocked()).toBe(false);
    expect(m.withLock(() => 42)).toBe(42);
    expect(m.isLocked()).toBe(false);
    await expect(
      m.runExclusive(async () => {
        throw new Error('async inside');
      }),
    ).rejects.toThrow('async inside');
    expect(m.isLocked()).toBe(false);
    expect(await m.runExclusive(async () => 7)).toBe(7);
    expect(m.isLocked()).toBe(false);
  });

  it('refuses bad timeouts with a clear error (4)', async () => {
    const m = new Mutex({ fair });
    for (const bad of [-1, Number.NaN, '100', null, {}]) {
      expect(() => m.lock(bad as never)).toThrow(InvalidArgumentError);
      expect(() => m.lock(bad as never)).toThrow(/timeoutMs must be a number >= 0/);
    }
    const [a] = await spawn(1);
    await a!.call('attach', 'm', m.handle);
    const err = await a!.error('lock', 'm', -5);
    expect(err.name).toBe('InvalidArgumentError');
    expect(m.isLocked()).toBe(false);
    expect(() => m.acquire({ timeoutMs: -1 })).toThrow(InvalidArgumentError); // at the call, as async-mutex's bad weights
  });

  it('lock(500) on a held lock returns false after about 500 ms and stays consistent (5)', async () => {
    const m = new Mutex({ fair });
    const [a, b] = await spawn(2);
    await a!.call('attach', 'm', m.handle);
    await b!.call('attach', 'm', m.handle);
    expect((await a!.call('lock', 'm')).ok).toBe(true);
    const r = await b!.call('lock', 'm', 500);
    expect(r.ok).toBe(false);
    expect(r.elapsed).toBeGreaterThanOrEqual(300);
    expect(r.elapsed).toBeLessThan(5000);
    expect(m.owner).toBe(a!.worker.threadId);
    await a!.call('unlock', 'm');
    expect(await b!.call('tryLock', 'm')).toBe(true);
    await b!.call('unlock', 'm');
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  it('is not reentrant: the owner locking again gets DeadlockError, never a double entry (6)', async () => {
    const m = new Mutex({ fair });
    const [a] = await spawn(1);
    await a!.call('attach', 'm', m.handle);
    expect((await a!.call('lock', 'm')).ok).toBe(true);
    expect((await a!.error('lock', 'm')).name).toBe('DeadlockError');
    expect(await a!.call('tryLock', 'm')).toBe(false);
    expect(m.owner).toBe(a!.worker.threadId);
    await a!.call('unlock', 'm');
    expect(m.isLocked()).toBe(false);
    expect(m.tryLock()).toBe(true);
    expect(() => m.lock()).toThrow(DeadlockError);
    m.unlock();
  });

  it('unlock by a thread that does not hold it raises NotOwnerError (8)', async () => {
    const m = new Mutex({ fair });
    const [a, b] = await spawn(2);
    await a!.call('attach', 'm', m.handle);
    await b!.call('attach', 'm', m.handle);
    expect(() => m.unlock()).toThrow(NotOwnerError); // never locked
    expect(() => m.unlock()).toThrow(/not held/);
    await a!.call('lock', 'm');
    const err = await b!.error('unlock', 'm'); // held by another thread
    expect(err.name).toBe('NotOwnerError');
    expect(err.message).toMatch(/held by thread \d+, not by this thread/);
    expect(m.owner).toBe(a!.worker.threadId); // nothing changed
    await a!.call('unlock', 'm');
    expect((await a!.error('unlock', 'm')).name).toBe('NotOwnerError'); // already released
  });

  it('a timed-out async acquire rejects with TimeoutError and leaves the lock to its holder', async () => {
    const m = new Mutex({ fair });
    const [a] = await spawn(1);
    await a!.call('attach', 'm', m.handle);
    await a!.call('lock', 'm');
    const t0 = performance.now();
    await expect(m.acquire({ timeoutMs: 200 })).rejects.toThrow(TimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(120);
    expect(m.owner).toBe(a!.worker.threadId);
    await a!.call('unlock', 'm');
    const release = await m.acquire({ timeoutMs: 1000 });
    expect(m.owner).toBe(threadId);
    release();
  });
});

describe('RLock', () => {
  it('nests: n locks need n unlocks before another thread gets in; depth and owner observable (7)', async () => {
    const r = new RLock();
    const [a, b] = await spawn(2);
    await a!.call('attach', 'r', r.handle);
    await b!.call('attach', 'r', r.handle);
    for (let i = 1; i <= 3; i++) {
      expect((await a!.call('lock', 'r')).ok).toBe(true);
      expect(await a!.call('depth', 'r')).toBe(i);
    }
    expect(r.depth).toBe(3);
    expect(r.owner).toBe(a!.worker.threadId);
    const bWaits = b!.call('lock', 'r');
    for (let i = 2; i >= 0; i--) {
      expect(await settlesWithin(bWaits, 60)).toBe(false);
      await a!.call('unlock', 'r');
      if (i > 0) expect(r.depth).toBe(i);
    }
    expect((await bWaits).ok).toBe(true);
    expect(r.owner).toBe(b!.worker.threadId);
    expect(r.depth).toBe(1);
    expect((await a!.error('unlock', 'r')).name).toBe('NotOwnerError');
    await b!.call('unlock', 'r');
    expect(r.depth).toBe(0);
    expect(r.owner).toBe(null);
  });

  it('tryLock nests for the owner and fails for others', async () => {
    const r = new RLock();
    const [a] = await spawn(1);
    await a!.call('attach', 'r', r.handle);
    expect(r.tryLock()).toBe(true);
    expect(r.tryLock()).toBe(true);
    expect(r.depth).toBe(2);
    expect(await a!.call('tryLock', 'r')).toBe(false);
    r.unlock();
    expect(await a!.call('tryLock', 'r')).toBe(false);
    r.unlock();
    expect(() => r.unlock()).toThrow(NotOwnerError);
    expect(await a!.call('tryLock', 'r')).toBe(true);
  });
});
