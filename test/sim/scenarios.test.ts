import { describe, expect, it } from 'vitest';
import { preset, type ScenarioName, type SimConfig } from '../../src/sim/config.js';
import { Simulation } from '../../src/sim/simulation.js';

const config = (scenario: ScenarioName, extra: Partial<SimConfig> = {}): SimConfig => ({ ...preset(scenario), ...extra });

describe('condition scenario (withdrawers wait for funds)', () => {
  it('condition: the balance never goes negative, the books balance, and the run ends', async () => {
    const report = await new Simulation(config('condition', { timeScale: 0.02 })).run();
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
    const report = await new Simulation(config('condition', { sync: 'none', timeScale: 0.02, windowUs: 5000 })).run();
    expect(report.minBalance).toBeLessThan(0);
    expect(report.violations.map((v) => v.name)).toContain('overdraft');
  });
});

describe('tellers scenario (Semaphore(K) windows)', () => {
  it('semaphore: never more than K customers served at once, and K were busy together', async () => {
    const report = await new Simulation(config('tellers', { permits: 3 })).run();
    expect(report.servingMax).toBeLessThanOrEqual(3);
    expect(report.servingMax).toBeGreaterThanOrEqual(2);
    expect(report.transactions).toBe(60);
    expect(report.violations).toEqual([]);
  });

  it('none: more customers than windows are served at once', async () => {
    const report = await new Simulation(config('tellers', { sync: 'none' })).run();
    expect(report.servingMax).toBeGreaterThan(3);
    expect(report.violations.map((v) => v.name)).toEqual(['tellers']);
  });
});

describe('transfer scenario (two locks per transfer)', () => {
  it('naive lock order deadlocks; the engine detects and reports the cycle, and the run ends', async () => {
    // A wide window between taking the first and the second lock makes the cycle certain.
    const sim = new Simulation(config('transfer', { windowUs: 20_000 }));
    const report = await sim.run();
    expect(report.deadlock).not.toBeNull();
    const cycle = report.deadlock!.cycle;
    expect(cycle.length).toBeGreaterThanOrEqual(2);
    // It is a cycle: each member waits for a lock held by the next one.
    cycle.forEach((m, i) => expect(m.heldBy).toBe(cycle[(i + 1) % cycle.length]!.agent));
    expect(report.deadlock!.text).toMatch(/T\d waits for account \d's lock, held by T\d/);
    expect(report.violations.map((v) => v.name)).toContain('deadlock');
    expect(report.agents.every((a) => a.state === 'done')).toBe(true); // released, not hung
    expect(report.balance).toBe(report.expected); // nothing half-moved
  });

  it.each(['global', 'trylock'] as const)('%s lock order completes every transfer and conserves money', async (order) => {
    const report = await new Simulation(config('transfer', { order, windowUs: 2000, ops: 20 })).run();
    expect(report.deadlock).toBeNull();
    expect(report.transactions).toBe(80);
    expect(report.balance).toBe(30_000);
    report.accounts.forEach((a) => expect(a.balance).toBe(a.expected));
    expect(report.violations).toEqual([]);
  });
});

describe('faults', () => {
  it('an agent that crashes holding the lock is reported by name; the others finish, nothing hangs', async () => {
    // Three agents with 5 ms pauses keep the lock free half the time, so C gets it for its 2nd
    // transaction while A and B still have most of theirs to do (with a saturated lock, C could be
    // overtaken until everyone else had finished, and then nobody would lock after it died).
    const sim = new Simulation(config('race', { sync: 'mutex', depositors: 3, crashAt: { agent: 2, op: 2 }, depositEveryUs: 5000 }));
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

  it('stop() releases agents blocked on a lock and the run finishes', async () => {
    const sim = new Simulation(config('race', { sync: 'mutex', ops: 1000, windowUs: 5000 }));
    const done = sim.run();
    while (sim.snapshot().transactions < 3) await new Promise((r) => setTimeout(r, 10));
    sim.stop();
    const report = await done;
    expect(report.transactions).toBeLessThan(10_000);
    expect(report.balance).toBe(report.expected);
    expect(report.agents.every((a) => a.state === 'done')).toBe(true);
  });

  it('refuses configs that could overflow the money cells, before starting anything', () => {
    expect(() => new Simulation(config('race', { ops: 1_000_000, deposit: [100_000, 100_000] }))).toThrow(/could overflow/);
    expect(() => new Simulation(config('race', { sync: 'condition', scenario: 'tellers' }))).toThrow(/does not apply/);
  });
});

describe('seeds', () => {
  it('the same seed gives the same amounts: locked runs end on the same balance', async () => {
    const a = await new Simulation(config('condition', { sync: 'condition', timeScale: 0.01, seed: 7, ops: 5 })).run();
    const b = await new Simulation(config('condition', { sync: 'condition', timeScale: 0.01, seed: 7, ops: 5 })).run();
    const deposited = (r: typeof a) => r.agents.filter((x) => x.role === 'depositor').map((x) => x.movedCents);
    expect(deposited(a)).toEqual(deposited(b));
  });
});
