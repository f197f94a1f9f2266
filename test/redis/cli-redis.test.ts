/**
 * The built CLI on Redis: agents as OS processes, as two joined `bank-sim agent` processes, the
 * dispatch queue losing nothing when an agent process dies, and bad input refused with exit 2.
 * One private redis-server for the file; every process started here is stopped here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { useRedisServer } from '../helpers/redis.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const server = useRedisServer();
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) p.kill('SIGKILL');
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: performance.now() - t });
    });
  });
}

interface Row {
  sync: string;
  balance: number;
  expected: number;
  lostUpdates: number;
  transactions: number;
  ok: boolean;
  agents: { pid?: number }[];
  redis: { agentsOn: string; shares: { transactions: number; pid: number | null }[]; notes: string[] };
}

function racesOk(results: Row[], agents: number, ops: number): void {
  expect(results.map((r) => r.sync)).toEqual(['none', 'incrby', 'watch', 'lua', 'lock', 'fenced']);
  for (const r of results) {
    expect(r.expected).toBe(agents * ops * 100);
    expect(r.transactions).toBe(agents * ops);
    if (r.sync === 'none') {
      expect(r.lostUpdates).toBeGreaterThan(0);
      expect(r.ok).toBe(false);
    } else {
      expect([r.sync, r.balance, r.lostUpdates, r.ok]).toEqual([r.sync, r.expected, 0, true]);
    }
  }
}

describe('bank-sim on Redis (built binary)', () => {
  it('agents as OS processes: none loses, every other strategy is exact; each agent has its own pid', async () => {
    const { code, stdout, stderr } = await cli(['compare', '--redis-url', server().url, '--agents-on', 'processes', '--agents', '2', '--ops', '10', '--window', '2ms', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const results = (JSON.parse(stdout) as { results: Row[] }).results;
    racesOk(results, 2, 10);
    for (const r of results) {
      const pids = r.agents.map((a) => a.pid);
      expect(new Set(pids).size).toBe(2);
      expect(pids).not.toContain(process.pid);
    }
  });

  it('two `bank-sim agent` processes joined before the coordinator serve run after run, and stop cleanly', async () => {
    const agents = [0, 1].map(() => spawn(process.execPath, [CLI, 'agent', '--redis-url', server().url], { stdio: ['ignore', 'pipe', 'pipe'] }));
    started.push(...agents);
    const { code, stdout } = await cli(['compare', '--redis-url', server().url, '--agents-on', 'remote', '--agents', '2', '--ops', '10', '--window', '2ms', '--json']);
    expect(code).toBe(0);
    const results = (JSON.parse(stdout) as { results: Row[] }).results;
    racesOk(results, 2, 10);
    const pids = new Set(results.flatMap((r) => r.agents.map((a) => a.pid)));
    expect(pids).toEqual(new Set(agents.map((a) => a.pid)));
    const exits = agents.map((a) => new Promise<number | null>((resolve) => a.once('exit', (c) => resolve(c))));
    for (const a of agents) a.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
  });

  it('--dispatch queue: an agent process that dies mid-transaction loses no transaction; the others claim it', async () => {
    const { code, stdout } = await cli([
      'run',
      '--redis-url',
      server().url,
      '--dispatch',
      'queue',
      '--agents-on',
      'processes',
      '--agents',
      '3',
      '--ops',
      '10',
      '--sync',
      'watch',
      '--crash',
      'B@2',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as Row & { crashed: { agent: string }[] };
    expect(r.crashed.map((c) => c.agent)).toEqual(['B']);
    expect(r.transactions).toBe(30); // all 30 queued transactions ran, B's unfinished one included
    expect(r.balance).toBe(3000);
    expect(r.lostUpdates).toBe(0);
    expect(r.redis.shares[1]!.transactions).toBe(1); // B finished one, died in its second
    expect(r.redis.notes.join(' ')).toMatch(/claimed again/);
  });

  it.each([
    [['run', '--redis-url', 'redis://127.0.0.1:1'], /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connection refused/],
    [['run', '--redis-url', 'http://localhost:6379'], /bad --redis-url .*scheme 'http' is not allowed/],
    [['run', '--store', 'redis', '--sync', 'mutex'], /--sync mutex is a shared-memory strategy .* on Redis use one of: none, incrby/],
    [['run', '--sync', 'lua'], /--sync lua is a Redis strategy: add --store redis/],
    [['run', '--store', 'redis', '--scenario', 'tellers', '--sync', 'watch'], /does not apply to the tellers scenario on Redis; use one of: permits, none, lock/],
    [['run', '--sync', 'mutex', '--agents-on', 'processes'], /a SharedArrayBuffer cannot cross processes/],
    [['run', '--agents-on', 'remote'], /--agents-on remote needs --redis-url/],
    [['run', '--store', 'redis', '--on-deadlock', 'later'], /--on-deadlock must be one of stop, expire \(got 'later'\)/],
    [['run', '--on-deadlock', 'expire'], /--on-deadlock applies to runs on Redis: add --store redis/],
  ])('bad input %j: exit 2 within seconds, a message, no stack trace', async (args, message) => {
    const { code, stderr, stdout, ms } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stdout).toBe('');
    expect(ms).toBeLessThan(5000);
  });
});

// Seed 42: T1 moves from account 2 to 1, T2 from 1 to 2; with the naive order and a 200 ms
// window between the two locks, each holds the lock the other waits for: a certain cycle.
const CROSSED = ['--scenario', 'transfer', '--order', 'naive', '--agents', '2', '--accounts', '2', '--ops', '1', '--window', '200ms'];

interface DeadlockJson {
  ok: boolean;
  interrupted: boolean;
  violations: { name: string; reason: string }[];
  deadlock: { cycle: { agent: string; waitsFor: number; heldBy: string }[]; text: string } | null;
  crashed: unknown[];
  redis?: { lockLost: number; deadlocks: number };
}

/** What a deadlocked run's --json says, whichever agent the cycle is written from. */
function deadlockFacts(stdout: string) {
  const r = JSON.parse(stdout) as DeadlockJson;
  const edges = (r.deadlock?.cycle ?? []).map((m) => `${m.agent}->${m.waitsFor}->${m.heldBy}`).sort();
  return { ok: r.ok, interrupted: r.interrupted, violations: r.violations.map((v) => v.name), edges, crashed: r.crashed };
}

