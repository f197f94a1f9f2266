import { describe, expect, it } from 'vitest';
import { Mutex, RLock, Semaphore } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { runStress } from '../helpers/stress.js';
import { lockSleepers, sleep, stillPending } from '../helpers/threads.js';

const spawn = useThreads();

// Exactness under real contention. Figures are asserted exactly; time is only bounded by
// the suite's timeout (speed belongs to `npm run bench`).
describe('stress on real threads', () => {
  it.each([
    ['Mutex (barging)', () => new Mutex(), 'mutex'],
    ['Mutex (fair)', () => new Mutex({ fair: true }), 'mutex'],
    ['RLock', () => new RLock(), 'rlock'],
  ] as const)('%s: 4 workers x 250k locked increments give the exact total', async (_name, make, mode) => {
    const lock = make();
    const shared = new SharedArrayBuffer(4);
    await runStress(mode, lock.handle, shared, 4, 250_000);
    expect(new Int32Array(shared)[0]).toBe(1_000_000);
    expect(lock.isLocked()).toBe(false);
  });

  it('fair mode: a starved sleeper gets the lock by hand-off, however fast the holder re-takes it', async () => {
    // No timing bound. A sleeper that has waited over STARVATION_MS and was woken in vain
    // switches a fair lock to starvation mode: the next unlock hands the lock to it, and the
    // holder's tryLock a few ns later must fail. A barging lock never hands off (this test fails
    // with fair: false), though its sleeper may win a race now and then.
    const m = new Mutex({ fair: true });
    const [holder, sleeper] = await spawn(2);
    await attachAll([holder!, sleeper!], { m });
    let handedOff = false;
    // Before starvation mode a woken sleeper may still win a race; then start over (at most 5 times).
    for (let attempt = 0; attempt < 5 && !handedOff; attempt++) {
      await holder!.call('lock', 'm');
      const waiting = sleeper!.call('lock', 'm', 10_000);
      await stillPending(waiting, 50, "the sleeper's lock()");
      expect(lockSleepers(m.handle).flagged).toBe(true); // it is asleep on the word
      let last = { relocked: true, handedOff: false };
      for (let i = 0; i < 20 && last.relocked; i++) {
        last = await holder!.call('unlockRelock', 'm');
        if (last.relocked) await sleep(5); // the woken sleeper finds it taken after > 1 ms: starvation mode
      }
      expect(last.relocked).toBe(false); // the holder could not keep it for 20 rounds
      expect((await waiting).ok).toBe(true);
      expect(m.owner).toBe(sleeper!.worker.threadId);
      handedOff = last.handedOff;
      await sleeper!.call('unlock', 'm');
    }
    expect(handedOff).toBe(true);
    expect(m.isLocked()).toBe(false);
  });

  it('Semaphore(3): never more than 3 holders over 100k acquisitions by 4 workers', async () => {
    const s = new Semaphore(3);
    const shared = new SharedArrayBuffer(12);
    const reports = await runStress('semaphore', s.handle, shared, 4, 25_000);
    const cells = new Int32Array(shared);
    expect(reports.reduce((a, r) => a + r.done, 0)).toBe(100_000);
    expect(Math.max(...reports.map((r) => r.maxSeen!))).toBeLessThanOrEqual(3);
    expect(cells[1]).toBeLessThanOrEqual(3);
    expect(cells[1]).toBeGreaterThanOrEqual(2); // holders did overlap: the bound was exercised
    expect(cells[0]).toBe(0);
    expect(s.getValue()).toBe(3);
  });

  it('main-thread async waiters and blocking worker waiters share one Mutex exactly', async () => {
    const m = new Mutex();
    const shared = new SharedArrayBuffer(4);
    const cells = new Int32Array(shared);
    const workers = runStress('mutex', m.handle, shared, 3, 100_000);
    let mainOps = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const mainSide = (async () => {
      for (let i = 0; i < 2_000; i++) {
        await m.runExclusive(async () => {
          const before = cells[0]!;
          await Promise.resolve(); // yield inside the critical section: still exclusive
          cells[0] = before + 1;
          mainOps++;
        });
      }
    })();
    await Promise.all([workers, mainSide]);
    clearInterval(timer);
    expect(mainOps).toBe(2_000);
    expect(cells[0]).toBe(300_000 + 2_000);
    expect(ticks).toBeGreaterThan(0); // the event loop kept running while the main side waited
  });
});
