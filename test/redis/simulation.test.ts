/**
 * Runs on Redis through the one Run, agents as async tasks (each with its own connections):
 * the same programs and interpreter as thread agents, judged by the same verdict. One private
 * redis-server for the file; small runs.
 */
import { describe, expect, it } from 'vitest';
import { firstLostUpdate, formatRun } from '../../src/cli/report.js';
import { formatRedis } from '../../src/cli/redis-report.js';
import { preset, REDIS_APPLICABLE, type SimConfig, type Strategy } from '../../src/sim/model/config.js';
import type { RedisRunOptions } from '../../src/sim/stores/redis/backend.js';
import type { OnDeadlock } from '../../src/sim/stores/redis/protocol.js';
import { openRun, type SimRun } from '../../src/sim/open-run.js';
import type { DeadlockInfo } from '../../src/sim/model/verdict.js';
import { agentLabel, scenarioText } from '../../src/ui/text.js';
import { useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

function sim(over: Partial<SimConfig>, lockTtlMs = 5000, options: Partial<RedisRunOptions> & { onDeadlock?: OnDeadlock } = {}): SimRun {
  return openRun(
    { ...preset('race'), depositors: 4, ops: 10, ...over, store: 'redis' },
    { redis: { url: server().url, lockTtlMs, agentsOn: 'threads', dispatch: 'agents', ...options } },
  );
}

describe('race on Redis, agents as async tasks', () => {
  it('none (GET, 2 ms window, SET) loses deposits, and the report tells how one was lost', async () => {
    const s = sim({ sync: 'none', windowUs: 2000 });
    const r = await s.run();
    expect(r.expected).toBe(4 * 10 * 100);
    expect(r.lostUpdates).toBeGreaterThan(0);
    expect(r.expected - r.balance).toBe(r.lostUpdates * 100);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.name).toBe('balance');
    expect(firstLostUpdate(s.events(), s.names, 'deposits')).toMatch(/^[A-D] read \$\d+\.\d\d, then wrote/);
  });

  for (const sync of REDIS_APPLICABLE.race.filter((x): x is Strategy => x !== 'none')) {
    it(`${sync} is exact`, async () => {
      const r = await sim({ sync }).run();
      expect(r.balance).toBe(4000);
      expect(r.lostUpdates).toBe(0);
      expect(r.transactions).toBe(40);
      expect(r.ok).toBe(true);
      // Waits are counted as on threads: four agents started together queue for a lock; nothing else blocks.
      const waits = r.agents.reduce((a, x) => a + x.lockWaits, 0);
      const waitMs = r.agents.reduce((a, x) => a + x.waitMs, 0);
      if (sync === 'lock' || sync === 'fenced') expect([waits > 0, waitMs > 0]).toEqual([true, true]);
      else expect([waits, waitMs]).toEqual([0, 0]);
    });
  }
});

// Wide margins on a loaded machine: an ordinary hold stays far below the 300 ms lease, and the
// others have 700 ms after it ends to take the lock and deposit.
describe('--pause-holder: a lock holder stalls 1 s after its read, its lock lives 300 ms', () => {
  const stalled = { sync: 'lock' as Strategy, pauseAt: { agent: 0, op: 2, ms: 1000 }, windowUs: 1000 };
  it('lock: its late write erases the deposits made meanwhile', async () => {
    const r = await sim(stalled, 300).run();
    expect(r.lostUpdates).toBeGreaterThan(0);
    expect(r.redis!.lockLost).toBe(1);
    expect(r.redis!.notes.join(' ')).toMatch(/A stalled 1,?000 ms .* its lock expired/);
  });
  it('fenced: its late write is refused by the fencing token, retried, and nothing is lost', async () => {
    const r = await sim({ ...stalled, sync: 'fenced' }, 300).run();
    expect(r.lostUpdates).toBe(0);
    expect(r.balance).toBe(4000);
    expect(r.redis!.fencedRejects).toBe(1);
    expect(r.ok).toBe(true);
  });
});

describe('other scenarios on Redis', () => {
  it('condition with lua: withdrawers wait for deposits (no overdraft), stranded ones are released', async () => {
    const c = preset('condition');
    const r = await sim({ ...c, sync: 'lua', depositors: 2, withdrawers: 3, ops: 4, depositEveryUs: 0, withdrawEveryUs: 0 }).run();
    expect(r.minBalance).toBeGreaterThanOrEqual(0);
    expect(r.balance).toBe(r.expected);
    expect(r.ok).toBe(true);
  });
  it('transfer with lock (global order): money is conserved, every transfer completes, no deadlock', async () => {
    const r = await sim({ ...preset('transfer'), sync: 'lock', order: 'global', ops: 10 }).run();
    expect(r.balance).toBe(30_000);
    expect(r.transactions).toBe(40);
    for (const a of r.accounts) expect(a.balance).toBe(a.expected);
    expect(r.deadlock).toBeNull();
    expect(r.redis!.deadlocks).toBe(0);
    expect(r.ok).toBe(true);
  });
});

