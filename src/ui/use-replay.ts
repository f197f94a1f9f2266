/**
 * tui --replay: drives each pane's run through its schedule with driveSchedule (the mechanism
 * `run --replay` uses), paced so it can be watched: one move every STEP_MS while playing, or
 * one on a key while paused. Every pane takes move i before any takes move i+1. When its
 * schedule is used up, a pane's step mode goes off and the run finishes on its own.
 */
import { useEffect, useRef, useState } from 'react';
import { checkSchedule } from '../sim/explore/schedule.js';
import { driveSchedule, type ReplayPlan } from '../sim/engine/replay.js';
import type { RunHandle } from './model.js';

/** The pace of a playing replay. */
export const STEP_MS = 700;

export interface ReplayState {
  /** Moves every pane has taken. */
  done: number;
  total: number;
  playing: boolean;
  /** Per pane: why its replay got stuck (null: it did not). */
  errors: (string | null)[];
}

/** Releases move i once `allowed` exceeds it. */
class Pacer {
  allowed = 0;
  playing = true;
  private waiters: { i: number; resolve: () => void }[] = [];
  constructor(readonly total: number) {}
  wait(i: number): Promise<void> {
    if (i < this.allowed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ i, resolve }));
  }
  advance(): void {
    if (this.allowed >= this.total) return;
    this.allowed++;
    this.waiters = this.waiters.filter((w) => (w.i < this.allowed ? (w.resolve(), false) : true));
  }
  /** Lets every waiter go (on abort: the drive then sees its signal and ends). */
  release(): void {
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

export interface ReplayControls {
  state: ReplayState | null;
  /** Play / pause the replay (space). */
  toggle(): void;
  /** One more move now (Enter); presses while a move is under way queue up. */
  next(): void;
}

/** Drives `runs` through `plans` (one per pane) whenever `key` (the runs' identity) changes and `active`. */
export function useReplay(runs: { readonly current: RunHandle[] }, plans: readonly ReplayPlan[] | null, key: string, active: boolean): ReplayControls {
  const [state, setState] = useState<ReplayState | null>(null);
  const control = useRef<{ pacer: Pacer; publish: () => void } | null>(null);
  useEffect(() => {
    if (!active || !plans) {
      setState(null);
      return;
    }
    const started = runs.current;
    const total = Math.max(...plans.map((p) => p.schedule.length));
    const pacer = new Pacer(total);
    const done = started.map(() => 0);
    const errors: (string | null)[] = started.map(() => null);
    const aborted = new AbortController();
    const publish = (): void => setState({ done: Math.min(...done), total, playing: pacer.playing, errors: [...errors] });
    control.current = { pacer, publish };
    started.forEach((run, i) => {
      const plan = plans[i]!;
      const { moves } = checkSchedule(plan.config, plan.schedule, true);
      driveSchedule(run, moves, {
        signal: aborted.signal,
        beforeMove: (j) => pacer.wait(j),
        onMove: (j) => {
          done[i] = j + 1;
          publish();
        },
      })
        .then(() => {
          done[i] = total;
          run.setStepMode(false);
          publish();
        })
        .catch((error: Error) => {
          if (aborted.signal.aborted) return;
          errors[i] = error.message;
          done[i] = total;
          publish();
        });
    });
    publish();
    const timer = setInterval(() => {
      if (pacer.playing && Math.min(...done) >= pacer.allowed) pacer.advance();
    }, STEP_MS);
    return () => {
      clearInterval(timer);
      aborted.abort();
      pacer.release();
      control.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is the runs
  }, [key, active, plans]);
  return {
    state,
    toggle: () => {
      const c = control.current;
      if (!c) return;
      c.pacer.playing = !c.pacer.playing;
      c.publish();
    },
    next: () => {
      control.current?.pacer.advance();
    },
  };
}
