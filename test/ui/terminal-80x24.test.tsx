import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/App.js';
import { helpPage } from '../../src/ui/help-text.js';
import type { Mode } from '../../src/ui/keys.js';
import type { AgentSnapshot } from '../../src/sim/engine/run.js';
import { FakeRun } from './fake-run.js';
import { measure, renderAt, type Terminal } from './terminal.js';

// The README's terminal size: everything the dashboard draws must be readable there.
const COLUMNS = 80;
const ROWS = 24;

async function until(term: Terminal, check: (frame: string) => boolean, what: string): Promise<string> {
  const end = Date.now() + 10_000; // generous: a loaded machine renders slowly; a broken frame still fails
  while (!check(term.frame())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; frame:\n${term.frame()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return term.frame();
}

/** Fits: no line wider than the terminal, and one row short of its height (a full frame makes ink scroll). */
function expectFits(frame: string): void {
  const { wide, height } = measure(frame, COLUMNS);
  expect(wide).toEqual([]);
  expect(height).toBeLessThanOrEqual(ROWS - 1);
}

describe('80x24', () => {
  it('the help overlay shows all of it, down to its last entry, on one page', async () => {
    const term = renderAt(<App scenario="race" start={() => [new FakeRun('none'), new FakeRun('mutex')]} onExit={() => {}} fps={50} />, COLUMNS, ROWS);
    await until(term, (f) => /mutex · running/.test(f), 'the dashboard');
    term.keys('?');
    const frame = await until(term, (f) => /Keys/.test(f), 'the help');
    expect(frame).toMatch(/Ctrl-C +quit at once/); // the first key
    expect(frame).toMatch(/q +quit \(the summary stays on the screen\)/); // the last key
    expect(frame).toMatch(/X crash\./); // the end of the lane legend
    expect(frame).toMatch(/Or press t for the guided tour\./); // the last line
    expect(frame).not.toMatch(/page \d/);
    expect(frame).toMatch(/\? Esc close help\s*$/);
    expectFits(frame);
    term.unmount();
  });

  it("? in the scenario picker opens the help there, with the picker's keys; Esc goes back to the picker", async () => {
    const term = renderAt(<App scenario={null} start={() => [new FakeRun('none')]} onExit={() => {}} fps={50} />, COLUMNS, ROWS);
    await until(term, (f) => /pick a scenario/.test(f), 'the picker');
    term.keys('?');
    const frame = await until(term, (f) => /Keys/.test(f), 'the help');
    expect(frame).toMatch(/↑ ↓ +choose a scenario/);
    expect(frame).toMatch(/1-5 +start scenario 1-5/);
    expect(frame).toMatch(/X crash\./);
    expectFits(frame);
    term.keys('\u001b');
    await until(term, (f) => /pick a scenario/.test(f), 'the picker again');
    term.unmount();
  });

  it('the help fits on one page from every mode that opens it, each key on one line', () => {
    const room = ROWS - 1 - 2 - 3; // the frame, minus header and footer, minus the overlay's border and title
    for (const from of ['picker', 'running', 'paused', 'step', 'finished', 'replay', 'challenge'] as Mode[]) {
      const page = helpPage(COLUMNS, room, from);
      expect(page.pages, from).toBe(1);
      expect(
        page.lines.filter((l) => l.key === '').map((l) => l.text),
        `${from}: a key's words wrapped`,
      ).toEqual([]);
      expect(page.lines.every((l) => page.keyWidth * (l.key === null ? 0 : 1) + l.text.length <= COLUMNS - 4)).toBe(true);
    }
  });

  it('a terminal too short for the help pages it, and the help names the key for the next page', async () => {
    const term = renderAt(<App scenario="race" start={() => [new FakeRun('none')]} onExit={() => {}} fps={50} />, 60, 16);
    await until(term, (f) => /none · running/.test(f), 'the dashboard');
    term.keys('?');
    const first = await until(term, (f) => /page 1\/\d · space ↓: next page of this help/.test(f), 'the first page');
    expect(first).toMatch(/space more/); // and the footer offers it
    const pages = Number(/page 1\/(\d)/.exec(first)![1]);
    const seen = [first];
    for (let p = 2; p <= pages; p++) {
      term.keys(' ');
      seen.push(await until(term, (f) => f.includes(`page ${p}/${pages}`), `page ${p}`));
    }
    const all = seen
      .join('\n')
      .replace(/[│╭╮╰╯─]/g, ' ')
      .replace(/\s+/g, ' ');
    expect(all).toMatch(/q quit \(the summary stays on the screen\)/);
    expect(all).toMatch(/Or press t for the guided tour\./);
    for (const f of seen) expect(measure(f, 60).wide).toEqual([]);
    term.keys(' ');
    await until(term, (f) => f.includes(`page 1/${pages}`), 'back to the first page');
    term.unmount();
  });

  it('the condition scenario shows all 15 agents in each of two panes, with the parked withdrawers, the funds line and the verdict', async () => {
    // 5 depositors and 10 withdrawers, 6 of them parked on the Condition (the preset's numbers).
    const names = [...[1, 2, 3, 4, 5].map((i) => `D${i}`), ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `W${i}`)];
    const parked = new Set(['W1', 'W2', 'W5', 'W7', 'W9', 'W10']);
    const agents = (stateOf: (name: string) => AgentSnapshot['state']): AgentSnapshot[] =>
      names.map((name) => ({ ...new FakeRun('none').snap.agents[0]!, name, role: name.startsWith('D') ? 'depositor' : 'withdrawer', state: stateOf(name) }));
    const condition = new FakeRun(
      'condition',
      {
        scenario: 'condition',
        balance: 1657,
        expected: 1657,
        lostUpdates: 0,
        verdict: { ok: true, violations: [], lostUpdates: 0, updates: 201 },
        agents: agents((n) => (parked.has(n) ? 'waiting for funds' : 'idle')),
      },
      'condition',
    );
    const none = new FakeRun(
      'none',
      {
        scenario: 'condition',
        status: 'finished',
        minBalance: -4968,
        verdict: { ok: false, violations: [{ name: 'overdraft', reason: 'the balance went down to -$49.68' }], lostUpdates: 2, updates: 12 },
        agents: agents(() => 'done'),
      },
      'condition',
    );
    const term = renderAt(<App scenario="condition" start={() => [condition, none]} onExit={() => {}} fps={50} />, COLUMNS, ROWS);
    const frame = await until(term, (f) => /condition · running/.test(f) && /none · finished/.test(f), 'both panes');
    const lines = frame.split('\n');
    for (const name of names) {
      // Each agent twice, once in each pane, with its state.
      expect(lines.flatMap((l) => [...l.matchAll(new RegExp(`(?<=[│ ])${name} +(wait funds|idle|done)`, 'g'))]).length, name).toBe(2);
    }
    expect(frame).toMatch(/W10 wait funds/);
    expect(frame).toMatch(/lowest \$0\.00 · parked: W1 W2 W5/); // the waiter queue
    expect(frame).toMatch(/lowest -\$49\.68/); // the funds line of the unsafe pane
    expect(frame).toMatch(/balance \$16\.57 \/ expected \$16\.57/);
    expect(frame).toMatch(/none: overdraft · lost 2 of 12/); // the verdict line
    expect(frame).toMatch(/✗ overdraft: the balance went down/); // and its note
    expect(frame).not.toMatch(/more agents/);
    expectFits(frame);
    term.unmount();
  });
});
