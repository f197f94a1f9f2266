import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CanceledError, Condition, Mutex, WaiterLimitError, watchWorker } from '../../src/sync/index.js';
import { attachAll, useThreads } from '../helpers/spawned.js';
import { eventually, sleep, stillPending, threads, type Thread } from '../helpers/threads.js';

// Two workers serve every test (each attaches its own Condition, and a passing test leaves them
// idle): starting a worker costs more than most of these tests. A failed test may leave them
// blocked, so they are replaced after one, and one failure does not cascade. The worker that a
// test kills is its own.
let pair: Thread[] = [];
let replacePair = true;
beforeEach(async ({ onTestFailed }) => {
  if (replacePair) {
    await Promise.all(pair.map((t) => t.terminate()));
    pair = await threads(2);
    replacePair = false;
  }
  onTestFailed(() => {
    replacePair = true;
  });
});
afterAll(async () => {
  await Promise.all(pair.map((t) => t.terminate()));
});
const spawnOwn = useThreads();

/**
 * Starts a blocking wait in `t` (lock, wait, unlock) and resolves once the Condition counts one
 * more waiter, with `returned`: the wait's result (boxed: an async function would adopt it).
 */
async function startWait(c: Condition, t: Thread, timeoutMs: number): Promise<{ returned: Promise<{ notified: boolean }> }> {
  const before = c.waiting;
  await t.call('condLock', 'c');
  const returned = t.call('condWait', 'c', timeoutMs).then(async (r) => (await t.call('condUnlock', 'c'), r));
  await eventually(() => c.waiting === before + 1, 5000, 'the worker to wait');
  return { returned };
}

