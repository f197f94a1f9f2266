import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { preset, type SimConfig } from '../../src/sim/model/config.js';
import { checkSchedule } from '../../src/sim/explore/schedule.js';
import { traceSchedule } from '../../src/sim/explore/witness.js';
import type { ReplayPlan } from '../../src/sim/engine/replay.js';
import { openRun } from '../../src/sim/open-run.js';
import { App } from '../../src/ui/App.js';
import type { Start } from '../../src/ui/use-runs.js';

// The dashboard's replay and challenge on real worker threads (the App with real Simulations).
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts real runs, as run-dashboard's start does for exact configs. */
const start: Start = (_scenario, options = {}) =>
  (options.configs ?? []).map((c) => {
    const sim = openRun(c);
    if (options.stepMode) sim.setStepMode(true);
    sim.run().catch(() => undefined);
    return sim;
  });

const flat = (frame: string | undefined): string => (frame ?? '').replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');

describe('the dashboard replays a schedule and offers the scheduler challenge', () => {
  it('tui --replay: the pane replays A,B,A,B step by step (space pauses, Enter steps) and says the outcome matched the model', async () => {
    const config: SimConfig = { ...preset('race'), sync: 'none', depositors: 2, ops: 1 };
    const schedule = [0, 1, 0, 1];
    const plan: ReplayPlan = { config, names: ['A', 'B'], schedule, complete: checkSchedule(config, schedule, true).complete, model: traceSchedule(config, schedule) };
    const app = render(<App start={start} scenario={null} replay={[plan]} onExit={() => {}} fps={50} />);
    const done = (): number => Number(/(\d) of 4 steps done|Replayed/.exec(flat(app.lastFrame()))?.[1] ?? 4);
    await until(() => /of 4 steps done/.test(flat(app.lastFrame())), 'the replay');
    app.stdin.write(' ');
    await until(() => /REPLAY PAUSED/.test(flat(app.lastFrame())) && /space play/.test(flat(app.lastFrame())), 'the pause');
    await until(() => /A next: \w+ .*B next: \w+/.test(flat(app.lastFrame())), 'the agents at their gates');
    await new Promise((r) => setTimeout(r, 300)); // a move granted just before the pause is done by now
    const paused = done();
    await new Promise((r) => setTimeout(r, 900)); // longer than a step (0.7 s): paused, nothing moves
    expect(done()).toBe(paused);
    // Enter takes one step at a time.
    while (done() < 4) {
      const before = done();
      if (before === 2) await until(() => /A next: write .*B next: write/.test(flat(app.lastFrame())), 'both agents to have read');
      app.stdin.write('\r');
      await until(() => done() > before, `step ${before + 1}`);
    }
    await until(() => /✓ match: the model predicted \$1\.00/.test(flat(app.lastFrame())), 'the match');
    const frame = flat(app.lastFrame());
    expect(frame).toMatch(/balance \$1\.00 \/ expected \$2\.00/);
    expect(frame).toMatch(/B read \$0\.00, then wrote \$1\.00 over \$1\.00: A's deposit is lost/);
    expect(frame).toMatch(/Replayed A,B,A,B on real threads, 4 steps\./);
    app.unmount();
  });

  it("c: you are the scheduler; 1 2 1 2 loses a deposit, compared with the explorer's witness and counts", async () => {
    const app = render(<App start={start} scenario={null} onExit={() => {}} fps={50} />);
    await until(() => /pick a scenario/.test(flat(app.lastFrame())), 'the picker');
    app.stdin.write('c');
    await until(
      () => /Goal: make the bank lose a deposit: end with \$1\.00 instead of \$2\.00/.test(flat(app.lastFrame())) && /A next: read/.test(flat(app.lastFrame())),
      'the challenge',
    );
    expect(flat(app.lastFrame())).toMatch(/Your schedule so far: none yet/);
    const steps = ['A', 'A,B', 'A,B,A'];
    for (const [i, key] of ['1', '2', '1'].entries()) {
      app.stdin.write(key);
      await until(() => flat(app.lastFrame()).includes(`Your schedule so far: ${steps[i]} `), `schedule ${steps[i]}`);
    }
    app.stdin.write('2');
    await until(() => /You did it/.test(flat(app.lastFrame())), 'the result');
    const frame = flat(app.lastFrame());
    expect(frame).toMatch(/the bank ended with \$1\.00 instead of \$2\.00, a forbidden outcome/);
    expect(frame).toMatch(/Your schedule: A,B,A,B\. The explorer's witness, with the fewest preemptions \(1\): A,B,B,A\./);
    expect(frame).toMatch(/Of all 6 interleavings, 4 end at \$1\.00 like yours; 2 are acceptable\./);
    expect(frame).toMatch(/r try again/);
    app.unmount();
  });
});
