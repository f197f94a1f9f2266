import { describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import { Mutex, OwnerDiedError, RLock, watchWorker } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { lockSleepers, stillPending } from '../helpers/threads.js';

const spawn = useThreads();

function openGate(gate: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
}

// Contract: a Mutex/RLock whose holder ends (return, process.exit, uncaught error: the
// worker's own exit hook; worker.terminate(): watchWorker in the thread owning the Worker)
// is released flagged "owner died"; the next acquirer gets it and sees ownerDied.
describe.each([
  ['Mutex', (fair: boolean) => new Mutex({ fair })],
  ['RLock', (fair: boolean) => new RLock({ fair })],
] as const)('%s whose holder dies (9)', (_kind, make) => {
  for (const fair of [false, true]) {
    for (const how of ['return', 'exit', 'throw'] as const) {
      it(`${fair ? 'fair' : 'barging'}: holder ends by ${how}; a blocked waiter gets the lock flagged`, async () => {
        const m = make(fair);
        const [dying, next] = await spawn(2);
        await attachAll([dying!, next!], { m });
        const gate = new SharedArrayBuffer(4);
        await dying!.call('dieHolding', 'm', how, gate);
        const waiting = next!.call('lock', 'm', 5000);
        await stillPending(waiting, 50, "the next locker's lock()"); // it blocks (asleep past its spin)
        expect(lockSleepers(m.handle).flagged).toBe(true);
        openGate(gate);
        const r = await waiting;
        expect(r.ok).toBe(true);
        expect(r.ownerDied).toBe(true);
        expect(r.elapsed).toBeLessThan(2000);
        expect(m.owner).toBe(next!.worker.threadId);
        await next!.call('unlock', 'm');
        expect(m.ownerDied).toBe(false); // the flag belongs to that one hold
        expect(m.isLocked()).toBe(false);
      });
    }

    it(`${fair ? 'fair' : 'barging'}: terminate() + watchWorker hands the lock on within 1 s`, async () => {
      const m = make(fair);
      const [victim, next] = await spawn(2);
      await attachAll([victim!, next!], { m });
      let recovered = 0;
      watchWorker(victim!.worker, (n) => (recovered = n));
      await victim!.call('lock', 'm');
      const waiting = next!.call('lock', 'm', 5000);
      await stillPending(waiting, 50, "the next locker's lock()");
      expect(lockSleepers(m.handle).flagged).toBe(true);
      await victim!.terminate();
      const r = await waiting;
      expect(r.ok).toBe(true);
      expect(r.ownerDied).toBe(true);
      expect(r.elapsed).toBeLessThan(1000);
      expect(recovered).toBe(1);
      await next!.call('unlock', 'm');
      expect(m.isLocked()).toBe(false);
    });

    it(`${fair ? 'fair' : 'barging'}: a main-thread async waiter is served when the holder is terminated`, async () => {
      const m = make(fair);
      const [victim] = await spawn(1);
      await attachAll([victim!], { m });
      watchWorker(victim!.worker);
      await victim!.call('lock', 'm');
      const acquired = m.acquire({ timeoutMs: 5000 });
      await stillPending(acquired, 20, 'acquire()');
      expect(lockSleepers(m.handle).async).toBe(1); // our dispatcher sleeps on the word
      await victim!.terminate();
      const release = await acquired;
      expect(m.owner).toBe(threadId);
      expect(m.ownerDied).toBe(true);
      release();
    });
  }
});

describe('owner death without watchWorker, and the throw contract', () => {
  it('terminate() without watchWorker leaves the lock held: waiters time out, they do not hang', async () => {
    const m = new Mutex();
    const [victim, next] = await spawn(2);
    await attachAll([victim!, next!], { m });
    await victim!.call('lock', 'm');
    await victim!.terminate();
    const r = await next!.call('lock', 'm', 200);
    expect(r.ok).toBe(false);
  });

  it("onOwnerDied: 'throw' raises OwnerDiedError with the lock held; markConsistent clears the flag", async () => {
    const m = new Mutex();
    const strict = Mutex.from(m.handle, { onOwnerDied: 'throw' });
    const [dying] = await spawn(1);
    await attachAll([dying!], { m });
    const gate = new SharedArrayBuffer(4);
    await dying!.call('dieHolding', 'm', 'exit', gate);
    openGate(gate);
    expect(await dying!.exited).toBe(7);
    expect(() => strict.lock(1000)).toThrow(OwnerDiedError);
    expect(strict.owner).toBe(threadId); // we hold it
    expect(strict.ownerDied).toBe(true);
    strict.markConsistent();
    expect(strict.ownerDied).toBe(false);
    strict.unlock();
    expect(strict.lock(1000)).toBe(true);
    strict.unlock();
  });
});

describe('markConsistent', () => {
  it('refuses a thread that does not hold the lock, naming the method', () => {
    const m = new Mutex();
    expect(() => m.markConsistent()).toThrow(/Mutex\.markConsistent: the calling thread does not hold the lock/);
  });
});
