/**
 * The explore command's flags (and run/tui --replay), kept apart from args.ts: the option specs,
 * the small defaults an exhaustive exploration needs, and their parsing.
 */
import type { CommandName } from './options.js';
import type { SimConfig } from '../sim/model/config.js';
import { DEFAULT_MAX_STATES, DEFAULT_TIME_LIMIT_MS } from '../sim/explore/limits.js';

export interface ExploreFlags {
  maxPreemptions: number | null;
  maxStates: number;
  timeLimitMs: number;
  /** run / tui --replay: the schedule, one agent name per step. */
  replay: string | null;
}

/** Small programs for an exhaustive search: every flag given still wins. */
export function exploreDefaults(c: SimConfig): void {
  c.depositors = 2;
  c.ops = 1;
  c.withdrawers = Math.min(c.withdrawers, 1);
  if (c.scenario === 'transfer') c.accounts = 2;
  if (c.scenario === 'tellers') c.permits = 1;
}

/** True when the command takes explore's small defaults (explore, run --replay, tui --replay). */
export function usesExploreDefaults(command: CommandName, v: { replay?: string }): boolean {
  return command === 'explore' || ((command === 'run' || command === 'tui') && v.replay !== undefined);
}

/** What parsing needs from args.ts (passed in: args.ts imports this file). */
export interface ParseTools {
  /** Throws args.ts's UsageError. */
  fail(message: string): never;
  /** "1ms", "2s" -> microseconds (args.ts's duration). */
  duration(flag: string, raw: string, maxUs?: number): number;
}

function whole(t: ParseTools, flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) t.fail(`${flag} must be a whole number from ${min} to ${max.toLocaleString('en-US')} (got '${raw}')`);
  return n;
}

export function parseExploreFlags(
  v: { 'max-preemptions'?: string; 'max-states'?: string; 'time-limit'?: string; replay?: string },
  command: CommandName,
  t: ParseTools,
): ExploreFlags {
  const only = (flag: string, allowed: CommandName): void => {
    if (command !== allowed) t.fail(`${flag} applies to the '${allowed}' command only`);
  };
  if (v['max-preemptions'] !== undefined) only('--max-preemptions', 'explore');
  if (v['max-states'] !== undefined) only('--max-states', 'explore');
  if (v['time-limit'] !== undefined) only('--time-limit', 'explore');
  const timeLimitUs = v['time-limit'] !== undefined ? t.duration('--time-limit', v['time-limit'], 3_600_000_000) : DEFAULT_TIME_LIMIT_MS * 1000;
  if (timeLimitUs < 1000) t.fail(`--time-limit must be at least 1ms (got '${v['time-limit']}')`);
  return {
    maxPreemptions: v['max-preemptions'] !== undefined ? whole(t, '--max-preemptions', v['max-preemptions'], 0, 1000) : null,
    maxStates: v['max-states'] !== undefined ? whole(t, '--max-states', v['max-states'], 1, 1_000_000_000) : DEFAULT_MAX_STATES,
    timeLimitMs: timeLimitUs / 1000,
    replay: v.replay ?? null,
  };
}
