/**
 * One source of inputs: every consumer draws the same transactions from the same seed. Each
 * consumer is run for real and its inputs read back from what it did (the explorer's programs,
 * each thread agent's money moved, Redis agents of both dispatch modes, the trials' balance),
 * for every scenario with several transactions per agent and random amounts.
 */
import { describe, expect, it } from 'vitest';
import { runTrials } from '../../src/sim/engine/trials.js';
import { Machine } from '../../src/sim/explore/machine.js';
import { preset, type ScenarioName, type SimConfig, type Strategy } from '../../src/sim/model/config.js';
import { transactionsOf } from '../../src/sim/model/inputs.js';
import type { Tx } from '../../src/sim/model/programs.js';
import { openRun } from '../../src/sim/open-run.js';
import { useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

/** Small programs that every consumer can run to the end, with amounts drawn from ranges. */
function config(scenario: Exclude<ScenarioName, 'async'>, sync: Strategy): SimConfig {
  return {
    ...preset(scenario),
    sync,
    depositors: 2,
    withdrawers: scenario === 'condition' ? 1 : 0,
    ops: 3,
    seed: 1234,
    deposit: [101, 997],
    withdraw: [100, 300],
    accounts: scenario === 'transfer' ? 3 : 1,
    permits: scenario === 'tellers' ? 2 : 1,
    initialCents: 50_000, // no withdrawer ever waits: every transaction runs once
    windowUs: 0,
    timeScale: 0.01,
  };
}

const moved = (txs: Tx[][]): number[] => txs.map((list) => list.reduce((sum, tx) => sum + tx.amount, 0));
const CASES = [
  ['race', 'mutex', 'lua'],
  ['condition', 'condition', 'lua'],
  ['tellers', 'semaphore', 'permits'],
  ['transfer', 'mutex', 'lua'],
] as const;

describe.each(CASES)('%s: the same inputs everywhere', (scenario, threads, redis) => {
  const c = config(scenario, threads);
  const txs = transactionsOf(c);

  it('the draw itself varies from one transaction to the next (else the checks below prove nothing)', () => {
    expect(new Set(txs.flat().map((tx) => tx.amount)).size).toBeGreaterThan(3);
  });

  it('the explorer models exactly these transactions', () => {
    const m = new Machine(c);
    expect(m.programs.map((p) => p.txs)).toEqual(txs);
  });

  it('thread agents move exactly these amounts, agent by agent', async () => {
    const r = await openRun(c).run();
    expect(r.agents.map((a) => a.movedCents)).toEqual(moved(txs));
  });

  it('Redis agents, each running its own, move exactly these amounts; from a queue, the same total', async () => {
    const how = { url: server().url, lockTtlMs: 5000, agentsOn: 'threads' as const };
    const own = await openRun({ ...c, sync: redis, store: 'redis' }, { redis: { ...how, dispatch: 'agents' } }).run();
    expect(own.agents.map((a) => a.movedCents)).toEqual(moved(txs));
    const queued = await openRun({ ...c, sync: redis, store: 'redis' }, { redis: { ...how, dispatch: 'queue' } }).run();
    expect(queued.agents.reduce((sum, a) => sum + a.movedCents, 0)).toBe(moved(txs).reduce((a, b) => a + b, 0));
  });

  it('trials run the same program in every trial', async () => {
    if (scenario !== 'race' && scenario !== 'tellers') return; // the balance shows the deposits only where nothing else moves it
    const result = await runTrials(c, { trials: 8 });
    expect(result.outcomes.map((o) => [o.balance, o.count])).toEqual([[c.initialCents + moved(txs).reduce((a, b) => a + b, 0), 8]]);
  });
});
