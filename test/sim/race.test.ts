import { describe, expect, it } from 'vitest';
import { APPLICABLE, preset, type Strategy } from '../../src/sim/model/config.js';
import { openRun } from '../../src/sim/open-run.js';

const race = (sync: Strategy, extra = {}) => ({ ...preset('race'), sync, ...extra });

describe('race scenario (the lesson: 10 agents x 10 deposits of $1)', () => {
  it.each(APPLICABLE.race.filter((s) => s !== 'none' && s !== 'async'))('%s keeps the balance exact with no lost update', async (sync) => {
    const report = await openRun(race(sync)).run();
    expect(report.transactions).toBe(100);
    expect(report.expected).toBe(10_000);
    expect(report.balance).toBe(10_000);
    expect(report.lostUpdates).toBe(0);
    expect(report.violations).toEqual([]);
    expect(report.agents.every((a) => a.state === 'done' && a.transactions === 10)).toBe(true);
  });

  // The start barrier makes all 10 agents read inside each other's 1 ms windows. Bound: in each
  // of 3 runs at least 10 of the 100 deposits are lost (typical runs lose 70-90).
  it.each(['none', 'async'] as const)('%s loses updates on the default 1 ms window, every time', async (sync) => {
    for (let run = 0; run < 3; run++) {
      const sim = openRun(race(sync, { seed: run }), { collectTrace: true });
      const report = await sim.run();
      expect(report.transactions).toBe(100);
      expect(report.expected).toBe(10_000);
      expect(report.lostUpdates).toBeGreaterThanOrEqual(10);
      // $1 deposits: every lost update is exactly one lost dollar.
      expect(report.lostUpdates).toBe((report.expected - report.balance) / 100);
      // Each stale write is in the trace; one stale write can erase several deposits, so there
      // are at most as many stale writes as lost updates plus restored ones, and at least one.
      const stale = sim.trace().events.filter((e) => e.action === 'lost');
      expect(stale).toHaveLength(report.staleWrites);
      expect(stale.length).toBeGreaterThan(0);
      expect(report.ok).toBe(false);
      expect(report.violations).toEqual([{ name: 'balance', reason: `lost ${report.lostUpdates} of 100 deposits: balance $${report.balance / 100}.00, expected $100.00` }]);
    }
  });

  it('semaphore with permits > 1 does not protect the balance', async () => {
    const report = await openRun(race('semaphore', { permits: 5 })).run();
    expect(report.lostUpdates).toBeGreaterThan(0);
    expect(report.balance).toBeLessThan(report.expected);
  });

  it('step mode makes a lost update happen by hand, deterministically', async () => {
    const sim = openRun(race('none', { depositors: 2, ops: 1 }));
    sim.setStepMode(true);
    const done = sim.run();
    const waitFor = async (agent: number, step: string) => {
      for (let i = 0; i < 500; i++) {
        const a = sim.snapshot().agents[agent]!;
        if (a.state === 'waiting for step' && a.nextStep === step) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`agent ${agent} never got to ${step}`);
    };
    await waitFor(0, 'read');
    await waitFor(1, 'read');
    sim.step(0); // A reads $0
    await waitFor(0, 'write');
    sim.step(1); // B reads $0
    await waitFor(1, 'write');
    sim.step(0); // A writes $1
    while (sim.snapshot().agents[0]!.state !== 'done') await new Promise((r) => setTimeout(r, 10));
    sim.step(1); // B writes $1 over A's $1
    const report = await done;
    expect(report.balance).toBe(100);
    expect(report.expected).toBe(200);
    expect(report.lostUpdates).toBe(1);
    const lost = sim.events().find((e) => e.action === 'lost')!;
    expect(sim.names[lost.agent]).toBe('B');
    expect(lost.value).toBe(0); // what B read
    expect(lost.aux).toBe(100); // what B overwrote
    expect(sim.names[lost.aux2]).toBe('A'); // whose write that was
  });

  it('pause holds every agent; resume lets them finish; the trace explains lost updates', async () => {
    const sim = openRun(race('none', { ops: 50 }), { collectTrace: true });
    const done = sim.run();
    while (sim.snapshot().status === 'starting') await new Promise((r) => setTimeout(r, 5));
    sim.pause();
    await new Promise((r) => setTimeout(r, 100));
    const a = sim.snapshot().transactions;
    await new Promise((r) => setTimeout(r, 200));
    const b = sim.snapshot().transactions;
    expect(b - a).toBeLessThanOrEqual(10); // at most the transactions already past their gate
    sim.resume();
    const report = await done;
    expect(report.transactions).toBe(500);
    const { events, dropped } = sim.trace();
    expect(dropped).toBe(0);
    expect(events.filter((e) => e.action === 'lost')).toHaveLength(report.staleWrites);
    expect(report.lostUpdates).toBe((report.expected - report.balance) / 100);
    expect(events.filter((e) => e.action === 'write')).toHaveLength(500);
  });
});
