/**
 * The one watchdog of a run, on every store: it looks at the wait-for graph (agent -> lock it
 * waits for -> agent holding that lock) and at the agents' states, and says when the run can no
 * longer end on its own:
 *
 *   - a deadlock: a cycle in the graph. The graph is read piece by piece (the owner fields of
 *     several locks, or one Redis poll of holders and waiters), so one reading can join two
 *     moments; a cycle counts only once the same cycle is seen on two looks in a row.
 *   - stranded withdrawers: every depositor has ended and every withdrawer still running waits
 *     for funds that will never come. Also only once seen twice in a row (a depositor's last
 *     deposit may be on its way to a waiter that has not woken yet).
 */
import type { Role } from '../model/programs.js';
import { type DeadlockInfo, findDeadlock, type WaitEdge } from '../model/verdict.js';
import type { AgentState } from './states.js';

export interface Look {
  /** The cycle standing now, once seen twice in a row (null: none, or seen once so far). */
  deadlock: DeadlockInfo | null;
  /** Withdrawers wait for money no one will deposit (seen twice in a row). */
  stranded: boolean;
}

const ENDED: readonly AgentState[] = ['done', 'dead'];

export class Watchdog {
  private suspect = '';
  private strandedBefore = false;

  constructor(
    private readonly names: readonly string[],
    private readonly roles: readonly Role[],
  ) {}

  /** One look at the graph and the states. */
  look(waitsFor: ReadonlyMap<number, WaitEdge>, states: readonly AgentState[]): Look {
    const found = findDeadlock(waitsFor, this.names);
    const again = found !== null && found.text === this.suspect;
    this.suspect = found?.text ?? '';
    const strandedNow = found === null && this.withdrawersStranded(states);
    const stranded = strandedNow && this.strandedBefore;
    this.strandedBefore = strandedNow;
    return { deadlock: again ? found : null, stranded };
  }

  private withdrawersStranded(states: readonly AgentState[]): boolean {
    if (!this.roles.includes('withdrawer')) return false;
    const state = (i: number): AgentState => states[i] ?? 'idle';
    const depositorsDone = this.roles.every((role, i) => role === 'withdrawer' || ENDED.includes(state(i)));
    const withdrawersWaiting = this.roles.every((role, i) => role !== 'withdrawer' || ENDED.includes(state(i)) || state(i) === 'waiting for funds');
    return depositorsDone && withdrawersWaiting;
  }
}
