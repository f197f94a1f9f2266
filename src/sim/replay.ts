/**
 * Replays a schedule on the real worker threads: step mode holds every agent at its gate
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
import type { SimConfig } from './config.js';
import { checkSchedule } from './explore/schedule.js';
import { G } from './layout.js';
import { Simulation, type Report } from './simulation.js';
import type { StepOp } from './steps.js';
import type { Action } from './trace.js';

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

export interface ReplayOptions {
  signal?: AbortSignal;
  /** Longest wait for one move (an agent reaching its gate, a step completing). */
  stepTimeoutMs?: number;
}

export interface ReplayResult {
  sim: Simulation;
  report: Report;
  /** Every agent was driven to its end (or to the deadlock) by the schedule. */
  complete: boolean;
}

export async function replay(config: SimConfig, schedule: readonly number[], options: ReplayOptions = {}): Promise<ReplayResult> {
  const { moves, complete } = checkSchedule(config, schedule, true);
  const timeout = options.stepTimeoutMs ?? 30_000;
  const sim = new Simulation(config);
  const onAbort = (): void => void sim.kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  sim.setStepMode(true);
  const finished = sim.run();
  const seq = (): number => sim.shared.g(G.EVENT_NEXT);
  const saw = (agent: number, from: number, actions: readonly Action[]): boolean => sim.events(from).some((e) => e.agent === agent && actions.includes(e.action));
  const until = async (done: () => boolean, what: string): Promise<void> => {
    const t0 = performance.now();
    while (!done()) {
      if (options.signal?.aborted) throw new ReplayStuck('interrupted');
      if (sim.snapshot().status === 'finished' || performance.now() - t0 > timeout) throw new ReplayStuck(what);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const waitedFrom = new Map<number, number>();
  try {
    for (const [i, move] of moves.entries()) {
      const a = move.agent;
      const name = sim.names[a]!;
      if (move.kind === 'relock') {
        await until(() => saw(a, waitedFrom.get(a) ?? 0, ['woke']), `step ${i + 1}: ${name} never re-took lock 0 after its wait`);
        continue;
      }
      const op = move.step.op;
      await until(() => {
        const agent = sim.snapshot().agents[a]!;
        return agent.state === 'waiting for step' && agent.nextStep === op;
      }, `step ${i + 1}: ${name} never reached its '${op}' step`);
      const from = seq();
      sim.step(a);
      await until(() => saw(a, from, DONE[op] ?? []), `step ${i + 1}: ${name}'s '${op}' never completed`);
      if (op === 'wait') {
        waitedFrom.set(a, from);
        await until(() => {
          const snap = sim.snapshot();
          return snap.agents[a]!.state === 'waiting for funds' && snap.lockHolders[0] !== a;
        }, `step ${i + 1}: ${name} never let go of lock 0 in its wait`);
      }
    }
    sim.setStepMode(false);
    return { sim, report: await finished, complete };
  } catch (error) {
    await sim.kill();
    await finished.catch(() => undefined);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
