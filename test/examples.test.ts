import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The README's examples, run as a user would run them: plain Node on the built package
// (`npm test` builds first), importing 'bank-sim/sync'.
const run = async (name: string) => (await promisify(execFile)(process.execPath, [`examples/${name}`], { timeout: 20_000 })).stdout;

describe('README examples run and print what the README says', () => {
  it('mutex-counter', async () => {
    expect(await run('mutex-counter.mjs')).toBe('counter = 400000 (expected 400000)\n');
  });
  it('main-thread-async', async () => {
    expect(await run('main-thread-async.mjs')).toBe('main thread got the lock; its timers fired all along\n');
  });
  it('condition-queue', async () => {
    expect(await run('condition-queue.mjs')).toBe('withdrawer: took 30\nfinal balance = 0\n');
  });
  it('semaphore-tellers', async () => {
    expect(await run('semaphore-tellers.mjs')).toMatch(/^most customers served at once: [23] \(windows: 3\)\n$/);
  });
  it('async-mutex-drop-in', async () => {
    expect(await run('async-mutex-drop-in.mjs')).toBe('second acquire: timed out\nrunExclusive: ran; locked after: false\n');
  });
  it('owner-died', async () => {
    expect(await run('owner-died.mjs')).toBe('main thread got the lock; previous owner died: true\n');
  });
});
