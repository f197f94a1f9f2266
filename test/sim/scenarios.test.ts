import { describe, expect, it } from 'vitest';
import { preset, type ScenarioName, type SimConfig } from '../../src/sim/model/config.js';
import { drawTx } from '../../src/sim/model/programs.js';
import { agentSeed, rng } from '../../src/sim/model/rng.js';
import { openRun } from '../../src/sim/open-run.js';

const config = (scenario: ScenarioName, extra: Partial<SimConfig> = {}): SimConfig => ({ ...preset(scenario), ...extra });

describe('condition scenario (withdrawers wait for funds)', () => {
  it('condition: the balance never goes negative, the books balance, and the run ends', async () => {
    const report = await openRun(config('condition', { timeScale: 0.02 })).run();
    expect(report.minBalance).toBeGreaterThanOrEqual(0);
    expect(report.overdrafts).toBe(0);
    expect(report.balance).toBe(report.expected);
    expect(report.lostUpdates).toBe(0);
    expect(report.violations).toEqual([]);
    const depositors = report.agents.filter((a) => a.role === 'depositor');
    expect(depositors.every((a) => a.transactions === 20)).toBe(true);
    // Withdrawers really waited on the Condition, and whoever was still waiting was released.
    expect(report.agents.filter((a) => a.role === 'withdrawer').some((a) => a.waitMs > 0)).toBe(true);
    expect(report.agents.every((a) => a.state === 'done')).toBe(true);
  });

  it('none: check-then-act without a lock overdraws the account', async () => {
    // Many withdrawers, a wide window between the check and the act, money arriving slowly.
    const report = await openRun(config('condition', { sync: 'none', timeScale: 0.02, windowUs: 5000 })).run();
    expect(report.minBalance).toBeLessThan(0);
    expect(report.violations.map((v) => v.name)).toContain('overdraft');
  });
});

describe('tellers scenario (Semaphore(K) windows)', () => {
  it('semaphore: never more than K customers served at once, and K were busy together', async () => {
    const report = await openRun(config('tellers', { permits: 3 })).run();
    expect(report.servingMax).toBeLessThanOrEqual(3);
    expect(report.servingMax).toBeGreaterThanOrEqual(2);
    expect(report.transactions).toBe(60);
    expect(report.violations).toEqual([]);
  });

  it('none: more customers than windows are served at once', async () => {
    const report = await openRun(config('tellers', { sync: 'none' })).run();
    expect(report.servingMax).toBeGreaterThan(3);
    expect(report.violations.map((v) => v.name)).toEqual(['tellers']);
  });
});