describe('a deadlock on Redis (built binary)', () => {
  it('run reports the cycle as a run on shared memory does (exit code with --check, --json), with agents as threads and as OS processes', async () => {
    const memory = await cli(['run', ...CROSSED, '--sync', 'mutex', '--json', '--check']);
    expect(memory.code).toBe(1);
    const expected = deadlockFacts(memory.stdout);
    expect(expected.edges).toEqual(['T1->0->T2', 'T2->1->T1']);
    for (const where of ['threads', 'processes']) {
      const { code, stdout, stderr } = await cli(['run', ...CROSSED, '--redis-url', server().url, '--sync', 'lock', '--agents-on', where, '--json', '--check']);
      expect(stderr).toBe('');
      expect(code).toBe(1);
      expect(deadlockFacts(stdout)).toEqual(expected);
      const r = JSON.parse(stdout) as DeadlockJson;
      expect([r.redis!.deadlocks, r.redis!.lockLost]).toEqual([1, 0]); // found, not waited out
      // One --json shape for both stores: every field of the shared-memory report, plus redis.
      const keys = (json: string) => Object.keys(JSON.parse(json) as object).sort();
      expect(keys(stdout)).toEqual([...keys(memory.stdout), 'redis'].sort());
      const agentKeys = (json: string) => Object.keys((JSON.parse(json) as { agents: object[] }).agents[0]!).sort();
      expect(agentKeys(stdout)).toEqual(expect.arrayContaining(agentKeys(memory.stdout)));
      if (where === 'processes') expect((JSON.parse(stdout) as { agents: { pid: number }[] }).agents[0]!.pid).toBeGreaterThan(0);
    }
  });

  it('trials end every deadlocked run and judge it forbidden', async () => {
    const trials = await cli(['trials', ...CROSSED, '--redis-url', server().url, '--sync', 'lock', '-n', '2', '--json']);
    expect(trials.code).toBe(0);
    const t = JSON.parse(trials.stdout) as { trials: number; forbidden: number; outcomes: { violations: { name: string }[] }[] };
    expect([t.trials, t.forbidden]).toEqual([2, 2]);
    expect(t.outcomes.flatMap((o) => o.violations.map((v) => v.name))).toEqual(['deadlock']);
  });
});
