import { describe, expect, it } from 'vitest';
import { runFixture } from '../helpers/cli.js';

/*
 * Bugs found by adversarial testing (issue 11) and later, each a script in test/fixtures/regress
 * run in its own process against the built library: exit 0 = right, 1 = the bug, and a process
 * that does not end by itself (bug 1) is killed at the deadline. Each failed on the code before
 * its fix (checked by reverting src/sync).
 */
const run = (script: string, deadlineMs?: number) => runFixture(`regress/${script}`, deadlineMs);

describe('regressions (issue 11)', () => {
  it('1: after cancel() the process can exit (no pump left holding the event loop)', async () => {
    const r = await run('kick-clobber.mjs', 10_000);
    expect(r.out).toMatch(/canceled/);
    expect(r.code, r.out).toBe(0);
  });

  it('2: a blocked lock() is woken although the async waiter woken with it is busy or dead', async () => {
    const r = await run('stranded.mjs');
    expect(r.out).toMatch(/main: the blocked worker got the lock/);
    expect(r.code, r.out).toBe(0);
  });

  it('3: a Condition waiter killed by terminate() gives up its slot (watchWorker)', async () => {
    const r = await run('cond-dead-waiter.mjs');
    expect(r.code, r.out).toBe(0);
  });

  it('4: Condition.waitAsync(timeout) holds the event loop until it times out', async () => {
    const r = await run('cond-waitasync-exit.mjs');
    expect(r.out).toMatch(/returned false/);
    expect(r.code, r.out).toBe(0);
  });
});

describe('regressions (Condition waiter ring)', () => {
  it('5: timed-out waits do not use up maxWaiters (10 threads x 100 wait(5) on maxWaiters 16)', async () => {
    const r = await run('cond-timed-out-waiters.mjs');
    expect(r.out).toMatch(/none refused/);
    expect(r.code, r.out).toBe(0);
  });

  it('6: a notifier terminated inside notify() leaves the queue repairable: the next waiter is accepted, FIFO kept', async () => {
    const r = await run('cond-notifier-killed.mjs');
    expect(r.out).toMatch(/all woken in order a,b,c,d/);
    expect(r.code, r.out).toBe(0);
  });
});
