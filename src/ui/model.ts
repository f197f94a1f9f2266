/**
 * Pure view-model functions for the dashboard: what a pane shows, computed from a snapshot and
 * the recent events. No React, no workers: easy to test and cheap to run every frame.
 */
import type { RunHandle, Snapshot } from '../sim/engine/run.js';
import type { Strategy, SimConfig } from '../sim/model/config.js';
import { StoryTeller, type TraceEvent } from '../sim/engine/trace.js';
import { updateNoun } from '../sim/model/verdict.js';

/** What the dashboard needs from a run: the engine's one run interface. */
export type { RunHandle };

export interface PaneView {
  sync: Strategy;
  config: SimConfig;
  /** The agents' names (A..J, D1..W10). */
  names: readonly string[];
  /** The most recent timeline events, oldest first (the lanes; the tour's narration). */
  events: TraceEvent[];
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

/** The lane legend in words ("R read, W write, ..."), from the table the lanes are drawn with. */
export function laneLegend(between = ' '): string {
  return Object.entries(LANE_SYMBOL)
    .map(([action, symbol]) => `${symbol}${between}${action}`)
    .join(', ');
}

/**
 * The interleaving of the last `width` events, newest in the last column, each drawn
 * in the lane of the agent that did it. A lost update is drawn as '!' in its writer's lane.
 */
export function buildLanes(events: TraceEvent[], agents: number, width: number): { lanes: string[]; lostColumns: Set<number> } {
  const shown = events.filter((e) => LANE_SYMBOL[e.action] !== undefined).slice(-width);
  const lanes = Array.from({ length: agents }, () => Array.from({ length: width }, () => '·'));
  const lostColumns = new Set<number>();
  // Right-aligned: the newest event is always the last column.
  const offset = width - shown.length;
  shown.forEach((e, i) => {
    const lane = lanes[e.agent];
    if (!lane) return;
    const j = offset + i;
    lane[j] = LANE_SYMBOL[e.action]!;
    if (e.action === 'lost') lostColumns.add(j);
  });
  return { lanes: lanes.map((l) => l.join('')), lostColumns };
}

const HISTORY = 120;
const STORIES = 3;

/**
 * Turns one run into pane views, frame after frame, reading only what is new: the snapshot
 * (a few dozen shared-memory loads) and the events written since the last frame. The cost per
 * frame does not grow with the run, so the UI stays light beside the agents it shows.
 */
export class PaneTracker {
  private cursor = 0;
  private recent: TraceEvent[] = [];
  private stories: string[] = [];
  private readonly history = { balance: [] as number[], expected: [] as number[] };

  private readonly teller: StoryTeller;

  constructor(
    private readonly run: RunHandle,
    private readonly laneWidth = 240,
  ) {
    this.teller = new StoryTeller(run.names, updateNoun(run.config));
  }

  view(): PaneView {
    const snapshot = this.run.snapshot();
    const h = this.history;
    h.balance.push(snapshot.balance);
    h.expected.push(snapshot.expected);
    if (h.balance.length > HISTORY) {
      h.balance.shift();
      h.expected.shift();
    }
    const fresh = this.run.events(this.cursor, 4096);
    if (fresh.length) this.cursor = fresh[fresh.length - 1]!.seq + 1;
    for (const e of fresh) {
      const story = this.teller.feed(e);
      if (story) {
        this.stories.unshift(story);
        if (this.stories.length > STORIES) this.stories.pop();
      }
      if (LANE_SYMBOL[e.action] !== undefined) this.recent.push(e);
    }
    if (this.recent.length > this.laneWidth) this.recent = this.recent.slice(-this.laneWidth);
    const { lanes, lostColumns } = buildLanes(this.recent, snapshot.agents.length, this.laneWidth);
    return { sync: this.run.config.sync, config: this.run.config, names: this.run.names, events: this.recent, snapshot, history: h, lanes, lostColumns, stories: this.stories };
  }
}

/** Unicode block sparkline of `values` scaled to [0, top]. */
export function sparkline(values: number[], width: number, top: number): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const tail = values.slice(-width);
  const max = Math.max(top, 1);
  return tail.map((v) => blocks[Math.max(0, Math.min(7, Math.round((Math.max(0, v) / max) * 7)))]!).join('');
}
