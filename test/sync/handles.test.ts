import { describe, expect, it } from 'vitest';
import { Condition, InvalidArgumentError, InvalidHandleError, Mutex, RLock, Semaphore, SyncError } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';

const spawn = useThreads();

describe('handles, shared buffers and bad input', () => {
  it('places several primitives in one buffer and rebuilds each from its handle in a worker', async () => {
    const buffer = new SharedArrayBuffer(Mutex.BYTES + RLock.BYTES + Semaphore.BYTES + Condition.bytesFor(8));
    const m = new Mutex({ buffer, byteOffset: 0 });
    const r = new RLock({ buffer, byteOffset: Mutex.BYTES });
    const s = new Semaphore(2, { buffer, byteOffset: Mutex.BYTES + RLock.BYTES });
    const c = new Condition(m, { buffer, byteOffset: Mutex.BYTES + RLock.BYTES + Semaphore.BYTES, maxWaiters: 8 });
    for (const p of [m, r, s, c]) expect(p.handle.buffer).toBe(buffer);
    const [a] = await spawn(1);
    await attachAll([a!], { m, r, s, c });
    await a!.call('lock', 'm');
    await a!.call('lock', 'r');
    await a!.call('semTry', 's', 2);
    expect(m.owner).toBe(a!.worker.threadId);
    expect(r.owner).toBe(a!.worker.threadId);
    expect(s.getValue()).toBe(0);
    expect(structuredClone(c.handle).mutex.kind).toBe('Mutex');
  });

  it('refuses foreign or malformed handles with InvalidHandleError, naming what is wrong', () => {
    const m = new Mutex();
    const s = new Semaphore(1);
    expect(() => Mutex.from(null as never)).toThrow(InvalidHandleError);
    expect(() => Mutex.from({} as never)).toThrow(/handle is for a undefined, not a Mutex/);
    expect(() => Mutex.from(s.handle as never)).toThrow(/handle is for a "Semaphore", not a Mutex/);
    expect(() => Mutex.from({ ...m.handle, buffer: new ArrayBuffer(12) as never })).toThrow(/must be a SharedArrayBuffer/);
    expect(() => Mutex.from({ ...m.handle, byteOffset: 2 })).toThrow(/multiple of 4/);
    expect(() => Mutex.from({ ...m.handle, byteOffset: 400 })).toThrow(InvalidHandleError);
    // Right kind, but nothing lives there: the magic cell does not match.
    expect(() => Mutex.from({ kind: 'Mutex', buffer: new SharedArrayBuffer(12), byteOffset: 0 })).toThrow(/magic cell mismatch/);
    expect(() => RLock.from(m.handle as never)).toThrow(InvalidHandleError);
    expect(() => Semaphore.from({ ...m.handle, kind: 'Semaphore' } as never)).toThrow(InvalidHandleError);
    expect(() => Condition.from({ ...m.handle, kind: 'Condition', mutex: m.handle } as never)).toThrow(InvalidHandleError);
    expect(m.isLocked()).toBe(false); // nothing was corrupted
  });

  it('refuses bad options and arguments with InvalidArgumentError', () => {
    expect(() => new Mutex({ buffer: new SharedArrayBuffer(8) })).toThrow(/fit in the 8-byte buffer/);
    expect(() => new Mutex({ onOwnerDied: 'ignore' as never })).toThrow(/onOwnerDied must be 'flag' or 'throw'/);
    expect(() => new Condition({} as never)).toThrow(/expected a Mutex or RLock/);
    expect(() => new Condition(new Mutex(), { maxWaiters: 0 })).toThrow(InvalidArgumentError);
    const c = new Condition(new Mutex());
    c.mutex.lock();
    expect(() => c.notify(-1)).toThrow(/n must be an integer/);
    c.mutex.unlock();
    expect(() => new Semaphore(1).release(0)).toThrow(/weight must be an integer from 1/);
    expect(() => new Semaphore(1, { bounded: true }).setValue(-2)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(1).setValue(1.5)).toThrow(InvalidArgumentError);
    const err = (() => {
      try {
        new Semaphore(-3, { bounded: true });
      } catch (e) {
        return e as SyncError;
      }
    })();
    expect(err).toBeInstanceOf(SyncError);
    expect(err?.code).toBe('ERR_SYNC_INVALID_ARGUMENT');
    expect(err?.name).toBe('InvalidArgumentError');
  });

  it('a Condition refuses more simultaneous waiters than its maxWaiters, leaving the mutex held', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 1 });
    const [a] = await spawn(1);
    await attachAll([a!], { c });
    await a!.call('condLock', 'c');
    const first = a!.call('condWait', 'c', 5000);
    while (c.waiting === 0) await new Promise((r) => setTimeout(r, 5));
    c.mutex.lock();
    await expect(c.waitAsync(10)).rejects.toThrow(/1 thread is already waiting, the most its maxWaiters \(1\) allows/);
    expect(c.mutex.owner).not.toBe(null);
    c.notify();
    c.mutex.unlock();
    expect((await first).notified).toBe(true);
  });
});
