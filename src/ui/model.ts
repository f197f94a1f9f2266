/**
 * Pure view-model functions for the dashboard: what a pane shows, computed from a snapshot and
 * the recent events. No React, no workers: easy to test and cheap to run every frame.
 */
import type { Snapshot } from '../sim/simulation.js';
import type { Strategy, SimConfig } from '../sim/config.js';
import type { AgentState } from '../sim/layout.js';
import { explainLost, type TraceEvent } from '../sim/trace.js';

/** What the dashboard needs from a running simulation (a Simulation implements it). */
export interface RunHandle {
  readonly config: SimConfig;
  readonly names: string[];
  snapshot(): Snapshot;
  events(from?: number, max?: number): TraceEvent[];
  run(): Promise<unknown>;
  togglePause(): void;
  setStepMode(on: boolean): void;
  step(agent: number): void;
  setWindow(us: number): void;
  stop(): void;
  kill(): Promise<void>;
}

export interface PaneView {
  sync: Strategy;
  snapshot: Snapshot;
  /** Balance and expected balance over time (one sample per frame). */
  history: { balance: number[]; expected: number[] };
  /** One lane per agent: a character per recent event column. */
  lanes: string[];
  /** Which lane columns are lost updates (to colour them). */
  lostColumns: Set<number>;
  /** Recent lost updates, explained in words, newest first. */
  stories: string[];
}

/** One letter per action in the interleaving timeline. */
export const LANE_SYMBOL: Partial<Record<TraceEvent['action'], string>> = {
  read: 'R',
  write: 'W',
  lock: 'L',
  unlock: 'U',
  wait: 'w',
  notify: 'n',
  woke: 'k',
  lost: '!',
  enter: '>',
  leave: '<',
  retry: 'r',
  crash: 'X',
};

/**
 * The interleaving of the last `width` events: column j is the j-th most recent event, drawn
 * in the lane of the agent that did it. A lost update is drawn as '!' in its writer's lane.
 */
export function buildLanes(events: TraceEvent[], agents: number, width: number): { lanes: string[]; lostColumns: Set<number> } {
  const shown = events.filter((e) => LANE_SYMBOL[e.action] !== undefined).slice(-width);
  const lanes = Array.from({ length: agents }, () => Array.from({ length: width }, () => '·'));
  const lostColumns = new Set<number>();
  shown.forEach((e, j) => {
    const lane = lanes[e.agent];
    if (!lane) return;
    lane[j] = LANE_SYMBOL[e.action]!;
    if (e.action === 'lost') lostColumns.add(j);
  });
  return { lanes: lanes.map((l) => l.join('')), lostColumns };
}

/** Explanations of the most recent lost updates found in `events`. */
export function lostStories(events: TraceEvent[], names: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (let i = events.length - 1; i >= 0 && out.length < max; i--) {
    const e = events[i]!;
    if (e.action !== 'lost') continue;
    const write = events.slice(0, i).reverse().find((w) => w.agent === e.agent && w.action === 'write');
    out.push(explainLost(e, write?.value ?? e.value, names));
  }
  return out;
}

/** Unicode block sparkline of `values` scaled to [0, top]. */
export function sparkline(values: number[], width: number, top: number): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const tail = values.slice(-width);
  const max = Math.max(top, 1);
  return tail.map((v) => blocks[Math.max(0, Math.min(7, Math.round((Math.max(0, v) / max) * 7)))]!).join('');
}

/** Short state labels for narrow panes. */
export const SHORT_STATE: Record<AgentState, string> = {
  idle: 'idle',
  reading: 'reading',
  'in window': 'in window',
  writing: 'writing',
  'waiting for lock': 'wait lock',
  'waiting for funds': 'wait funds',
  'holding lock': 'holds lock',
  done: 'done',
  dead: 'DEAD',
  serving: 'at window',
  'waiting for step': 'wait step',
};

export const STATE_COLOR: Record<AgentState, string> = {
  idle: 'gray',
  reading: 'cyan',
  'in window': 'yellow',
  writing: 'magenta',
  'waiting for lock': 'red',
  'waiting for funds': 'blue',
  'holding lock': 'green',
  done: 'gray',
  dead: 'redBright',
  serving: 'green',
  'waiting for step': 'white',
};

/** "A B D" for the agents in `states`. */
export function agentsIn(snapshot: Snapshot, states: AgentState[]): string[] {
  return snapshot.agents.filter((a) => states.includes(a.state)).map((a) => a.name);
}

/** A short status line for the pane title. */
export function statusText(s: Snapshot): string {
  if (s.status === 'finished') return s.deadlock ? 'deadlocked' : 'finished';
  if (s.stepMode && s.status === 'running') return 'step mode';
  return s.status;
}
