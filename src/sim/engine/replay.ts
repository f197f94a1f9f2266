/**
 * Replays a schedule on the real worker threads (driveSchedule drives any run: `run --replay`,
 * the dashboard): step mode holds every agent at its gate
 * before each step; for each move of the schedule we wait until its agent is at its gate with
 * the expected step next, grant exactly that one step, and wait until the step is done (its
 * trace event is in the ring) before granting the next one. Grants accumulate (SharedHost
 * counts them), so never granting ahead is what keeps the order exact.
 *
 * A condition waiter's re-taking of lock 0 happens inside Condition.wait, not at a gate: that
 * move is not granted, only awaited (checkSchedule refuses schedules that would need it forced).
 * When the schedule is used up, step mode is turned off and the run finishes on its own: a
 * complete schedule (every agent finished, or deadlocked) leaves nothing to chance; a prefix
 * lets the rest run free.
 */
import type { SimConfig } from '../model/config.js';
import type { ModelOutcome, Move } from '../explore/machine.js';
import { checkSchedule } from '../explore/schedule.js';
import type { Witness } from '../explore/witness.js';
import type { Report, RunHandle } from './run.js';
import type { StepOp } from '../model/steps.js';
import type { Action, TraceEvent } from './trace.js';

export class ReplayStuck extends Error {
  override name = 'ReplayStuck';
}

/** The trace event each step leaves when it is done. */
const DONE: Partial<Record<StepOp, Action[]>> = {
  read: ['read'],
  write: ['write'],
  cas: ['write', 'retry'],
  add: ['write', 'retry'],
  lock: ['lock'],
  tryLock: ['lock', 'retry'],
  unlock: ['unlock'],
  acquire: ['lock'],
  release: ['unlock'],
  wait: ['wait'],
  notifyAll: ['notify'],
  enter: ['enter'],
  leave: ['leave'],
};

/** Events that end a move: a step done, or a woken waiter re-taking lock 0 (a 'relock' move). */
const STEP_DONE = new Set<Action>([...Object.values(DONE).flat(), 'woke']);

/** What driving a schedule needs from a run (a command's run, a dashboard pane). */
export type Steppable = Pick<RunHandle, 'names' | 'snapshot' | 'events' | 'step'>;

export interface DriveOptions {
  signal?: AbortSignal;
  /** Longest wait for one move (an agent reaching its gate, a step completing). */
  stepTimeoutMs?: number;
  /** Awaited before move i is granted (the dashboard paces its replay with it). */
  beforeMove?: (i: number) => Promise<void>;
  /** Move i is done. */
  onMove?: (i: number) => void;
}

/**
 * Drives a run that is in step mode through checked moves (checkSchedule's), one granted step
 * at a time; returns when the last move is done, with step mode still on. Throws ReplayStuck
 * when a move does not happen in time, when the run finishes early, or when the signal aborts.
 */
export async function driveSchedule(run: Steppable, moves: readonly Move[], options: DriveOptions = {}): Promise<void> {
  const timeout = options.stepTimeoutMs ?? 30_000;
  // The next event's seq, read from the ring (a cursor keeps it cheap).
  let cursor = 0;
  const seq = (): number => {
    const fresh = run.events(cursor);
    if (fresh.length) cursor = fresh[fresh.length - 1]!.seq + 1;
    return cursor;
  };
  const saw = (agent: number, from: number, actions: readonly Action[]): boolean => run.events(from).some((e) => e.agent === agent && actions.includes(e.action));
  const until = async (done: () => boolean, what: string): Promise<void> => {
    const t0 = performance.now();
    while (!done()) {
      if (options.signal?.aborted) throw new ReplayStuck('interrupted');
      if (run.snapshot().status === 'finished' || performance.now() - t0 > timeout) throw new ReplayStuck(what);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const waitedFrom = new Map<number, number>();
  for (const [i, move] of moves.entries()) {
    await options.beforeMove?.(i);
    if (options.signal?.aborted) throw new ReplayStuck('interrupted');
    const a = move.agent;
    const name = run.names[a]!;
    if (move.kind === 'relock') {
      await until(() => saw(a, waitedFrom.get(a) ?? 0, ['woke']), `step ${i + 1}: ${name} never re-took lock 0 after its wait`);
      options.onMove?.(i);
      continue;
    }
    const op = move.step.op;
    await until(
      () => {
        const agent = run.snapshot().agents[a]!;
        return agent.state === 'waiting for step' && agent.nextStep === op;
      },
      `step ${i + 1}: ${name} never reached its '${op}' step`,
    );
    const from = seq();
    run.step(a);
    await until(() => saw(a, from, DONE[op] ?? []), `step ${i + 1}: ${name}'s '${op}' never completed`);
    if (op === 'wait') {
      waitedFrom.set(a, from);
      await until(
        () => {
          const snap = run.snapshot();
          return snap.agents[a]!.state === 'waiting for funds' && snap.lockHolders[0] !== a;
        },
        `step ${i + 1}: ${name} never let go of lock 0 in its wait`,
      );
    }
    options.onMove?.(i);
  }
}

/** The agents whose steps the events record, in order: the schedule a run has taken so far. */
export function scheduleOf(events: readonly TraceEvent[]): number[] {
  return events.filter((e) => STEP_DONE.has(e.action)).map((e) => e.agent);
}

/** A --replay schedule (one agent index per move), checked on the model for one configuration (one pane). */
export interface ReplayPlan {
  config: SimConfig;
  names: string[];
  schedule: number[];
  /** The schedule drives every agent to its end (or to the deadlock). */
  complete: boolean;
  /** The model's run of the schedule: its outcome and explanation (complete schedules only). */
  model: Witness | null;
}

export interface ReplayResult {
  report: Report;
  /** Every agent was driven to its end (or to the deadlock) by the schedule. */
  complete: boolean;
}

/** Drives `sim` (a run opened in no mode yet, not started) through the schedule, then lets it finish. */
export async function replay(sim: RunHandle, schedule: readonly number[], options: DriveOptions = {}): Promise<ReplayResult> {
  const { moves, complete } = checkSchedule(sim.config, schedule, true);
  const onAbort = (): void => void sim.kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  sim.setStepMode(true);
  const finished = sim.run();
  try {
    await driveSchedule(sim, moves, options);
    sim.setStepMode(false);
    return { report: await finished, complete };
  } catch (error) {
    await sim.kill();
    await finished.catch(() => undefined);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The real run ended as the model says: the same balances and the same verdict. */
export function sameOutcome(real: { accounts: readonly { balance: number }[]; violations: readonly { name: string; reason: string }[] }, model: ModelOutcome): boolean {
  return JSON.stringify(real.accounts.map((a) => a.balance)) === JSON.stringify(model.balances) && JSON.stringify(real.violations) === JSON.stringify(model.verdict.violations);
}
