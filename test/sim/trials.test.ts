import { describe, expect, it } from 'vitest';
import { preset, type ScenarioName, type SimConfig } from '../../src/sim/model/config.js';
import { runTrials } from '../../src/sim/engine/trials.js';

const config = (scenario: ScenarioName, extra: Partial<SimConfig> = {}): SimConfig => ({ ...preset(scenario), ...extra });

describe('trials: every trial judged by the verdict, on agents started once', () => {
  it('a transfer with the naive lock order deadlocks: forbidden, because of the deadlock, although no money is lost', async () => {
    const t = await runTrials(config('transfer', { windowUs: 5000, ops: 5 }), { trials: 3 });
    expect(t.trials).toBe(3);
    expect(t.forbidden).toBe(3);
    expect(t.acceptable).toBe(0);
    for (const o of t.outcomes) {
      expect(o.verdict).toBe('forbidden');
      expect(o.balance).toBe(30_000); // the balance alone would call it acceptable
      expect(o.violations.map((v) => v.name)).toEqual(['deadlock']);
      expect(o.violations[0]!.reason).toMatch(/T\d waits for account \d's lock, held by T\d/);
    }
  });

  it('the global lock order: every trial acceptable', async () => {
    const t = await runTrials(config('transfer', { windowUs: 500, ops: 5, order: 'global' }), { trials: 3 });
    expect(t.acceptable).toBe(3);
    expect(t.outcomes).toEqual([{ verdict: 'acceptable', balance: 30_000, count: 3, violations: [] }]);
  });

  it('tellers without a semaphore: forbidden for serving too many at once, although the balance is exact', async () => {
    const t = await runTrials(config('tellers', { sync: 'none', ops: 2 }), { trials: 2 });
    expect(t.forbidden).toBe(2);
    expect(t.outcomes).toHaveLength(1);
    expect(t.outcomes[0]!.balance).toBe(t.expected);
    expect(t.outcomes[0]!.violations).toHaveLength(1);
    expect(t.outcomes[0]!.violations[0]!.name).toBe('tellers');
    expect(t.outcomes[0]!.violations[0]!.reason).toMatch(/^(\d+) customers were served at once with 3 windows$/);
  });

  it('the condition scenario: final balances differ with timing, yet every trial keeps every invariant', async () => {
    const t = await runTrials(config('condition', { timeScale: 0.01, ops: 6 }), { trials: 3 });
    expect(t.trials).toBe(3);
    expect(t.forbidden).toBe(0);
    expect(t.acceptable).toBe(3);
  });

  it('the litmus race (2 agents x 1 deposit, no window) runs strides of trial states and shows both outcomes', async () => {
    const t = await runTrials(config('race', { depositors: 2, ops: 1, windowUs: 0 }), { trials: 20_000 });
    expect(t.stride).toBe(256);
    expect(t.trials).toBe(20_000);
    const byBalance = Object.fromEntries(t.outcomes.map((o) => [o.balance, o]));
    expect(Object.keys(byBalance).sort()).toEqual(['100', '200']); // nothing else can happen
    expect(byBalance[200]!.verdict).toBe('acceptable');
    expect(byBalance[100]!.verdict).toBe('forbidden');
    expect(byBalance[100]!.violations).toEqual([{ name: 'balance', reason: 'lost 1 of 2 deposits: balance $1.00, expected $2.00' }]);
    // Both interleavings really happen (each agent lines up at every trial state).
    expect(byBalance[100]!.count).toBeGreaterThan(0);
    expect(byBalance[200]!.count).toBeGreaterThan(0);
    expect(byBalance[100]!.count + byBalance[200]!.count).toBe(20_000);
  });

  it('the litmus race under a mutex: all 20,000 trials acceptable', async () => {
    const t = await runTrials(config('race', { sync: 'mutex', depositors: 2, ops: 1, windowUs: 0 }), { trials: 20_000 });
    expect(t.outcomes).toEqual([{ verdict: 'acceptable', balance: 200, count: 20_000, violations: [] }]);
  });

  it('an abort drops the unfinished trial and says the run was interrupted', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    const running = runTrials(config('race', { ops: 3 }), {
      trials: 10_000,
      signal: stop.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done >= 3) stop.abort();
      },
    });
    const t = await running;
    expect(t.interrupted).toBe(true);
    expect(t.trials).toBeGreaterThanOrEqual(3);
    expect(t.trials).toBeLessThan(10_000);
    // Only finished trials are counted, and each of them is in the table.
    expect(t.outcomes.reduce((sum, o) => sum + o.count, 0)).toBe(t.trials);
  });
});
