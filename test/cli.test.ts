import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, lstatSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli } from './helpers/cli.js';

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
    expect(r.agents[0]).toMatchObject({ name: 'A', transactions: 10, movedCents: 1000 });
    // Final figures only: ok and the version, rounded numbers, no live run state.
    expect(r.ok).toBe(true);
    expect(r.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    for (const key of ['status', 'stepMode', 'verdict', 'lockHolders', 'servingNow', 'fundsWaiters', 'elapsedMs']) expect(r).not.toHaveProperty(key);
    expect(r.agents[0]).not.toHaveProperty('state');
    expect(r.agents[0]).not.toHaveProperty('nextStep');
    expect(Number.isInteger(r.throughput)).toBe(true);
    expect(String(r.durationMs)).toMatch(/^\d+(\.\d)?$/);
  });

  it('help run and run --help print that command with its examples; the usage gives the real ranges', async () => {
    for (const args of [
      ['help', 'run'],
      ['run', '--help'],
    ]) {
      const { code, stdout } = await cli(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: bank-sim run \[options\]/);
      expect(stdout).toMatch(/Examples:\n {2}bank-sim run --scenario race --sync none/);
      expect(stdout).toMatch(/--agents N +depositors .*1-64\)/);
      expect(stdout).not.toMatch(/--trials/); // trials' own option
    }
    expect((await cli(['help', 'bogus'])).code).toBe(2);
  });

  it('numbers have thousands separators and natural units', async () => {
    const { stdout } = await cli(['run', '--sync', 'none', '--agents', '10', '--ops', '120', '--window', '500us']);
    expect(stdout).toMatch(/x 120 ops, window 500 µs/);
    expect(stdout).toMatch(/transactions +1,200 in /);
    expect(stdout).toMatch(/lost updates +[\d,]+ of 1,200 deposits/);
    expect(stdout).toMatch(/VIOLATED balance: lost [\d,]+ of 1,200 deposits: balance \$[\d,]+\.\d\d, expected \$1,200\.00/);
  });

  it('an interrupted run says interrupted, never OK, and exits 130', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--sync', 'mutex', '--ops', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(130);
    expect(out).toMatch(/INTERRUPTED after [\d,]+ transactions/);
    expect(out).not.toMatch(/OK/);
  });

  it('TERM=dumb means the headless report, even for the dashboard command', async () => {
    const { code, stdout } = await cli(['tui', '--ops', '2'], { TERM: 'dumb' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mutex +\$/m);
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

  it('--trace streams every event as JSON lines, beyond the 4,096-event ring', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bank-sim-'));
    const file = join(dir, 'trace.jsonl');
    const { code, stderr } = await cli(['run', '--sync', 'none', '--agents', '4', '--ops', '2000', '--window', '0', '--trace', file]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.action === 'write')).toHaveLength(8000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i)); // none missing
    expect(events[0]).toHaveProperty('agentName');
    expect(readdirSync(dir)).toEqual(['trace.jsonl']); // no temporary file
  });

  it('--trace writes through the path as given: a symlink stays a symlink, /dev/full stays a device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bank-sim-'));
    writeFileSync(join(dir, 'real.jsonl'), 'old\n');
    symlinkSync('real.jsonl', join(dir, 'link.jsonl'));
    expect((await cli(['run', '--agents', '2', '--ops', '3', '--trace', join(dir, 'link.jsonl')])).code).toBe(0);
    expect(lstatSync(join(dir, 'link.jsonl')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.jsonl'), 'utf8')).toMatch(/"action":"write"/);
    const full = await cli(['run', '--agents', '2', '--ops', '3', '--trace', '/dev/full']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/--trace \/dev\/full: could not write: no space left/);
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
    // A FIFO stays a FIFO; its reader gets the events.
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d) => (got += d));
    const readerDone = new Promise((r) => reader.once('close', r));
    expect((await cli(['run', '--agents', '2', '--ops', '3', '--trace', fifo])).code).toBe(0);
    await readerDone;
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(
      got
        .trim()
        .split('\n')
        .filter((l) => /"action":"write"/.test(l)),
    ).toHaveLength(6);
  });

  it('a bad --trace path is refused before anything runs, naming the path and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bank-sim-'));
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    // As root a mode does not stop a write: use a directory the kernel refuses instead.
    const unwritable = process.getuid?.() === 0 ? '/sys/bank-sim-trace.jsonl' : join(readOnly, 'trace.jsonl');
    for (const [path, reason] of [
      [join(dir, 'missing', 'trace.jsonl'), /directory .*missing does not exist/],
      [unwritable, /permission denied/],
      [dir, /is a directory/],
    ] as const) {
      const { code, stdout, stderr } = await cli(['run', '--ops', '100000', '--trace', path]);
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`^bank-sim: --trace ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(stderr).toMatch(reason);
      expect(stdout).toBe('');
    }
    expect((await cli(['run', '--trace='])).stderr).toMatch(/--trace needs a file path/);
  });

  it.each([
    [['run', '--scenario', 'heist'], /unknown scenario 'heist'; scenarios: race, condition/],
    [['run', '--sync', 'spinlock'], /unknown strategy 'spinlock'; strategies: none, mutex/],
    [['run', '--scenario', 'tellers', '--sync', 'atomic'], /does not apply to the tellers scenario; use one of: semaphore, none, mutex/],
    [['run', '--agents', '-3'], /--agents must be a whole number, 1-64 \(got '-3'\)/],
    [['run', '--agents', 'abc'], /--agents must be a whole number, 1-64 \(got 'abc'\)/],
    [['run', '--ops', '-1'], /--ops must be a whole number, 1-1,000,000/],
    [['run', '--agents', '0'], /--agents must be a whole number, 1-64 \(got '0'\)/],
    [['run', '--window', 'soon'], /--window must be a duration from 0 to 10s, such as 0, 500us, 1ms or 0.2s/],
    [['run', '--window', '5'], /--window needs a unit/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['explode'], /unknown command 'explode'/],
    [['run', '--ops', '1000000', '--amount', '100000'], /could overflow/],
    [['run', '--order', 'global'], /--order applies to the transfer scenario only/],
    [['run', '--sync', 'none,mutex'], /use 'compare' for several/],
    [['run', '--crash', 'Z9@1'], /--crash/],
    [['compare', '-n', '5'], /--trials \(-n\) applies to 'trials' and 'explore', not to 'compare'/],
    [['run', '--trace='], /--trace needs a file path/],
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
