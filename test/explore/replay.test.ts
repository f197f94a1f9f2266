import { describe, expect, it } from 'vitest';
import { preset, type SimConfig } from '../../src/sim/model/config.js';
import { explore } from '../../src/sim/explore/enumerate.js';
import { replay } from '../../src/sim/engine/replay.js';
import { openRun } from '../../src/sim/open-run.js';

// The proof that the model and the threads share semantics: every witness the explorer finds
// is driven through the real worker threads (step mode, one granted step at a time), and the
// real run must end exactly as the model says: the same balances, the same violations.
const cases: [string, SimConfig][] = [
  ['race/none 2x1', { ...preset('race'), sync: 'none', depositors: 2, ops: 1 }],
  ['race/none 3x1', { ...preset('race'), sync: 'none', depositors: 3, ops: 1 }],
  ['transfer/mutex naive (deadlock)', { ...preset('transfer'), sync: 'mutex', order: 'naive', depositors: 2, ops: 1, accounts: 2 }],
  ['tellers/none 1 window', { ...preset('tellers'), sync: 'none', depositors: 2, ops: 1, permits: 1 }],
];

describe('replay: witnesses driven through the real threads end as the model predicts', () => {
  it.each(cases)('%s: every forbidden outcome, replayed', async (_, config) => {
    const r = explore(config);
    const forbidden = r.outcomes.filter((o) => !o.model.verdict.ok);
    expect(forbidden.length).toBeGreaterThan(0);
    for (const o of forbidden) {
      const { report, complete } = await replay(openRun(config), o.witness.schedule);
      expect(complete).toBe(true);
      expect({ schedule: o.witness.schedule, balances: report.accounts.map((a) => a.balance), violations: report.violations }).toEqual({
        schedule: o.witness.schedule,
        balances: o.model.balances,
        violations: o.model.verdict.violations,
      });
      expect(report.deadlock?.text ?? null).toBe(o.model.outcome.deadlock?.text ?? null);
    }
  });
});
