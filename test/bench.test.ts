import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Benchmarks are not tests: this only checks that `npm run bench -- --quick` runs and writes a
// well-formed table (no figure is judged).
describe('npm run bench -- --quick', () => {
  it('runs every section and writes a well-formed markdown report', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bank-sim-bench-')), 'benchmarks.md');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('npm', ['run', '-s', 'bench', '--', '--quick', '--out', out], { timeout: 120_000 }, (error, stdout) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(code).toBe(0);
    expect(stdout).toContain(`written to ${out}`);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# Benchmarks\n/);
    expect(md).toMatch(/Node\.js v\d+\.\d+\.\d+/);
    for (const heading of [
      'Uncontended lock + unlock',
      'Contended Mutex',
      'Semaphore',
      'Condition ping-pong',
      'Async path',
      'Simulator',
      'Dashboard overhead',
      'Trials',
      'Explorer',
    ]) {
      expect(md).toContain(`## ${heading}`);
    }
    // Every table row has as many cells as its header, and the measured cells hold numbers.
    const tables = md
      .trimEnd()
      .split('\n\n')
      .filter((block) => block.startsWith('|'));
    expect(tables.length).toBeGreaterThanOrEqual(7);
    for (const t of tables) {
      const rows = t.split('\n');
      const width = rows[0]!.split('|').length;
      for (const row of rows) expect(row.split('|').length).toBe(width);
      expect(rows[1]).toMatch(/^\| ---( \| ---)* \|$/);
    }
    expect(md).toMatch(/\| Mutex \(barging\) \| \d[\d,]*(\.\d+)? \(/); // 3 significant digits: 21.1, or 102 on a busy machine
    expect(md).toMatch(/Overhead: \*\*-?\d+\.\d%\*\*/);
  }, 90_000); // a quick bench runs every section once: about 20 s on an idle 2-core machine
});

describe('npm run bench -- --only', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bench/run.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('measures only the named sections and prints them, writing no file', () => {
    const { status, stdout } = run('--quick', '--only', 'sim');
    expect(status).toBe(0);
    expect(stdout).toContain('Written by `npm run bench -- --quick --only sim`');
    expect(stdout).toContain('## Simulator: race scenario, window 0');
    expect(stdout).not.toContain('## Uncontended');
    expect(stdout).not.toContain('## Dashboard overhead');
    expect(stdout).not.toMatch(/^written to /m);
  }, 60_000);

  it('refuses an unknown section with exit 2, naming it and the known ones, before measuring anything', () => {
    const { status, stdout, stderr } = run('--only', 'sim,gui');
    expect(status).toBe(2);
    expect(stderr).toContain("--only: unknown section 'gui'");
    expect(stderr).toContain('sim,dashboard');
    expect(stdout).toBe('');
  });
});
