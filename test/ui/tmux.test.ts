import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end, as a person would: the built CLI in a real terminal (a tmux pane), keys sent with
// send-keys, the screen read with capture-pane. One session, resized between cases.
// .ci/run installs tmux when it is missing.
const SOCKET = `bank-sim-e2e-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'e2e');
const keys = (...k: string[]): void => void tmux('send-keys', '-t', 'e2e', ...k);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The dashboard remembers that it offered the tour: here, in a fresh directory, never the real home.
const STATE_HOME = mkdtempSync(join(tmpdir(), 'bank-sim-e2e-state-'));

async function waitFor(what: string, check: (s: string) => boolean, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (check(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(100);
  }
}

/** The left pane's text (between the first pair of borders). */
const left = (s: string): string[] => s.split('\n').map((l) => /^│(.*?)││/.exec(l)?.[1] ?? '');

async function shellSane(tag: number): Promise<void> {
  keys(`stty -a | grep -o -- "-\\?icanon\\|-\\?echo " | tr "\\n" " "; echo; echo READY-$((40+${tag}))`, 'Enter');
  const after = await waitFor('the shell to answer', (s) => new RegExp(`READY-${40 + tag}`).test(s));
  expect(after).toMatch(/(^|\s)icanon/m);
  expect(after).not.toMatch(/-icanon/);
  expect(after).toMatch(/(^|\s)echo /m);
}

describe('the dashboard in a real terminal (tmux)', () => {
  beforeAll(() => {
    tmux('new-session', '-d', '-s', 'e2e', '-x', '80', '-y', '24', 'bash --norc --noprofile');
    keys(`cd ${process.cwd()} && export XDG_STATE_HOME=${STATE_HOME} && PS1='$ ' && clear`, 'Enter');
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
    rmSync(STATE_HOME, { recursive: true, force: true });
  });

  it('80x24: the first launch offers the guided tour in the picker, the second does not', async () => {
    keys('node dist/cli.js; echo EXIT=$?', 'Enter');
    const first = await waitFor('the picker', (s) => /pick a scenario/.test(s));
    expect(first).toMatch(/New here\? Press t for the guided tour/);
    keys('q');
    await waitFor('the shell', (x) => /EXIT=0/.test(x));
    expect(existsSync(join(STATE_HOME, 'bank-sim', 'state.json'))).toBe(true);
    keys('clear', 'Enter');
    keys('node dist/cli.js; echo EXIT=$?', 'Enter');
    const second = await waitFor('the picker', (s) => /pick a scenario/.test(s));
    expect(second).not.toMatch(/New here/);
    expect(second).toMatch(/t tour/);
    keys('q');
    await waitFor('the shell', (x) => /EXIT=0/.test(x));
    keys('clear', 'Enter');
  });

  it('80x24: s 1 2 1 2 on the race shows the whole lost-update story and the lanes of A and B, nothing cut', async () => {
    keys('node dist/cli.js tui --scenario race; echo EXIT=$?', 'Enter');
    await waitFor('the dashboard', (s) => /none · running/.test(s) && /mutex · running/.test(s));
    keys('s');
    let s = await waitFor('step mode', (x) => /STEP MODE/.test(x) && /^│ A next:/m.test(x));
    // An agent caught between its read and its write finishes that write first.
    for (const [agent, digit] of [
      ['A', '1'],
      ['B', '2'],
    ] as const) {
      if (new RegExp(`^│ ${agent} next: write`, 'm').test(s)) {
        keys(digit);
        s = await waitFor(`${agent} to finish its write`, (x) => new RegExp(`^│ ${agent} next: read`, 'm').test(x));
      }
    }
    for (const k of ['1', '2', '1', '2']) {
      keys(k);
      await sleep(300);
    }
    s = await waitFor('the lost update', (x) => /^│ B next: read +\S*·R·W! +││/m.test(x));
    const pane = left(s);
    expect(pane.find((l) => /^ A /.test(l))).toMatch(/R·W·· $/); // A: read, -, write, -, -
    expect(pane.find((l) => /^ B /.test(l))).toMatch(/·R·W! $/); // B: -, read, -, write, lost
    const story = pane
      .slice(pane.findIndex((l) => /^ ! B read/.test(l)))
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(story).toMatch(/! B read \$[\d,]+\.\d\d, then wrote \$[\d,]+\.\d\d over \$[\d,]+\.\d\d: A's deposit is lost/);
    expect(s).not.toMatch(/…/);
    keys('q');
    await waitFor('the shell', (x) => /EXIT=0/.test(x));
  });

  it('80x24: a finished run says "lost N of M" per pane and offers r and q; q prints the summary and restores the terminal', async () => {
    keys('clear', 'Enter');
    keys('node dist/cli.js tui --scenario race --ops 30; echo EXIT=$?', 'Enter');
    const s = await waitFor('both panes to finish', (x) => /none: lost [\d,]+ of 300 deposits/.test(x) && /mutex: lost 0 of 300 deposits/.test(x), 30_000);
    expect(s).toMatch(/r restart · t tour · c challenge · \? help · q quit/);
    expect(s).not.toMatch(/space pause/);
    expect(s).not.toMatch(/…/);
    keys('q');
    const after = await waitFor('the shell', (x) => /EXIT=0/.test(x));
    expect(after).toMatch(/mutex: lost 0 of 300 deposits, 300 transactions/); // the summary, on the normal screen
    await shellSane(2);
  });

  it('80x24: tui --replay A,B,A,B plays the schedule on real threads: the lost update, and a match with the model', async () => {
    keys('clear', 'Enter');
    keys('node dist/cli.js tui --replay A,B,A,B; echo EXIT=$?', 'Enter');
    await waitFor('the replay', (x) => /Replay A,B,A,B on real threads: \d of 4 steps done/.test(x) && /REPLAY/.test(x));
    const s = await waitFor('the match', (x) => /✓ match: the model predicted \$1\.00/.test(x));
    expect(s).toMatch(/balance \$1\.00 \/ expected \$2\.00/);
    expect(s).toMatch(/! B read \$0\.00, then wrote \$1\.00 over \$1\.00: A's deposit is lost/);
    expect(s).toMatch(/^│ B done .*R·W! │$/m);
    expect(s.split('\n')[0]).toMatch(/^bank-sim · race .* · finished/); // the whole frame is on screen: nothing scrolled off
    expect(s).not.toMatch(/…/);
    keys('q');
    await waitFor('the shell', (x) => /EXIT=0/.test(x));
  });

  it('160x40: wide panes use the space; a deadlock is drawn with its agents; Ctrl-C exits 130 and leaves the terminal sane', async () => {
    tmux('resize-window', '-t', 'e2e', '-x', '160', '-y', '40');
    keys('clear', 'Enter');
    keys('node dist/cli.js tui --scenario transfer; echo EXIT=$?', 'Enter');
    const s = await waitFor('the deadlock to be drawn', (x) => /DEADLOCK: T\d → acct \d/.test(x) && /mutex: deadlock · lost 0 of/.test(x), 30_000);
    expect(s).toMatch(/state +tx wait lane/); // the counts come back on a wide screen
    expect(s).toMatch(/waits acct \d, held by T\d/);
    expect(s).toMatch(/✗ deadlock: T\d waits for account \d's lock/);
    expect(s).not.toMatch(/…/);
    keys('C-c');
    await waitFor('exit 130', (x) => /EXIT=130/.test(x));
    await shellSane(3);
  });
});