// Seed 42, two agents, two accounts: T1 moves from account 2 to 1, T2 from 1 to 2. With the
// naive order each takes its `from` lock, then waits 200 ms (the window) before the other: a
// certain cycle. T1 holds lock 1 and waits for lock 0; T2 holds lock 0 and waits for lock 1.
const crossed: Partial<SimConfig> = { ...preset('transfer'), sync: 'lock', order: 'naive', depositors: 2, accounts: 2, ops: 1, windowUs: 200_000 };

/** A cycle as a set of edges, whichever agent it starts from. */
const edges = (d: DeadlockInfo | null) => (d?.cycle ?? []).map((m) => `${m.agent}->${m.waitsFor}->${m.heldBy}`).sort();

describe('deadlock on Redis', () => {
  it('naive lock order: the coordinator finds the wait-for cycle and ends the run before any lock expires, judged as on shared memory', async () => {
    const s = sim(crossed, 5000);
    const r = await s.run();
    expect(edges(r.deadlock)).toEqual(['T1->0->T2', 'T2->1->T1']);
    expect(r.violations.map((v) => v.name)).toEqual(['deadlock']);
    expect(r.ok).toBe(false);
    expect(r.interrupted).toBe(false);
    // Ended by the detection, not by a lease: no lock expired, nobody timed out waiting.
    expect(r.redis!.lockLost).toBe(0);
    expect(r.crashed).toEqual([]);
    expect(r.redis!.deadlocks).toBe(1);
    expect(r.agents.map((a) => a.state)).toEqual(['done', 'done']);
    expect(r.balance).toBe(r.expected);

    const memory = openRun({ ...preset('transfer'), ...crossed, sync: 'mutex' });
    const m = await memory.run();
    expect(edges(r.deadlock)).toEqual(edges(m.deadlock));
    expect(r.violations.map((v) => v.name)).toEqual(m.violations.map((v) => v.name));
    expect([r.ok, r.interrupted, r.transactions]).toEqual([m.ok, m.interrupted, m.transactions]);
    // The printed report: the shared-memory lines word for word, then what Redis adds.
    const deadlockLines = (text: string) =>
      text
        .split('\n')
        .filter((l) => /DEADLOCK|VIOLATED/.test(l))
        .map((l) => l.replace(/T\d waits.*/, 'T waits...'));
    const printed = `${formatRun(r, s.config, s.names, s.events())}\n${formatRedis(r)}`;
    expect(deadlockLines(printed)).toEqual(deadlockLines(formatRun(m, memory.config, memory.names, memory.events())));
    expect(deadlockLines(printed)).toEqual(['  DEADLOCK: T waits...', '  VIOLATED deadlock: T waits...']);
    expect(printed).toMatch(/lock TTL \(5000 ms\) would have broken this deadlock .* --on-deadlock expire/);
  });

  it("while the cycle stands, the snapshot names each lock's holder and each waiter (the dashboard's lock line); stop ends the waits", async () => {
    const s = sim(crossed, 10_000, { onDeadlock: 'expire' });
    const done = s.run();
    let snap = s.snapshot();
    for (let i = 0; i < 500 && !snap.deadlock; i++) {
      await new Promise((r) => setTimeout(r, 10));
      snap = s.snapshot();
    }
    expect(edges(snap.deadlock)).toEqual(['T1->0->T2', 'T2->1->T1']);
    expect(snap.lockHolders).toEqual([1, 0]);
    expect(snap.agents.map((a) => [a.state, a.waitingFor])).toEqual([
      ['waiting for lock', 0],
      ['waiting for lock', 1],
    ]);
    const live = { ...snap, deadlock: null };
    expect(
      scenarioText(live, 60)
        .map((x) => x.text)
        .join(''),
    ).toBe('locks: acct1 T2 · acct2 T1');
    expect(agentLabel(live.agents[0]!, live, 1, 40).text).toBe('waits for acct 1, held by T2');
    s.stop();
    const r = await done;
    expect(r.interrupted).toBe(true);
    expect(r.redis!.lockLost).toBe(0); // they gave up their waits; no lease ran out
    expect(r.redis!.notes).toEqual(['the run ended while a deadlock stood: the lock TTL (10000 ms) had not broken it yet']);
  });

  it('--on-deadlock expire: the lock TTL breaks the cycle and a holder writes without its lock; the deadlock is still reported', async () => {
    const r = await sim(crossed, 1000, { onDeadlock: 'expire' }).run();
    expect(edges(r.deadlock)).toEqual(['T1->0->T2', 'T2->1->T1']);
    expect(r.violations.map((v) => v.name)).toContain('deadlock');
    expect(r.transactions).toBe(2); // both went on once a lease ran out
    expect(r.redis!.lockLost).toBeGreaterThanOrEqual(1);
    expect(r.redis!.deadlocks).toBe(1);
    expect(r.redis!.notes.join(' ')).toMatch(/1 deadlock was broken only by the lock TTL \(1000 ms\)/);
  });
});