describe('Condition: maxWaiters counts the threads waiting at the same moment', () => {
  it('blocking: wait(1) repeated behind a live waiter never runs out of slots, and notify reaches the live one', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 2 });
    const [a] = pair;
    await attachAll([a!], { c });
    const release = await c.mutex.acquire();
    const live = c.waitAsync(10_000); // the oldest waiter, and it stays
    await eventually(() => c.waiting === 1);
    // Before: the second round threw, the two slots held by a live waiter and a timed-out one.
    expect(await a!.call('condWaitRounds', 'c', 5, 1)).toEqual({ rounds: 5, notified: 0 });
    await a!.call('condLock', 'c');
    await a!.call('notify', 'c');
    await a!.call('condUnlock', 'c');
    expect(await live).toBe(true);
    release();
  });

  it('async: waitAsync(1) repeated behind a live waiter never runs out of slots, and notify reaches the live one', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 2 });
    const [a] = pair;
    await attachAll([a!], { c });
    const { returned: live } = await startWait(c, a!, 10_000);
    for (let i = 0; i < 5; i++) {
      const release = await c.mutex.acquire();
      expect(await c.waitAsync(1)).toBe(false);
      release();
    }
    c.mutex.lock();
    c.notify();
    c.mutex.unlock();
    expect((await live).notified).toBe(true);
  });

  it('a waiter that timed out is skipped by notify: the wake-up goes to the live waiter behind it', async () => {
    const c = new Condition(new Mutex());
    const [older, holder] = pair;
    await attachAll([older!, holder!], { c });
    const { returned: timesOut } = await startWait(c, older!, 300);
    await c.mutex.acquire();
    const live = c.waitAsync(10_000); // queued behind the older waiter
    await holder!.call('condLock', 'c');
    // The older waiter's deadline passes while the holder has the mutex: it withdraws at once,
    // then blocks re-acquiring the mutex, still first in the queue.
    await eventually(() => c.waiting === 1, 5000, 'the older waiter to time out');
    await holder!.call('notify', 'c', 1);
    expect(c.waiting).toBe(0);
    await holder!.call('condUnlock', 'c');
    expect(await live).toBe(true); // (it may get the mutex before the older waiter: let go first)
    c.mutex.release();
    expect((await timesOut).notified).toBe(false);
  });

  it('FIFO order survives a waiter leaving from the middle of the queue', async () => {
    const c = new Condition(new Mutex());
    const [first, last] = pair;
    await attachAll([first!, last!], { c });
    const { returned: oldest } = await startWait(c, first!, 10_000);
    await c.mutex.acquire();
    const abort = new AbortController();
    const middle = c.waitAsync(10_000, { signal: abort.signal });
    await eventually(() => c.waiting === 2);
    const { returned: newest } = await startWait(c, last!, 10_000);
    abort.abort(); // the middle waiter withdraws and leaves the queue between the two workers
    expect(await middle).toBe(false);
    c.notify(1); // still holding the mutex from the aborted wait
    c.mutex.release();
    expect((await oldest).notified).toBe(true);
    c.mutex.lock();
    expect(c.waiting).toBe(1);
    c.notify(1);
    c.mutex.unlock();
    expect((await newest).notified).toBe(true);
  });

  it('a notify that lands before the deadline counts, however late the waiter gets the mutex back', async () => {
    const c = new Condition(new Mutex());
    const [a] = pair;
    await attachAll([a!], { c });
    const { returned: woken } = await startWait(c, a!, 500);
    const release = await c.mutex.acquire();
    c.notify();
    expect(c.waiting).toBe(0); // the notify won: the waiter can no longer time out
    await sleep(700); // past its deadline, still holding the mutex
    release();
    expect((await woken).notified).toBe(true);
  });

  it('maxWaiters is exact: one more waiter than 3 gets WaiterLimitError naming it, and the three are unharmed', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 3 });
    const [a] = pair;
    await attachAll([a!], { c });
    // Three waiters on the main thread (each waitAsync lets go of the mutex while it waits).
    const waits: Promise<boolean>[] = [];
    for (let i = 0; i < 3; i++) {
      await c.mutex.acquire();
      waits.push(c.waitAsync(10_000).finally(() => c.mutex.release()));
    }
    await eventually(() => c.waiting === 3);
    await a!.call('condLock', 'c');
    const remote = await a!.error('condWait', 'c', 10_000);
    expect(remote.name).toBe('WaiterLimitError');
    expect(remote.code).toBe('ERR_SYNC_WAITER_LIMIT');
    expect(remote.message).toMatch(/3 threads are already waiting, the most its maxWaiters \(3\) allows/);
    await a!.call('condUnlock', 'c'); // refused before it let go of the mutex: it still holds it
    const release = await c.mutex.acquire();
    const refused = await c.waitAsync(10_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WaiterLimitError);
    expect((refused as WaiterLimitError).message).toMatch(/^Condition\.waitAsync: .*maxWaiters \(3\)/);
    expect(c.waiting).toBe(3);
    c.notifyAll();
    release();
    expect(await Promise.all(waits)).toEqual([true, true, true]);
  });

  it('a waiter killed behind a live one gives its slot back at once (watchWorker), and notify keeps FIFO order', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 2 });
    const [first] = pair;
    const [doomed] = await spawnOwn(1);
    await attachAll([first!, doomed!], { c });
    const { returned: oldest } = await startWait(c, first!, 10_000);
    watchWorker(doomed!.worker);
    await startWait(c, doomed!, 10_000); // never returns: the worker is killed in it
    await doomed!.terminate();
    await eventually(() => c.waiting === 1, 5000, 'the dead waiter to be withdrawn');
    // Both slots are taken (a live waiter, a dead one): the dead one's is reclaimed.
    const release = await c.mutex.acquire();
    const newest = c.waitAsync(10_000);
    await eventually(() => c.waiting === 2);
    c.mutex.lock();
    c.notify(1); // the oldest live waiter, not the dead one nor the newest
    c.mutex.unlock();
    expect((await oldest).notified).toBe(true);
    expect(c.waiting).toBe(1);
    c.mutex.lock();
    c.notify(1);
    c.mutex.unlock();
    expect(await newest).toBe(true);
    release();
  });

  it('a timed-out async waiter whose re-acquire is canceled gives its slot back', async () => {
    const c = new Condition(new Mutex(), { maxWaiters: 1 });
    const [a] = pair;
    await attachAll([a!], { c });
    await c.mutex.acquire();
    const workerLocks = a!.call('condLock', 'c');
    await stillPending(workerLocks, 50, "the worker's lock()");
    const waiting = c.waitAsync(500); // lets the worker in; it keeps the mutex past our deadline
    await workerLocks;
    await eventually(() => c.waiting === 0, 5000, 'the waiter to time out');
    c.mutex.cancel(); // its re-acquire, queued behind the worker, is canceled
    await expect(waiting).rejects.toBeInstanceOf(CanceledError);
    await a!.call('condUnlock', 'c');
    const release = await c.mutex.acquire();
    const again = c.waitAsync(10_000); // the only slot, reclaimed
    await a!.call('condLock', 'c');
    await a!.call('notify', 'c');
    await a!.call('condUnlock', 'c');
    expect(await again).toBe(true);
    release();
  });
});
