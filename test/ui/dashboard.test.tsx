import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/sim/engine/trace.js';
import { App } from '../../src/ui/App.js';
import { buildLanes, PaneTracker, sparkline } from '../../src/ui/model.js';
import { FakeRun } from './fake-run.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
/** Polls until `check` holds (frames render asynchronously; a loaded machine is slower). */
async function until(check: () => boolean, what = 'the expected frame'): Promise<void> {
  const end = Date.now() + 10_000; // generous: a loaded machine renders slowly; a broken frame still fails
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const ev = (seq: number, agent: number, action: TraceEvent['action'], value = 0, aux = 0, aux2 = 0, aux3 = 0): TraceEvent => ({
  seq,
  timeUs: seq,
  agent,
  action,
  value,
  aux,
  aux2,
  aux3,
});

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

/** Mounts with a start() that records what it was asked for. */
function mountRecording(runs: FakeRun[]) {
  const asked: unknown[] = [];
  const app = render(<App scenario="race" start={(_s, o) => (asked.push(o ?? {}), runs)} onExit={() => {}} fps={50} />);
  return { app, asked };
}

describe('dashboard frames', () => {
  it('shows each pane: verdict, balance vs expected, lock holder and queue, agent states, the whole story; nothing cut', async () => {
    const none = new FakeRun('none', { lockHolders: [null] });
    const mutex = new FakeRun('mutex', { balance: 1200, lostUpdates: 0, verdict: { ok: true, violations: [], lostUpdates: 0, updates: 12 } });
    none.evts = [ev(0, 0, 'read', 0), ev(1, 1, 'read', 0), ev(2, 0, 'write', 100, 0), ev(3, 1, 'write', 100, 100), ev(4, 1, 'lost', 0, 100, 0)];
    const { app } = await mounted([none, mutex]);
    await until(() => /A's deposit is lost/.test(app.lastFrame() ?? ''));
    const frame = app.lastFrame()!;
    expect(frame).toMatch(/none · running/);
    expect(frame).toMatch(/mutex · running/);
    expect(frame).toMatch(/balance \$10\.00 \/ expected \$12\.00 \(\$2\.00 lost\)/);
    expect(frame).toMatch(/balance \$12\.00 \/ expected \$12\.00/);
    expect(frame).toMatch(/lost 2 of 12 deposits/);
    expect(frame).toMatch(/lost 0 of 12 deposits/);
    expect(frame).toMatch(/no lock: agents interleave freely/);
    expect(frame).toMatch(/lock B · queued C/);
    expect(frame).toMatch(/A in window/);
    expect(frame).toMatch(/C wait lock/);
    expect(frame).toMatch(/R·W··[ │]/); // A's lane: the newest events, on the right
    expect(frame).toMatch(/·R·W![ │]/); // B's lane
    expect(frame).toMatch(/! B read \$0\.00, then wrote \$1\.00 over \$1\.00:/); // the story, wrapped
    expect(frame).toMatch(/A's deposit is lost/);
    expect(frame).toMatch(/space pause · s step mode/);
    expect(frame).not.toMatch(/…/);
    app.unmount();
  });

  it('a finished run states its verdict per pane, coloured by it, and the footer offers what makes sense next', async () => {
    const none = new FakeRun('none', { status: 'finished' });
    const tellers = new FakeRun('none', {
      status: 'finished',
      scenario: 'tellers',
      servingMax: 3,
      permits: 1,
      lostUpdates: 0,
      balance: 1200,
      verdict: { ok: false, violations: [{ name: 'tellers', reason: '3 customers were served at once with 1 window' }], lostUpdates: 0, updates: 12 },
    });
    const { app } = await mounted([none, tellers]);
    await until(() => /none: lost 2 of 12 deposits/.test(app.lastFrame() ?? ''));
    const frame = app.lastFrame()!;
    expect(frame).toMatch(/none: tellers · lost 0 of 12 deposits ✗/); // no lost deposit, but a broken invariant, named: red, with its figure
    expect(frame).toMatch(/✗ tellers: 3 customers were served at once/);
    expect(frame).toMatch(/✗ balance: lost 2 of 12 deposits/);
    expect(frame).toMatch(/r restart · t tour · c challenge · \? help · q quit/);
    expect(frame).not.toMatch(/space pause/);
    app.unmount();
  });

  it('blocked agents say what they wait for; deadlocked agents are shown deadlocked, not done', async () => {
    const agents = new FakeRun('mutex').snap.agents.map((a, i) => ({ ...a, name: `T${i + 1}` }));
    const accounts = [0, 1, 2].map(() => ({ balance: 0, expected: 0, commits: 0, version: 0 }));
    const waiting = new FakeRun('mutex', {
      scenario: 'transfer',
      accounts,
      lockHolders: [null, 0, null],
      agents: agents.map((a, i) => (i === 2 ? { ...a, state: 'waiting for lock', waitingFor: 1 } : a)),
    });
    const deadlocked = new FakeRun('mutex', {
      scenario: 'transfer',
      status: 'finished',
      accounts,
      lockHolders: [null, null, null],
      agents: agents.map((a) => ({ ...a, state: 'done' })),
      deadlock: {
        cycle: [
          { agent: 'T1', waitsFor: 1, heldBy: 'T2' },
          { agent: 'T2', waitsFor: 0, heldBy: 'T1' },
        ],
        text: '',
      },
      verdict: {
        ok: false,
        violations: [{ name: 'deadlock', reason: "T1 waits for account 2's lock, held by T2; T2 waits for account 1's lock, held by T1" }],
        lostUpdates: 0,
        updates: 0,
      },
    });
    const { app } = await mounted([waiting, deadlocked]);
    await until(() => /DEADLOCK/.test(app.lastFrame() ?? ''));
    const frame = app.lastFrame()!;
    expect(frame).toMatch(/T3 +waits acct 2, held by T1/);
    expect(frame).toMatch(/DEADLOCK: T1 → acct 2 → T2 → acct 1 → T1/);
    expect(frame).toMatch(/T1 +waits acct 2, held by T2/);
    expect(frame).toMatch(/T3 +gave up/);
    expect(frame).not.toMatch(/T[12] +done/);
    app.unmount();
  });

  it('shows parked withdrawers with the lowest balance (condition) and teller windows with the queue (tellers)', async () => {
    const condition = new FakeRun('condition', {
      scenario: 'condition',
      minBalance: -4799,
      agents: new FakeRun('none').snap.agents.map((a, i) => ({ ...a, name: `W${i + 1}`, state: i < 2 ? 'waiting for funds' : 'idle' })),
    });
    const tellers = new FakeRun('semaphore', {
      scenario: 'tellers',
      permits: 2,
      servingMax: 2,
      // C1 has just entered; C2 is being served (its time at the window): both are at a window.
      agents: new FakeRun('none').snap.agents.map((a, i) => ({ ...a, name: `C${i + 1}`, state: i === 0 ? 'serving' : i === 1 ? 'in window' : 'waiting for lock' })),
    });
    const { app } = await mounted([condition, tellers]);
    await until(() => /parked/.test(app.lastFrame() ?? ''));
    expect(app.lastFrame()).toMatch(/lowest -\$47\.99 · parked: W1 W2/);
    expect(app.lastFrame()).toMatch(/max 2\/2 \[C1\]\[C2\] queue C3/);
    app.unmount();
  });
});

describe('dashboard keys', () => {
  it('space pauses, s toggles step mode, digits and the selection step agents, +/- change the window, in every pane', async () => {
    const runs = [new FakeRun('none'), new FakeRun('mutex')];
    const { app } = await mounted(runs);
    const expected = ['togglePause', 'stepMode:true', 'step:0', 'step:1', 'step:2', 'window:2000', 'window:500'];
    let calls = 0;
    for (const key of [' ', 's', '1', '2', '\t', '\r', '+', '-']) {
      app.stdin.write(key);
      if (key === '\t') {
        await until(() => /⏎ step C/.test(app.lastFrame() ?? ''), `the selection to move to C: ${app.lastFrame()}`);
        continue;
      }
      calls++;
      await until(() => runs.every((r) => r.calls.length === calls), `key ${JSON.stringify(key)}`);
    }
    for (const r of runs) expect(r.calls).toEqual(expected);
    await until(() => /1-3 step A-C/.test(app.lastFrame() ?? ''), 'the step-mode footer naming the agents');
    app.unmount();
  });

  it('t starts the guided tour: the race without a lock in step mode, told step by step', async () => {
    const run = new FakeRun('none', { stepMode: true });
    const { app, asked } = mountRecording([run]);
    await until(() => asked.length === 1, 'the app to start');
    await tick();
    app.stdin.write('t');
    await until(() => /Tour 1\/2/.test(app.lastFrame() ?? '') && asked.length === 2, 'the tour');
    expect(asked[1]).toEqual({ strategies: ['none'], stepMode: true });
    run.evts = [ev(0, 0, 'read', 400, 0)];
    app.stdin.write('1');
    await until(() => /A read the balance: \$4\.00\. Press 2/.test(app.lastFrame() ?? ''), "the narration of A's step");
    expect(run.calls).toContain('step:0');
    app.unmount();
  });
  it('? opens the help overlay and closes it again', async () => {
    const { app } = await mounted([new FakeRun('none')]);
    app.stdin.write('?');
    await until(() => /double \/ halve the race window/.test(app.lastFrame() ?? ''), 'the help overlay');
    expect(app.lastFrame()).toMatch(/Keys/);
    expect(app.lastFrame()).toMatch(/R read, W write, L lock/); // the lane legend lives here when panes are narrow
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
    expect(buildLanes([ev(0, 0, 'read')], 2, 4).lanes).toEqual(['···R', '····']); // newest on the right
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
