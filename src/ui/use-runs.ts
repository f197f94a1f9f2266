import { useEffect, useRef, useState } from 'react';
import type { ScenarioName, SimConfig, Strategy } from '../sim/model/config.js';
import { PaneTracker, type PaneView, type RunHandle } from './model.js';

export interface StartOptions {
  /** The panes; default: what the command line asked for (or the scenario's default pair). */
  strategies?: Strategy[];
  /** Start with every agent waiting for step grants (the tour, a replay, the challenge). */
  stepMode?: boolean;
  /** Exactly these runs, one per pane (not slowed down for watching): a replay, the challenge. */
  configs?: SimConfig[];
}

export type Start = (scenario: ScenarioName, options?: StartOptions) => RunHandle[];

export interface RunRequest extends StartOptions {
  scenario: ScenarioName;
  /** Bumped to restart the same runs. */
  generation: number;
  /** A replay of a schedule (tui --replay), or the "you are the scheduler" challenge. */
  kind?: 'replay' | 'challenge';
}

/**
 * The run lifecycle: starts the runs a request asks for (again when it changes), kills them when
 * they go away, and reads their views at a fixed frame rate (the agents never wait for it).
 */
export function useRuns(start: Start, request: RunRequest | null, fps: number): { runs: { readonly current: RunHandle[] }; views: PaneView[]; key: string } {
  const runs = useRef<RunHandle[]>([]);
  const [views, setViews] = useState<PaneView[]>([]);
  const key = request ? `${request.scenario}|${request.strategies?.join(',') ?? ''}|${request.stepMode ?? false}|${request.kind ?? ''}|${request.generation}` : '';
  useEffect(() => {
    if (!request) return;
    const started = start(request.scenario, { strategies: request.strategies, stepMode: request.stepMode, configs: request.configs });
    runs.current = started;
    const trackers = started.map((run) => new PaneTracker(run));
    const tick = () => setViews(trackers.map((t) => t.view()));
    tick();
    const timer = setInterval(tick, 1000 / fps);
    return () => {
      clearInterval(timer);
      for (const r of started) void r.kill();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is the request
  }, [key, start, fps]);
  return { runs, views, key };
}
