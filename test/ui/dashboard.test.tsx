import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/sim/trace.js';
import { App } from '../../src/ui/App.js';
import { buildLanes, PaneTracker, sparkline } from '../../src/ui/model.js';
import { FakeRun } from './fake-run.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
/** Polls until `check` holds (frames render asynchronously; a loaded machine is slower). */
async function until(check: () => boolean, what = 'the expected frame'): Promise<void> {
  const end = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const ev = (seq: number, agent: number, action: TraceEvent['action'], value = 0, aux = 0, aux2 = 0, aux3 = 0): TraceEvent => ({ seq, timeUs: seq, agent, action, value, aux, aux2, aux3 });

function mount(runs: FakeRun[], scenario: 'race' | null = 'race') {
  const exits: number[] = [];
  let starts = 0;
  const app = render(
    <App
      scenario={scenario}
      start={() => {
        starts++;
        return runs;
      }}
      onExit={(code) => exits.push(code)}
      fps={50}
    />,
  );
  return { app, exits, starts: () => starts };
}

/** Mounts and waits until the app's effects (start, key handling) are in place. */
async function mounted(runs: FakeRun[], scenario: 'race' | null = 'race') {
  const m = mount(runs, scenario);
  await until(() => (scenario ? m.starts() === 1 : /pick a scenario/.test(m.app.lastFrame() ?? '')), 'the app to start');
  await tick();
  return m;
}

describe('dashboard frames', () => {
  it('shows each pane: strategy, balance vs expected, lost updates, lock holder and queue, agent states', async () => {
    const none = new FakeRun('none', { lockHolders: [null] });
    const mutex = new FakeRun('mutex', { balance: 1200, lostUpdates: 0 });
    none.evts = [ev(0, 0, 'read', 0), ev(1, 1, 'read', 0), ev(2, 0, 'write', 100, 0), ev(3, 1, 'write', 100, 100), ev(4, 1, 'lost', 0, 100, 0)];
    const { app } = await mounted([none, mutex]);
    await until(() => /lost updates 2/.test(app.lastFrame() ?? ''));
    const frame = app.lastFrame()!;
    expect(frame).toMatch(/none · running/);
    expect(frame).toMatch(/mutex · running/);
    expect(frame).toMatch(/balance \$10\.00 \/ expected \$12\.00/);
    expect(frame).toMatch(/balance \$12\.00 \/ expected \$12\.00/);
    expect(frame).toMatch(/lost updates 2/);
    expect(frame).toMatch(/lost updates 0/);
    expect(frame).toMatch(/no lock: agents interleave freely/);
    expect(frame).toMatch(/lock held by B · queued C/);
    expect(frame).toMatch(/A +in window/);
    expect(frame).toMatch(/C +wait lock/);
    expect(frame).toMatch(/! B read \$0\.00, then wrote \$1\.00 over/); // the rest is cut at the pane's width
    expect(frame).toMatch(/space pause · s step/);
    app.unmount();
  });

  it('draws the deadlock cycle in the transfer view', async () => {
    const run = new FakeRun('mutex', {
      scenario: 'transfer',
      deadlock: {
        cycle: [
          { agent: 'T1', waitsFor: 1, heldBy: 'T2' },
          { agent: 'T2', waitsFor: 0, heldBy: 'T1' },
        ],
        text: '',
      },
    });
    const { app } = await mounted([run]);
    await until(() => /DEADLOCK/.test(app.lastFrame() ?? ''));
    expect(app.lastFrame()).toMatch(/DEADLOCK: T1 → acct 2 → T2 → acct 1 → T1/);
    app.unmount();
  });

  it('shows parked withdrawers (condition) and teller windows with the queue (tellers)', async () => {
    const condition = new FakeRun('condition', {
      scenario: 'condition',
      agents: new FakeRun('none').snap.agents.map((a, i) => ({ ...a, name: `W${i + 1}`, state: i < 2 ? 'waiting for funds' : 'idle' })),
    });
    const tellers = new FakeRun('semaphore', {
      scenario: 'tellers',
      permits: 2,
      servingMax: 2,
      agents: new FakeRun('none').snap.agents.map((a, i) => ({ ...a, name: `C${i + 1}`, state: i < 2 ? 'serving' : 'waiting for lock' })),
    });
    const { app } = await mounted([condition, tellers]);
    await until(() => /parked on Condition/.test(app.lastFrame() ?? ''));
    expect(app.lastFrame()).toMatch(/parked on Condition: W1 W2/);
    expect(app.lastFrame()).toMatch(/\[C1 \]\[C2 \] queue C3 max 2\/2/);
    app.unmount();
  });
});

describe('dashboard keys', () => {
  it('space pauses, s toggles step mode, digits step agents, +/- change the window, in every pane', async () => {
    const runs = [new FakeRun('none'), new FakeRun('mutex')];
    const { app } = await mounted(runs);
    const expected = ['togglePause', 'stepMode:true', 'step:0', 'step:1', 'step:9', 'window:2000', 'window:500'];
    for (const [i, key] of [' ', 's', '1', '2', '0', '+', '-'].entries()) {
      app.stdin.write(key);
      await until(() => runs.every((r) => r.calls.length === i + 1), `key ${JSON.stringify(key)}`);
    }
    for (const r of runs) expect(r.calls).toEqual(expected);
    await until(() => /STEP MODE · 1-9\/0 advance agent/.test(app.lastFrame() ?? ''), 'the step-mode footer');
    app.unmount();
  });

  it('? opens the help overlay and closes it again', async () => {
    const { app } = await mounted([new FakeRun('none')]);
    app.stdin.write('?');
    await until(() => /double \/ halve the race window/.test(app.lastFrame() ?? ''), 'the help overlay');
    expect(app.lastFrame()).toMatch(/Keys/);
    app.stdin.write('?');
    await until(() => !/double \/ halve/.test(app.lastFrame() ?? ''), 'the help to close');
    expect(app.lastFrame()).toMatch(/none · running/);
    app.unmount();
  });

  it('r restarts: the old runs are killed and new ones started', async () => {
    const runs = [new FakeRun('none')];
    const { app, starts } = await mounted(runs);
    expect(starts()).toBe(1);
    app.stdin.write('r');
    await until(() => starts() === 2, 'a restart');
    expect(runs[0]!.calls).toContain('kill');
    app.unmount();
  });

  it('q quits with 0 and Ctrl-C with 130', async () => {
    const a = await mounted([new FakeRun('none')]);
    a.app.stdin.write('q');
    await until(() => a.exits.length === 1, 'q');
    expect(a.exits).toEqual([0]);
    a.app.unmount();
    const b = await mounted([new FakeRun('none')]);
    b.app.stdin.write('\x03');
    await until(() => b.exits.length === 1, 'Ctrl-C');
    expect(b.exits).toEqual([130]);
    b.app.unmount();
  });

  it('the picker starts the chosen scenario', async () => {
    const { app, starts } = await mounted([new FakeRun('none')], null);
    expect(starts()).toBe(0);
    app.stdin.write('1');
    await until(() => starts() === 1, 'the scenario to start');
    await until(() => /none · running/.test(app.lastFrame() ?? ''), 'the dashboard');
    app.unmount();
  });
});

describe('view model', () => {
  it('lanes put each event in its agent lane, in global order; lost updates marked', () => {
    const { lanes, lostColumns } = buildLanes([ev(0, 0, 'read'), ev(1, 1, 'read'), ev(2, 0, 'write'), ev(3, 1, 'write'), ev(4, 1, 'lost')], 2, 5);
    expect(lanes).toEqual(['R·W··', '·R·W!']);
    expect([...lostColumns]).toEqual([4]);
  });

  it('the tracker reads only new events each frame and explains lost updates, newest first', () => {
    const run = new FakeRun('none');
    const tracker = new PaneTracker(run, 8);
    // A reads $4.00; B writes $4.50; A writes $5.00 over it: B's deposit is erased.
    run.evts = [ev(0, 0, 'read', 400, 0), ev(1, 1, 'write', 450, 400, 0), ev(2, 0, 'write', 500, 450, 0), ev(3, 0, 'lost', 400, 450, 1, 1)];
    expect(tracker.view().stories).toEqual(["A read $4.00, then wrote $5.00 over $4.50: B's deposit is lost"]);
    // C read $5.00 before A and B wrote again; its write erases both: the story names them.
    run.evts = [ev(4, 2, 'read', 500, 0), ev(5, 0, 'write', 550, 500, 0), ev(6, 1, 'write', 600, 550, 0), ev(7, 2, 'write', 550, 600, 0), ev(8, 2, 'lost', 500, 600, 1, 2)];
    const view = tracker.view();
    expect(view.stories[0]).toBe('C read $5.00, then wrote $5.50 over $6.00: 2 deposits (A, B) lost');
    expect(view.stories).toHaveLength(2);
    expect(view.lanes[2]).toBe('···R··W!'); // the 8 newest events in order: C's read, write and lost update last
    expect(view.history.balance).toEqual([1000, 1000]);
  });

  it('sparkline scales values to eight levels', () => {
    expect(sparkline([0, 50, 100], 3, 100)).toBe('▁▅█');
  });
});
