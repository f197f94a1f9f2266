import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, cli } from './helpers/cli.js';

describe('bank-sim trials (built binary)', () => {
  it('--json: trials, acceptable, forbidden, outcomes with verdicts from the invariants, trials/s, the config and seed', async () => {
    const { code, stdout } = await cli(['trials', '--scenario', 'tellers', '--sync', 'none', '--ops', '2', '-n', '2', '--json']);
    expect(code).toBe(0);
    const t = JSON.parse(stdout);
    expect(t).toMatchObject({ scenario: 'tellers', sync: 'none', seed: 42, trials: 2, acceptable: 0, forbidden: 2, interrupted: false });
    expect(t.config.permits).toBe(3);
    expect(t.trialsPerSecond).toBeGreaterThan(0);
    expect(t.outcomes).toHaveLength(1);
    expect(t.outcomes[0]).toMatchObject({ verdict: 'forbidden', balance: t.expected, count: 2 });
    expect(t.outcomes[0].violations[0].name).toBe('tellers');
  });

  it('the table names each outcome, its share, its verdict and why', async () => {
    const { code, stdout } = await cli(['trials', '--agents', '2', '--ops', '1', '--window', '0', '-n', '5000']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/bank-sim trials: 5,000 trials of race, sync none/);
    expect(stdout).toMatch(/\$1\.00 +[\d,]+ +[\d.]+% +FORBIDDEN +balance: lost 1 of 2 deposits: balance \$1\.00, expected \$2\.00/);
    expect(stdout).toMatch(/\$2\.00 +[\d,]+ +[\d.]+% +ACCEPTABLE +every invariant held/);
    expect(stdout).toMatch(/256 trial states per barrier/);
    expect((await cli(['trials', '--agents', '2', '--ops', '1', '--window', '0', '-n', '5000', '--check'])).code).toBe(1);
  });

  it('Ctrl-C drops the unfinished trial, prints the table so far with "interrupted after N trials", exits 130', async () => {
    const child = spawn(process.execPath, [CLI, 'trials', '--ops', '5', '-n', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    await new Promise((r) => setTimeout(r, 2500)); // workers up, some trials done
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    const n = Number(/interrupted after ([\d,]+) trials/.exec(stdout)?.[1]?.replace(/,/g, ''));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(100_000);
    // Only finished trials are counted: the table adds up to N, and the expected balance is the
    // full $50.00 (a half-finished trial would have been judged against less).
    const acceptable = Number(/acceptable ([\d,]+)/.exec(stdout)![1]!.replace(/,/g, ''));
    const forbidden = Number(/forbidden ([\d,]+)/.exec(stdout)![1]!.replace(/,/g, ''));
    expect(acceptable + forbidden).toBe(n);
    expect(stdout).toMatch(/expected \$50\.00/);
  });

  it.each([
    [['trials', '-n', '100000001'], /--trials must be a whole number, 1-100,000,000 \(got '100000001'\)/],
    [['trials', '--crash', 'C@2'], /--crash applies to 'tui', 'run' and 'compare', not to 'trials'/],
    [['run', '--sync', 'async', '--crash', 'C@2'], /--crash does not apply to --sync async/],
    [['run', '--crash', 'C@11'], /--crash names transaction 11, but each agent makes only 10/],
  ])('bad input %j: exit 2 with the reason, nothing started', async (args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});
