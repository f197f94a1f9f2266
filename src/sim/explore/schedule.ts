/**
 * A schedule given by hand (`--replay A,B,A,B`: one agent name per move), checked against the
 * model before anything runs: every name must be an agent, and every move enabled at its point.
 */
import type { SimConfig } from '../model/config.js';
import { Machine, MODE, type Move } from './machine.js';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** Agent indexes for a comma list of names (case-insensitive). */
export function parseSchedule(text: string, names: readonly string[]): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) throw new ScheduleError('--replay needs agent names, one per step, e.g. A,B,B,A');
  return parts.map((part, i) => {
    const index = names.findIndex((n) => n.toUpperCase() === part.toUpperCase());
    if (index < 0) throw new ScheduleError(`step ${i + 1}: no agent named '${part}'; the agents are ${names.join(', ')}`);
    return index;
  });
}

/**
 * The moves of a schedule, each checked on the model. With `forReplay`, also refuses what real
 * threads cannot be made to do: a woken condition waiter re-takes lock 0 by itself inside
 * Condition.wait (that is not a gated step), so no other agent can be made to take lock 0
 * first, and two woken waiters cannot be ordered.
 */
export function checkSchedule(config: SimConfig, schedule: readonly number[], forReplay = false): { moves: Move[]; complete: boolean } {
  const m = new Machine(config);
  const moves: Move[] = [];
  schedule.forEach((a, i) => {
    const why = m.blocker(a);
    if (why) throw new ScheduleError(`step ${i + 1}: ${why}`);
    const move = m.move(a)!;
    if (forReplay) {
      const takesLock0 = move.kind === 'relock' || ((move.step.op === 'lock' || move.step.op === 'tryLock') && m.lockObject(move.step.lock) === 0);
      const racing = Array.from({ length: m.agents }, (_, b) => b).filter((b) => b !== a && m.mode(b) === MODE.WOKEN && m.holder(0) === -1);
      if (takesLock0 && racing.length > 0) {
        throw new ScheduleError(
          `step ${i + 1}: replay cannot make ${m.names[a]} take lock 0 before ${racing.map((b) => m.names[b]).join(', ')}, which re-take it by themselves after their wait`,
        );
      }
    }
    m.take(a);
    moves.push(move);
  });
  return { moves, complete: m.enabledAgents().length === 0 };
}
