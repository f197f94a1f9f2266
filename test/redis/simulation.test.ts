/**
 * Runs on Redis through RedisSimulation, agents as async tasks (each with its own connections):
 * the same programs and interpreter as thread agents, judged by the same verdict. One private
 * redis-server for the file; small runs.
 */
import { describe, expect, it } from 'vitest';
import { firstLostUpdate } from '../../src/report.js';
import { preset, REDIS_APPLICABLE, type SimConfig, type Strategy } from '../../src/sim/config.js';
import { RedisSimulation } from '../../src/sim/redis/controller.js';
import { useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

function sim(over: Partial<SimConfig>, lockTtlMs = 5000): RedisSimulation {
  return new RedisSimulation({ ...preset('race'), depositors: 4, ops: 10, ...over, store: 'redis' }, { url: server().url, lockTtlMs, agentsOn: 'threads', dispatch: 'agents' });
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
    });
  }
});

describe('--pause-holder: a lock holder stalls 300 ms after its read, its lock lives 100 ms', () => {
  const stalled = { sync: 'lock' as Strategy, pauseAt: { agent: 0, op: 2, ms: 300 }, windowUs: 1000 };
  it('lock: its late write erases the deposits made meanwhile', async () => {
    const r = await sim(stalled, 100).run();
    expect(r.lostUpdates).toBeGreaterThan(0);
    expect(r.redis!.lockLost).toBe(1);
    expect(r.redis!.notes.join(' ')).toMatch(/A stalled 300 ms .* its lock expired/);
  });
  it('fenced: its late write is refused by the fencing token, retried, and nothing is lost', async () => {
    const r = await sim({ ...stalled, sync: 'fenced' }, 100).run();
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
  it('transfer with lock (global order): money is conserved', async () => {
    const r = await sim({ ...preset('transfer'), sync: 'lock', order: 'global', ops: 10 }).run();
    expect(r.balance).toBe(30_000);
    expect(r.ok).toBe(true);
  });
});
