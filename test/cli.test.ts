import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The built binary, run as a user runs it (npm test builds dist/ first).
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('bank-sim CLI (built binary)', () => {
  it('--help lists commands and options; --version prints the version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/bank-sim run \[options\]/);
    expect(help.stdout).toMatch(/--window DUR/);
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('run --json prints one report with the documented fields, money in integer cents', async () => {
    const { code, stdout } = await cli(['run', '--scenario', 'race', '--sync', 'mutex', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    for (const key of ['scenario', 'sync', 'balance', 'expected', 'lostUpdates', 'minBalance', 'transactions', 'durationMs', 'agents']) {
      expect(r).toHaveProperty(key);
    }
    expect(r.scenario).toBe('race');
    expect(r.sync).toBe('mutex');
    expect(r.balance).toBe(10_000);
    expect(Number.isInteger(r.balance)).toBe(true);
    expect(r.agents).toHaveLength(10);
    expect(r.agents[0]).toMatchObject({ name: 'A', state: 'done', transactions: 10, movedCents: 1000 });
  });

  it('run without a lock shows lost updates and explains one; piped output has no colour codes', async () => {
    const { code, stdout } = await cli(['run', '--scenario', 'race', '--sync', 'none']);
    expect(code).toBe(0); // without --check a violation is reported, not an error
    expect(stdout).toMatch(/lost updates +[1-9]\d*/);
    expect(stdout).toMatch(/How an update got lost: [A-J] read \$\d+\.\d\d, then wrote/);
    expect(stdout).not.toMatch(/\x1b\[/);
  });

  it('--check exits 1 on a violated invariant and 0 when all hold', async () => {
    expect((await cli(['run', '--sync', 'none', '--check'])).code).toBe(1);
    expect((await cli(['run', '--sync', 'mutex', '--check'])).code).toBe(0);
  });

  it('FORCE_COLOR gives colours; NO_COLOR wins over it', async () => {
    expect((await cli(['run', '--sync', 'mutex', '--ops', '1'], { FORCE_COLOR: '1' })).stdout).toMatch(/\x1b\[/);
    expect((await cli(['run', '--sync', 'mutex', '--ops', '1'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toMatch(/\x1b\[/);
  });

  it('compare runs every applicable strategy on the same inputs in one table', async () => {
    const { code, stdout } = await cli(['compare', '--scenario', 'race', '--ops', '5']);
    expect(code).toBe(0);
    for (const s of ['none', 'mutex', 'rlock', 'semaphore', 'condition', 'atomic', 'async', 'async-mutex']) {
      expect(stdout).toMatch(new RegExp(`^${s} +\\$`, 'm'));
    }
    expect(stdout).toMatch(/^mutex +\$50\.00 +\$50\.00 +0 .* ok$/m);
  });

  it('--trace writes every event as JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bank-sim-'));
    const file = join(dir, 'trace.jsonl');
    const { code } = await cli(['run', '--sync', 'none', '--agents', '2', '--ops', '3', '--trace', file]);
    expect(code).toBe(0);
    const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.action === 'write')).toHaveLength(6);
    expect(events[0]).toHaveProperty('agentName');
    expect(readdirSync(dir)).toEqual(['trace.jsonl']); // no temporary file left behind
  });

  it.each([
    [['run', '--scenario', 'heist'], /unknown scenario 'heist'; scenarios: race, condition/],
    [['run', '--sync', 'spinlock'], /unknown strategy 'spinlock'; strategies: none, mutex/],
    [['run', '--scenario', 'tellers', '--sync', 'atomic'], /does not apply to the tellers scenario; use one of: semaphore, none, mutex/],
    [['run', '--agents', '-3'], /--agents/],
    [['run', '--agents', '0'], /--agents \(depositors\) must be a whole number from 1 to 64/],
    [['run', '--window', 'soon'], /--window must be a duration such as 0, 500us, 1ms or 0.2s/],
    [['run', '--window', '5'], /--window needs a unit/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['explode'], /unknown command 'explode'/],
    [['run', '--ops', '1000000', '--amount', '100000'], /could overflow/],
    [['run', '--order', 'global'], /--order applies to the transfer scenario only/],
    [['run', '--sync', 'none,mutex'], /use 'compare' for several/],
    [['run', '--crash', 'Z9@1'], /--crash/],
    [['compare', '-n', '5'], /-n\/--trials applies to the 'trials' command only/],
  ])('bad input %j: a clear message, exit 2, nothing started', async (args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/^bank-sim: /);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).toBe('');
  });

  it('without a terminal, the default command prints the headless comparison instead of drawing', async () => {
    const { code, stdout } = await cli(['--ops', '3']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^none +\$/m);
    expect(stdout).toMatch(/^mutex +\$/m);
    expect(stdout).not.toMatch(/\x1b\[/);
  });
});
