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
afterAll(() => started.forEach((p) => p.kill('SIGKILL')));

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
    const { code, stdout } = await cli(['run', '--redis-url', server().url, '--dispatch', 'queue', '--agents-on', 'processes', '--agents', '3', '--ops', '10', '--sync', 'watch', '--crash', 'B@2', '--json']);
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
  ])('bad input %j: exit 2 within seconds, a message, no stack trace', async (args, message) => {
    const { code, stderr, stdout, ms } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stdout).toBe('');
    expect(ms).toBeLessThan(5000);
  });
});
