/**
 * The contract of a run, checked against every store with the same tests (as async-mutex's
 * factory-driven suites run one suite against every implementation): pause, step, stop, crash,
 * the deadlock report, the snapshot's fields, the JSON shape, and, for the safe strategies,
 * final balances that depend on the seed alone. Real worker threads; a real redis-server.
 */
import { describe, expect, it } from 'vitest';
import { jsonReport } from '../../src/cli/report.js';

import { preset, type ScenarioName, type SimConfig, type Strategy } from '../../src/sim/model/config.js';
import { openRun, type SimRun } from '../../src/sim/open-run.js';
import { useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

interface StoreCase {
  name: 'memory' | 'redis';
  open(config: SimConfig, lockTtlMs?: number): SimRun;
  /** A strategy that guards each scenario on this store. */
  safe: Record<Exclude<ScenarioName, 'async'>, Strategy>;
  /** The strategy that takes lock n for account n (transfers deadlock with it in naive order). */
  locking: Strategy;
}

const STORES: StoreCase[] = [
  {
    name: 'memory',
    open: (config) => openRun({ ...config, store: 'memory' }),
    safe: { race: 'mutex', transfer: 'mutex', tellers: 'semaphore', condition: 'condition' },
    locking: 'mutex',
  },
  {
    name: 'redis',
    open: (config, lockTtlMs = 5000) => openRun({ ...config, store: 'redis' }, { redis: { url: server().url, lockTtlMs, agentsOn: 'threads', dispatch: 'agents' } }),
    safe: { race: 'lock', transfer: 'lua', tellers: 'permits', condition: 'lua' },
    locking: 'lock',
  },
];

/** Polls `read` until `ok` holds (every 10 ms, at most `ms`): waiting for an event, not sleeping for it. */
async function until<T>(read: () => T, ok: (value: T) => boolean, ms = 10_000, everyMs = 10): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not reached within ${ms} ms (last: ${JSON.stringify(value).slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const race = (over: Partial<SimConfig> = {}): SimConfig => ({ ...preset('race'), depositors: 3, ops: 20, windowUs: 2000, ...over });

const finals = new Map<string, Record<string, number[]>>();

describe.each(STORES)('a run on $name', (store) => {
  it('pause holds every agent; resume lets them finish exact', async () => {
    const sim = store.open(race({ sync: store.safe.race }));
    const done = sim.run();
    await until(
      () => sim.snapshot(),
      (s) => s.status === 'running' && s.transactions > 0,
    );
    sim.pause();
    expect(sim.snapshot().status).toBe('paused');
    // The pause reaches every agent within a moment (a cell read before each step in memory, the
    // control hash every 50 ms on Redis): wait until the count holds still, then it must stay so.
    let settled = -1;
    await until(
      () => {
        const was = settled;
        settled = sim.snapshot().transactions;
        return was === settled;
      },
      (still) => still,
      10_000,
      150,
    );
    await new Promise((r) => setTimeout(r, 300));
    const later = sim.snapshot();
    expect(later.transactions).toBe(settled);
    expect(later.transactions).toBeLessThan(60);
    const clock = later.elapsedMs;
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.snapshot().elapsedMs).toBe(clock); // paused time is not run time
    sim.togglePause();
    const r = await done;
    expect([r.transactions, r.balance, r.ok, r.interrupted]).toEqual([60, 6000, true, false]);
  });

  it('step mode: each grant lets exactly one agent take exactly one step', async () => {
    const sim = store.open(race({ sync: 'none', depositors: 2, ops: 1 }));
    sim.setStepMode(true);
    const done = sim.run();
    const waiting = await until(
      () => sim.snapshot().agents,
      (agents) => agents.every((a) => a.nextStep === 'read'),
    );
    expect(waiting.map((a) => a.state)).toEqual(['waiting for step', 'waiting for step']);
    sim.step(0);
    const a = await until(
      () => sim.snapshot().agents,
      (agents) => agents[0]!.nextStep === 'write',
    );
    expect(a[1]!.nextStep).toBe('read'); // B has not moved
    sim.step(1);
    await until(
      () => sim.snapshot().agents[1]!.nextStep,
      (next) => next === 'write',
    );
    sim.step(0);
    sim.step(1);
    const r = await done;
    // A and B both read $0, so the second write erased the first: the lost update, by hand.
    expect([r.balance, r.lostUpdates, r.ok]).toEqual([100, 1, false]);
  });

  it('stop: the report says interrupted, never OK, and no transaction is torn', async () => {
    const sim = store.open(race({ sync: store.safe.race, ops: 10_000 }));
    const done = sim.run();
    await until(
      () => sim.snapshot().transactions,
      (n) => n > 5,
    );
    sim.stop();
    const r = await done;
    expect(r.interrupted).toBe(true);
    expect(jsonReport(r, sim.config, 'test').ok).toBe(false);
    expect(r.transactions).toBeLessThan(30_000);
    expect(r.balance).toBe(r.expected); // every started transaction either finished or never wrote
  });

  it('a crash names the dead agent, and the others finish without its lock', async () => {
    const sim = store.open(race({ sync: store.safe.race, crashAt: { agent: 1, op: 2 }, ops: 4 }), 300);
    const r = await sim.run();
    expect(r.crashed.map((x) => x.agent)).toEqual(['B']);
    expect(r.violations.map((v) => v.name)).toEqual(['agents']);
    expect(r.agents.find((a) => a.name === 'A')!.transactions).toBe(4);
    expect(r.agents.find((a) => a.name === 'C')!.transactions).toBe(4);
  });

  it('a deadlock is found, reported with its cycle, and ends the run', async () => {
    const sim = store.open({ ...preset('transfer'), sync: store.locking, order: 'naive', depositors: 2, ops: 50, accounts: 2, windowUs: 20_000 });
    const r = await sim.run();
    expect(r.deadlock?.text).toMatch(/^T\d waits for account \d's lock, held by T\d; T\d waits for account \d's lock, held by T\d$/);
    expect(r.violations.map((v) => v.name)).toContain('deadlock');
    expect(r.balance).toBe(r.expected);
  });

  it('snapshot and JSON have the same fields on every store', async () => {
    const sim = store.open(race({ sync: 'none', ops: 3 }));
    const r = await sim.run();
    const snap = sim.snapshot();
    const { redis: _r, ...common } = snap;
    const json = jsonReport(r, sim.config, 'test');
    const { redis: _j, ...jsonCommon } = json;
    const shape = {
      snapshot: Object.keys(common).sort(),
      agent: Object.keys(snap.agents[0]!)
        .filter((k) => k !== 'pid' && k !== 'host')
        .sort(),
      json: Object.keys(jsonCommon).sort(),
    };
    if (store.name === 'memory') expect(snap.redis).toBeUndefined();
    else expect(snap.redis?.runId).toMatch(/^[0-9a-f]+$/);
    expect(shape.snapshot).toContain('lockHolders');
    shapes.set(store.name, shape);
  });

  it.each(['race', 'transfer', 'tellers', 'condition'] as const)('safe strategy, same seed: %s ends with the balances the seed fixes', async (scenario) => {
    const config: SimConfig = {
      ...preset(scenario),
      sync: store.safe[scenario],
      depositors: 3,
      ops: 4,
      seed: 7,
      deposit: [100, 999],
      withdraw: [100, 500],
      accounts: scenario === 'transfer' ? 3 : 1,
      order: 'global',
      windowUs: 500,
      timeScale: 0.01,
      initialCents: 10_000, // withdrawers never wait for funds: every transaction runs
      withdrawers: scenario === 'condition' ? 2 : 0,
    };
    const r = await store.open(config).run();
    expect(r.ok).toBe(true);
    const byStore = finals.get(scenario) ?? {};
    byStore[store.name] = [...r.accounts.map((a) => a.balance), ...r.agents.map((a) => a.movedCents)];
    finals.set(scenario, byStore);
  });
});

const shapes = new Map<string, { snapshot: string[]; agent: string[]; json: string[] }>();

describe('the same on every store', () => {
  it('snapshot, agent and JSON fields', () => {
    expect(shapes.get('redis')).toEqual(shapes.get('memory'));
  });
  it.each(['race', 'transfer', 'tellers', 'condition'])('%s: final balances and each agent`s money moved', (scenario) => {
    const got = finals.get(scenario)!;
    expect(got.memory).toBeDefined();
    expect(got.redis).toEqual(got.memory);
  });
});
