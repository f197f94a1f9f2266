import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end, as a person would: the built CLI in a real terminal (a tmux pane), keys sent with
// send-keys, the screen read with capture-pane. .ci/run installs tmux when it is missing.
const SOCKET = `bank-sim-e2e-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'e2e');
const keys = (...k: string[]): void => void tmux('send-keys', '-t', 'e2e', ...k);

async function waitFor(what: string, check: (s: string) => boolean, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (check(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dashboard in a real terminal (tmux, 100x30)', () => {
  beforeAll(() => {
    tmux('new-session', '-d', '-s', 'e2e', '-x', '100', '-y', '30', 'bash --norc --noprofile');
    keys(`cd ${process.cwd()} && PS1='$ ' && clear`, 'Enter');
  });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
  });

  it('shows lost updates on the unsafe side and none on the locked side; keys work; q restores the shell', async () => {
    keys('node dist/cli.js tui --scenario race --ops 60; echo EXIT=$?', 'Enter');
    await waitFor('the dashboard', (s) => /none · /.test(s) && /mutex · /.test(s));
    const lost = (s: string) => Number(/lost updates (\d+)/.exec(s)?.[1] ?? 0);
    // Both panes on one screen: the left one is `none`; its lost-update count climbs above 0.
    await waitFor('lost updates in the unsafe pane', (s) => lost(s) > 0);
    const done = await waitFor('the locked pane to finish', (s) => /mutex · finished/.test(s), 30_000);
    const mutexLine = done.split('\n').find((l) => /lost updates/.test(l))!;
    const [, right] = mutexLine.split('││');
    expect(right).toMatch(/lost updates 0/);
    const balanceLine = done.split('\n').find((l) => /balance \$/.test(l))!.split('││')[1]!;
    const [, bal, exp] = /balance (\$[\d.]+) \/ expected (\$[\d.]+)/.exec(balanceLine)!;
    expect(bal).toBe(exp);
    expect(bal).toBe('$600.00');

    keys('?');
    await waitFor('the help overlay', (s) => /double \/ halve the race window/.test(s));
    keys('?');
    await waitFor('the help to close', (s) => !/double \/ halve/.test(s));
    keys('r');
    await waitFor('a restarted run', (s) => /none · running|mutex · running/.test(s));
    keys(' ');
    await waitFor('pause', (s) => /PAUSED/.test(s));
    keys(' ');
    await waitFor('resume', (s) => !/PAUSED/.test(s));
    keys('q');
    await waitFor('the shell', (s) => /EXIT=0/.test(s));
    // The terminal is sane again: canonical mode and echo are back, the shell answers.
    keys('stty -a | grep -o -- "-\\?icanon\\|-\\?echo " | tr "\\n" " "; echo; echo READY-$((40+2))', 'Enter');
    const after = await waitFor('the shell to answer', (s) => /READY-42/.test(s));
    expect(after).toMatch(/(^|\s)icanon/m);
    expect(after).not.toMatch(/-icanon/);
    expect(after).toMatch(/(^|\s)echo /m);
  });

  it('Ctrl-C quits with 130 and leaves the terminal sane', async () => {
    keys('clear', 'Enter');
    keys('node dist/cli.js tui --scenario transfer; echo EXIT=$?', 'Enter');
    await waitFor('the deadlock to be drawn', (s) => /DEADLOCK: T\d → acct \d/.test(s));
    keys('C-c');
    await waitFor('exit 130', (s) => /EXIT=130/.test(s));
    keys('echo READY-$((40+3))', 'Enter');
    await waitFor('the shell to answer', (s) => /READY-43/.test(s));
  });
});
