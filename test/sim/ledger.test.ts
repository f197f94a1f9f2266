import { describe, expect, it } from 'vitest';
import { preset } from '../../src/sim/model/config.js';
import { type Applied, checkLedger, intendedMoves, jobId } from '../../src/sim/model/ledger.js';
import { transactionsOf } from '../../src/sim/model/inputs.js';
import { judge } from '../../src/sim/model/verdict.js';

const config = { ...preset('transfer'), depositors: 2, ops: 3, accounts: 3, deposit: [100, 900] as [number, number] };
const names = ['T1', 'T2'];

/** What a store would record had it applied each job `times(job)` times. */
function applied(times: (job: string) => number): Map<string, Applied> {
  const out = new Map<string, Applied>();
  transactionsOf(config).forEach((txs, agent) => {
    txs.forEach((tx, i) => {
      const job = jobId(agent, i + 1);
      const n = times(job);
      out.set(job, { count: n, accounts: new Map(intendedMoves(tx).map(([a, cents]) => [a, { count: n, cents: cents * n }])) });
    });
  });
  return out;
}

describe('the ledger of intent', () => {
  it('every job once: no anomaly, and expected is the opening balances plus every intended move', () => {
    const check = checkLedger(
      config,
      applied(() => 1),
      names,
    );
    expect(check.anomalies).toEqual([]);
    expect([check.dispatched, check.applied]).toEqual([6, 6]);
    expect(check.expected.reduce((a, b) => a + b, 0)).toBe(3 * config.initialCents); // transfers move money, they make none
  });

  it('a job applied twice is named, and expected counts it once (the balance then shows the extra money)', () => {
    const tx = transactionsOf(config)[1]![1]!;
    const check = checkLedger(
      config,
      applied((job) => (job === '1:2' ? 2 : 1)),
      names,
    );
    expect(check.anomalies.map((a) => a.reason)).toEqual([`job 1:2 (T2's transaction 2, $${(tx.amount / 100).toFixed(2)}) applied twice`]);
    const verdict = judge(config, {
      accounts: check.expected.map((e) => ({ balance: e, expected: e, commits: 6, version: 6 })),
      minBalance: 0,
      servingMax: 0,
      deadlock: null,
      crashed: [],
      anomalies: check.anomalies,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.violations.map((v) => v.name)).toEqual(['once']);
  });

  it('a job never dispatched is named; one never applied is not an anomaly (its agent gave up)', () => {
    const got = applied((job) => (job === '0:3' ? 0 : 1));
    got.set('7:1', { count: 1, accounts: new Map([[0, { count: 1, cents: 500 }]]) });
    const check = checkLedger(config, got, names);
    expect(check.anomalies.map((a) => a.reason)).toEqual(['job 7:1 was applied but never dispatched']);
    expect(check.applied).toBe(5);
  });
});
