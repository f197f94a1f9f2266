/**
 * Starts the live dashboard on an interactive terminal and returns the exit code when the user
 * leaves. Whatever happens (q, Ctrl-C, a crash), the workers are terminated and ink restores the
 * terminal (raw mode off, cursor shown).
 */
import { render } from 'ink';
import type { Command } from '../cli/args.js';
import type { ReplayPlan } from '../sim/engine/replay.js';
import { formatDashboardSummary } from '../cli/report.js';
import { applicableOn, preset, type ScenarioName, type SimConfig, type StoreKind, type Strategy } from '../sim/model/config.js';
import { openRun } from '../sim/open-run.js';
import { App } from './App.js';
import { tourOffer } from './first-launch.js';
import type { RunHandle } from './model.js';
import type { StartOptions } from './use-runs.js';

/** Slows the demo presets down enough to watch, unless the user chose those values. */
export function watchable(config: SimConfig, given: readonly string[]): SimConfig {
  const c = { ...config };
  const unless = (flag: string, apply: () => void): void => {
    if (!given.includes(flag)) apply();
  };
  switch (c.scenario) {
    case 'race':
    case 'async': // ~7 s: 300 deposits per agent, 2 ms window, 20 ms between deposits
      unless('ops', () => (c.ops = 300));
      unless('window', () => (c.windowUs = 2000));
      unless('time-scale', () => (c.depositEveryUs = 20_000));
      break;
    case 'tellers': // ~5 s: 60 visits per customer, 20 ms at the window, 30 ms between visits
      unless('ops', () => (c.ops = 60));
      unless('window', () => (c.windowUs = 20_000));
      unless('time-scale', () => (c.depositEveryUs = 30_000));
      break;
    case 'condition': // ~5 s: the lesson's timings at 4x speed
      unless('ops', () => (c.ops = 40));
      unless('time-scale', () => (c.timeScale = 0.25));
      break;
    case 'transfer': // a visible deadlock (naive order) or a steady stream of transfers
      unless('window', () => (c.windowUs = 5000));
      unless('ops', () => (c.ops = 300));
      break;
  }
  return c;
}

export function defaultPanes(scenario: ScenarioName, store: StoreKind = 'memory'): Strategy[] {
  return scenario === 'race' && store === 'memory' ? ['none', 'mutex'] : applicableOn(store, scenario).slice(0, 2);
}

/** Makes one pane's run (on the command's store). */
export type MakeRun = (config: SimConfig) => RunHandle;

/** `replay`: tui --replay's schedule, checked on the model for each pane (src/explore-cmd.ts). */
export async function runDashboard(cmd: Command, make: MakeRun = (config) => openRun(config), replay: ReplayPlan[] | null = null): Promise<number> {
  let runs: RunHandle[] = [];
  const scenarioGiven = cmd.given.includes('scenario');
  const start = (scenario: ScenarioName, options: StartOptions = {}): RunHandle[] => {
    const fromArgs = scenario === cmd.config.scenario;
    const base = fromArgs ? cmd.config : preset(scenario);
    const strategies = options.strategies ?? (fromArgs ? cmd.strategies : defaultPanes(scenario, cmd.config.store));
    const config = watchable(base, fromArgs ? cmd.given : []);
    runs = options.configs ? options.configs.map((c) => make(c)) : strategies.map((sync) => make({ ...config, sync }));
    for (const r of runs) {
      if (options.stepMode) r.setStepMode(true);
      r.run().catch(() => undefined);
    }
    return runs;
  };
  return new Promise<number>((resolve) => {
    let leaving = false;
    const leave = (code: number): void => {
      if (leaving) return;
      leaving = true;
      instance.unmount();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      void Promise.all(runs.map((r) => r.kill())).finally(() => {
        // The frame ink leaves behind is followed by the verdicts, on the normal screen.
        if (runs.length) process.stdout.write(`\n${summary(runs)}\n`);
        resolve(code);
      });
    };
    const onSigint = (): void => leave(130);
    const onSigterm = (): void => leave(143);
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    const instance = render(
      <App start={start} scenario={scenarioGiven || cmd.given.includes('sync') || replay ? cmd.config.scenario : null} replay={replay} onExit={leave} {...tourOffer()} />,
      {
        exitOnCtrlC: false, // we handle Ctrl-C: terminate the workers, then exit 130
        maxFps: 15,
        // ink 6.8's incremental renderer returns the cursor one line short when a frame ends with
        // a newline, so every changed frame leaves a stale line above it (seen in tmux). The full
        // redraw is correct, and ink wraps each frame in synchronized-output mode (DEC 2026), which
        // keeps it flicker-free on terminals that support it.
        incrementalRendering: false,
      },
    );
    instance.waitUntilExit().catch(() => leave(1));
  });
}

function summary(runs: RunHandle[]): string {
  const panes = runs.map((r) => {
    const s = r.snapshot();
    return { label: r.config.sync, verdict: s.verdict, interrupted: s.interrupted, transactions: s.transactions, elapsedMs: s.elapsedMs };
  });
  return formatDashboardSummary(panes, runs[0]!.config);
}
