import { describe, expect, it } from 'vitest';
import { preset, type SimConfig, type Strategy } from '../../src/sim/model/config.js';
import { explore } from '../../src/sim/explore/enumerate.js';
import { checkSchedule, parseSchedule, ScheduleError } from '../../src/sim/explore/schedule.js';
import { traceSchedule } from '../../src/sim/explore/witness.js';

const race = (sync: Strategy, agents: number, ops = 1): SimConfig => ({ ...preset('race'), sync, depositors: agents, ops });
const transfer = (order: SimConfig['order']): SimConfig => ({ ...preset('transfer'), sync: 'mutex', order, depositors: 2, ops: 1, accounts: 2 });
const balances = (r: ReturnType<typeof explore>) => r.outcomes.map((o) => o.model.balances[0]).sort((a, b) => a! - b!);

describe('explore: every interleaving of the real step programs, judged by the one verdict', () => {
  it('race/none 2 agents x 1 op: 6 interleavings, 2 acceptable (the serial ones), 4 classes', () => {
    const r = explore(race('none', 2));
    expect(r.stopped).toBeNull();
    expect(r.interleavings).toBe(6);
    expect(r.classes).toBe(4); // the two reads commute: rA rB ~ rB rA
    const ok = r.outcomes.filter((o) => o.model.verdict.ok);
    expect(ok.map((o) => [o.model.balances, o.interleavings])).toEqual([[[200], 2]]);
    const lost = r.outcomes.find((o) => !o.model.verdict.ok)!;
    expect(lost.model.balances).toEqual([100]);
    expect(lost.interleavings).toBe(4);
    expect(lost.share).toBeCloseTo(4 / 6);
    expect(lost.witness.preemptions).toBe(1);
    expect(r.names.length).toBe(2);
    const w = traceSchedule(r.config, lost.witness.schedule);
    expect(w.explanation).toMatch(/^[AB] and [AB] both read \$0\.00; [AB]'s write erased [AB]'s deposit$/);
    expect(w.rows.map((row) => row.did)).toEqual(['read $0.00', 'read $0.00', 'write $1.00', 'write $1.00 over $1.00']);
  });

  it('race/none 3 x 1: 90 interleavings, 6 acceptable, final balances $1, $2, $3', () => {
    const r = explore(race('none', 3));
    expect(r.interleavings).toBe(90);
    expect(r.outcomes.filter((o) => o.model.verdict.ok).reduce((s, o) => s + o.interleavings, 0)).toBe(6);
    expect(balances(r)).toEqual([100, 200, 300]);
    expect(r.classes).toBeLessThan(90);
  });

  it('race/none 4 x 1: 2,520 interleavings, fast', () => {
    const r = explore(race('none', 4));
    expect(r.interleavings).toBe(2520);
    expect(balances(r)).toEqual([100, 200, 300, 400]);
    expect(r.outcomes.find((o) => o.model.verdict.ok)!.interleavings).toBe(24); // 4! serial orders
  });

  it.each(['mutex', 'rlock', 'semaphore', 'condition', 'atomic'] as const)('race/%s has no forbidden outcome (3 agents x 1 op)', (sync) => {
    const r = explore(race(sync, 3));
    expect(r.stopped).toBeNull();
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.model.verdict.ok).toBe(true);
    expect(r.outcomes[0]!.model.balances).toEqual([300]);
  });

  it('transfer in opposite directions deadlocks with --order naive, never with global', () => {
    const naive = explore(transfer('naive'));
    const inputs = naive.inputs.map((txs) => [txs[0]!.from, txs[0]!.to]);
    expect(inputs).toEqual([
      [1, 0],
      [0, 1],
    ]); // seed 42: opposite directions
    const dead = naive.outcomes.filter((o) => o.model.outcome.deadlock);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.model.verdict.violations.map((v) => v.name)).toEqual(['deadlock']);
    expect(dead[0]!.model.outcome.deadlock!.text).toBe("T1 waits for account 1's lock, held by T2; T2 waits for account 2's lock, held by T1");
    expect(dead[0]!.witness.schedule).toEqual([0, 1]);
    const global = explore(transfer('global'));
    expect(global.outcomes.every((o) => o.model.verdict.ok && !o.model.outcome.deadlock)).toBe(true);
  });

  it('the condition scenario with the monitor pattern has no forbidden outcome; unguarded it overdraws or loses updates', () => {
    const base = { ...preset('condition'), depositors: 1, withdrawers: 2, ops: 1, deposit: [1000, 1000] as [number, number], withdraw: [1000, 1000] as [number, number] };
    const monitor = explore({ ...base, sync: 'condition' });
    expect(monitor.outcomes.every((o) => o.model.verdict.ok)).toBe(true);
    const none = explore({ ...base, sync: 'none', depositors: 2 });
    expect(none.outcomes.some((o) => !o.model.verdict.ok)).toBe(true);
  });

  it('--max-preemptions keeps only schedules within the bound (0: the serial ones)', () => {
    expect(explore(race('none', 3), { maxPreemptions: 0 }).interleavings).toBe(6);
    const one = explore(race('none', 3), { maxPreemptions: 1 });
    expect(one.interleavings).toBeLessThan(90);
    expect(one.outcomes.every((o) => o.witness.preemptions <= 1)).toBe(true);
  });

  it('a state limit stops with a clear message and partial counts', () => {
    const r = explore(race('none', 5, 3), { maxStates: 2000 });
    expect(r.stopped?.message).toBe('stopped at the state limit (2,000 states)');
    expect(r.interleavings).toBeGreaterThan(0);
    expect(r.classes).toBeNull();
    expect(r.outcomes.length).toBeGreaterThan(0);
    expect(r.outcomes.reduce((s, o) => s + o.interleavings, 0)).toBe(r.interleavings);
  });

  it('a schedule is checked on the model: unknown agents and steps that are not enabled are named', () => {
    const names = ['A', 'B'];
    expect(() => parseSchedule('A,C', names)).toThrow(new ScheduleError("step 2: no agent named 'C'; the agents are A, B"));
    expect(() => checkSchedule(race('mutex', 2), [0, 1])).toThrow(new ScheduleError("step 2: B cannot take 'lock': A holds lock 0"));
    expect(() => checkSchedule(race('none', 2), [0, 0, 0])).toThrow(new ScheduleError('step 3: A has finished'));
    expect(checkSchedule(race('none', 2), [0, 1, 1, 0]).complete).toBe(true);
  });
});
