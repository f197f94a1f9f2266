import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from '../../src/ui/App.js';
import { rememberTourOffered, stateDir, STATE_FILE, tourOffer, tourOffered } from '../../src/ui/first-launch.js';
import { FakeRun } from './fake-run.js';

// Every test points XDG_STATE_HOME at its own temporary directory: the real home is never written.
const root = mkdtempSync(join(tmpdir(), 'bank-sim-state-'));
let n = 0;
const freshEnv = (): NodeJS.ProcessEnv => ({ XDG_STATE_HOME: join(root, `home-${n++}`) });
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One launch of the dashboard's picker, as run-dashboard wires it. */
async function launch(env: NodeJS.ProcessEnv) {
  const run = new FakeRun('none', { stepMode: true });
  const app = render(<App scenario={null} start={() => [run]} onExit={() => {}} fps={50} {...tourOffer(env)} />);
  await until(() => /pick a scenario/.test(app.lastFrame() ?? ''), 'the picker');
  await new Promise((r) => setTimeout(r, 30)); // the offer is noted in an effect after the first frame
  return app;
}

describe('the guided tour is offered on the first launch only', () => {
  it('first launch offers it and notes that in $XDG_STATE_HOME/bank-sim/state.json; the second does not, and t still starts it', async () => {
    const env = freshEnv();
    const first = await launch(env);
    expect(first.lastFrame()).toMatch(/New here\? Press t for the guided tour/);
    first.unmount();
    const dir = join(env.XDG_STATE_HOME!, 'bank-sim');
    expect(readdirSync(dir)).toEqual([STATE_FILE]); // the temporary file was renamed over it
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))).toEqual({ tourOffered: true });

    const second = await launch(env);
    expect(second.lastFrame()).not.toMatch(/New here/);
    expect(second.lastFrame()).toMatch(/t tour/); // the footer still names the key
    second.stdin.write('t');
    await until(() => /Tour 1\/2/.test(second.lastFrame() ?? ''), 'the tour');
    second.unmount();
  });

  it('starting the tour with t counts as offered (a launch straight into a scenario shows no picker)', async () => {
    const env = freshEnv();
    const run = new FakeRun('none', { stepMode: true });
    const app = render(<App scenario="race" start={() => [run]} onExit={() => {}} fps={50} {...tourOffer(env)} />);
    await until(() => /none · step mode/.test(app.lastFrame() ?? ''), 'the dashboard');
    expect(tourOffered(env)).toBe(false);
    app.stdin.write('t');
    await until(() => /Tour 1\/2/.test(app.lastFrame() ?? ''), 'the tour');
    expect(tourOffered(env)).toBe(true);
    app.unmount();
  });

  it('a state file that cannot be written or read is ignored: the dashboard starts and offers the tour, nothing is thrown', async () => {
    // A directory path through a regular file fails for every user, root included.
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const env = { XDG_STATE_HOME: join(file, 'state') };
    expect(() => rememberTourOffered(env)).not.toThrow();
    expect(tourOffered(env)).toBe(false);
    const app = await launch(env);
    expect(app.lastFrame()).toMatch(/New here\?/);
    app.unmount();
    // A damaged file counts as a first launch and is replaced whole.
    const damaged = freshEnv();
    rememberTourOffered(damaged);
    writeFileSync(join(damaged.XDG_STATE_HOME!, 'bank-sim', STATE_FILE), '{"tourOff');
    expect(tourOffered(damaged)).toBe(false);
    rememberTourOffered(damaged);
    expect(tourOffered(damaged)).toBe(true);
  });

  it("a state directory that cannot be made under /proc fails at once (Node 20's recursive mkdir spins there for ever)", () => {
    // In a child process: a regression would hang, and a hang must fail the test, not the run.
    const module = new URL('../../dist/ui/first-launch.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(module)}); m.rememberTourOffered(); console.log(m.tourOffered());`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, XDG_STATE_HOME: '/proc/bank-sim-no-such-dir' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(child.signal).toBeNull();
    expect([child.status, child.stdout, child.stderr]).toEqual([0, 'false\n', '']);
  });

  it('the state directory follows XDG: $XDG_STATE_HOME/bank-sim when absolute, else ~/.local/state/bank-sim', () => {
    expect(stateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/bank-sim');
    expect(stateDir({ XDG_STATE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.local/state/bank-sim');
    expect(stateDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/bank-sim');
  });
});
