/**
 * Ctrl-C at any moment ends a run with a report. Killed while its agents are still starting, a
 * run used to leave Node with exit code 13 and no report: the main thread awaited a bare
 * Atomics.waitAsync, which holds no handle, and the terminated workers were the last ones.
 */
import { describe, expect, it } from 'vitest';
import { runFixture } from '../helpers/cli.js';

describe('kill', () => {
  it('a run killed while its agents start still settles with a report (three times in a row)', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await runFixture('kill-during-start.mjs');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^settled: \d+ transactions/m);
    }
  });
});