describe('transfer scenario (two locks per transfer)', () => {
  it('naive lock order deadlocks; the engine detects and reports the cycle, and the run ends', async () => {
    // A wide window between taking the first and the second lock makes the cycle certain.
    const sim = openRun(config('transfer', { windowUs: 20_000 }));
    const report = await sim.run();
    expect(report.deadlock).not.toBeNull();
    const cycle = report.deadlock!.cycle;
    expect(cycle.length).toBeGreaterThanOrEqual(2);
    // It is a cycle: each member waits for a lock held by the next one.
    for (const [i, m] of cycle.entries()) expect(m.heldBy).toBe(cycle[(i + 1) % cycle.length]!.agent);
    expect(report.deadlock!.text).toMatch(/T\d waits for account \d's lock, held by T\d/);
    expect(report.violations.map((v) => v.name)).toContain('deadlock');
    expect(report.agents.every((a) => a.state === 'done')).toBe(true); // released, not hung
    expect(report.balance).toBe(report.expected); // nothing half-moved
  });

  it.each(['global', 'trylock'] as const)('%s lock order completes every transfer and conserves money', async (order) => {
    const report = await openRun(config('transfer', { order, windowUs: 2000, ops: 20 })).run();
    expect(report.deadlock).toBeNull();
    expect(report.transactions).toBe(80);
    expect(report.balance).toBe(30_000);
    for (const a of report.accounts) expect(a.balance).toBe(a.expected);
    expect(report.violations).toEqual([]);
  });
});

describe('faults', () => {
  it('an agent that crashes holding the lock is reported by name; the others finish, nothing hangs', async () => {
    // Three agents with 5 ms pauses keep the lock free half the time, so C gets it for its 2nd
    // transaction while A and B still have most of theirs to do (with a saturated lock, C could be
    // overtaken until everyone else had finished, and then nobody would lock after it died).
    const sim = openRun(config('race', { sync: 'mutex', depositors: 3, crashAt: { agent: 2, op: 2 }, depositEveryUs: 5000 }));
    const report = await sim.run();
    expect(report.crashed).toEqual([{ agent: 'C', message: 'died in transaction 2 (exit code 70)' }]);
    // C died inside the critical section: the next agent to lock was told its owner died.
    const events = sim.events();
    const crash = events.findIndex((e) => e.action === 'crash');
    const nextLock = events.slice(crash).find((e) => e.action === 'lock');
    expect(nextLock).toBeDefined();
    expect(nextLock!.aux).toBe(1);
    expect(events.filter((e) => e.action === 'lock' && e.aux === 1)).toHaveLength(1); // only that hold
    expect(report.agents[2]!.state).toBe('dead');
    expect(report.agents[2]!.transactions).toBe(1);
    expect(report.transactions).toBe(21);
    expect(report.balance).toBe(report.expected); // C died after reading, before writing
    expect(report.violations).toEqual([{ name: 'agents', reason: 'C crashed: died in transaction 2 (exit code 70)' }]);
  });

  // --crash hooks the interpreter once: the agent dies at the first window of its transaction,
  // holding whatever that strategy holds there, in every scenario and strategy.
  it.each([
    ['tellers', 'semaphore', { permits: 1, ops: 3 }, 'C2'], // dies holding the only teller permit
    ['transfer', 'mutex', { order: 'global', ops: 5, windowUs: 500 }, 'T2'], // dies holding one account lock
    ['race', 'atomic', { depositors: 3, ops: 5 }, 'B'], // dies between its read and its CAS
  ] as const)('a crash in %s/%s is reported by name; what it held is recovered; the others finish', async (scenario, sync, extra, name) => {
    const sim = openRun(config(scenario, { sync, ...extra, crashAt: { agent: 1, op: 2 } }));
    const report = await sim.run();
    expect(report.crashed).toEqual([{ agent: name, message: 'died in transaction 2 (exit code 70)' }]);
    expect(report.agents[1]!.state).toBe('dead');
    expect(report.agents.filter((a, i) => i !== 1).every((a) => a.state === 'done' && a.transactions === extra.ops)).toBe(true);
    expect(report.violations).toEqual([{ name: 'agents', reason: `${name} crashed: died in transaction 2 (exit code 70)` }]);
    expect(report.balance).toBe(report.expected); // it died before writing anything
  });

  it('stop() releases agents blocked on a lock: the run ends early, says it was interrupted, and no transaction is torn', async () => {
    const sim = openRun(config('race', { sync: 'mutex', ops: 1000, windowUs: 5000 }));
    const done = sim.run();
    while (sim.snapshot().transactions < 3) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    sim.stop();
    const report = await done;
    expect(performance.now() - t0).toBeLessThan(1500); // blocked agents poll for the stop every 50 ms
    expect(report.interrupted).toBe(true);
    expect(report.transactions).toBeGreaterThanOrEqual(3);
    expect(report.transactions).toBeLessThan(100); // 10,000 were asked for; a 5 ms window allows ~200/s
    expect(report.balance).toBe(report.expected);
    expect(report.balance).toBe(report.transactions * 100);
    expect(report.agents.every((a) => a.state === 'done')).toBe(true);
  });

  it('refuses configs that could overflow the money cells, before starting anything', () => {
    expect(() => openRun(config('race', { ops: 1_000_000, deposit: [100_000, 100_000] }))).toThrow(/could overflow/);
    expect(() => openRun(config('race', { sync: 'condition', scenario: 'tellers' }))).toThrow(/does not apply/);
  });
});

describe('seeds', () => {
  it('the seed fixes every amount: each agent moves exactly what its seeded generator draws', async () => {
    const c = config('condition', { sync: 'condition', timeScale: 0.01, seed: 7, ops: 5 });
    const report = await openRun(c).run();
    const depositors = report.agents.filter((a) => a.role === 'depositor');
    const drawn = (seed: number) =>
      depositors.map((_, i) => {
        const next = rng(agentSeed(seed, i));
        let sum = 0;
        for (let op = 0; op < 5; op++) sum += drawTx('depositor', next, { ...c, seed }).amount;
        return sum;
      });
    expect(depositors.map((a) => a.movedCents)).toEqual(drawn(7));
    expect(drawn(8)).not.toEqual(drawn(7)); // another seed, other amounts
  });
});
