/**
 * Ctrl-C at any moment ends a run with a report. Killed while its agents are still starting, a
 * run used to leave Node with exit code 13 and no report: the main thread awaited a bare
 * Atomics.waitAsync, which holds no handle, and the terminated workers were the last ones.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const FIXTURE = new URL('../fixtures/kill-during-start.mjs', import.meta.url).pathname;

function runFixture(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIXTURE], { timeout: 15_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout + stderr }),
    );
  });
}

describe('kill', () => {
  it('a run killed while its agents start still settles with a report (three times in a row)', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await runFixture();
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^settled: \d+ transactions/m);
    }
  });
});
