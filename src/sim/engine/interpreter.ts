/**
 * The one interpreter: runs a transaction program (programs.ts) step by step on a store, for
 * one agent. Before every step it passes the run-control gate (pause, step mode, replay);
 * between steps it lets the race window pass; after each step it records what happened as
 * trace events and agent states. Thread agents, async agents and Redis agents all use it;
 * only their store and host differ (a host may answer with promises, a thread host does not).
 */
import { S } from './states.js';
import type { Program, Seen, Step, StepOp, StepResults, WriteResult } from '../model/steps.js';
import { ACT } from './trace.js';

/** Steps that are actions on shared state, in a fixed order (their index is stored for step mode). */
export const STEP_NAMES: readonly StepOp[] = ['read', 'write', 'cas', 'add', 'lock', 'tryLock', 'unlock', 'acquire', 'release', 'wait', 'notifyAll', 'enter', 'leave', 'move'];

/** What the interpreter needs from the agent's surroundings. */
export interface Host {
  /** Run control before a step: returns when the agent may take it (may throw to abandon). */
  gate(step: Step): void | Promise<void>;
  /** Lets the race window (or a back-off) pass. */
  pause(step: Extract<Step, { op: 'window' | 'backoff' }>): void | Promise<void>;
  /** Called at the first window of a transaction: the place where fault injection strikes. */
  midTransaction(): void;
  setState(state: number): void;
  emit(action: number, value?: number, aux?: number, aux2?: number, aux3?: number): void;
}

/** What the interpreter needs from a store. `info` describes the last step (a dead owner's lock). */
export interface Store {
  perform(step: Step): unknown;
  readonly info?: { ownerDied?: boolean };
}

const STATE_DURING: Partial<Record<StepOp, number>> = {
  read: S.reading,
  write: S.writing,
  cas: S.writing,
  add: S.writing,
  move: S.writing,
  enter: S.serving,
  wait: S['waiting for funds'],
};

/**
 * Runs `program` to its end and returns what it returns (the cents it moved). With a store and
 * host that never answer with a promise (thread agents) it runs synchronously, with no
 * microtask per step; the first promise turns the rest of the run asynchronous.
 */
export function interpret(program: Program, store: Store, host: Host): number | Promise<number> {
  return drive(run(program, store, host));
}

/** Runs a generator that yields the promises it must wait for, synchronously until the first. */
function drive(it: Generator<Promise<unknown>, number, unknown>, input?: unknown): number | Promise<number> {
  const next = it.next(input);
  if (next.done) return next.value;
  return next.value.then((value) => drive(it, value));
}

function* run(program: Program, store: Store, host: Host): Generator<Promise<unknown>, number, unknown> {
  let input: unknown;
  let windows = 0;
  for (;;) {
    const next = program.next(input);
    if (next.done) return next.value;
    const step = next.value;
    input = undefined;
    if (step.op === 'window' || step.op === 'backoff') {
      if (step.op === 'window') {
        host.setState(S['in window']);
        if (windows++ === 0) host.midTransaction();
      }
      const paused = host.pause(step);
      if (paused) yield paused;
      continue;
    }
    const gated = host.gate(step);
    if (gated) yield gated;
    const during = STATE_DURING[step.op];
    if (during !== undefined) host.setState(during);
    if (step.op === 'wait') host.emit(ACT.wait, -1, step.amount);
    let result = store.perform(step);
    if (result instanceof Promise) result = yield result;
    record(step, result, store, host);
    input = result;
  }
}

/** The trace events and the agent state after a step. */
function record(step: Step, result: unknown, store: Store, host: Host): void {
  switch (step.op) {
    case 'read': {
      const seen = result as Seen;
      host.emit(ACT.read, seen.value, step.account);
      return;
    }
    case 'write': {
      const w = result as WriteResult;
      if (w.rejected) {
        host.emit(ACT.retry, step.value, step.account);
        return;
      }
      host.emit(ACT.write, step.value, w.overwritten, step.account);
      if (w.stale) host.emit(ACT.lost, step.seen.value, w.overwritten, w.previousWriter, w.erased);
      return;
    }
    case 'cas':
      if (result) host.emit(ACT.write, step.value, step.seen.value, step.account);
      else host.emit(ACT.retry, step.seen.value, step.account);
      return;
    case 'add': {
      const r = result as StepResults['add'];
      if (r.ok) host.emit(ACT.write, r.value, r.value - step.delta, step.account);
      else host.emit(ACT.retry, r.value, step.account);
      return;
    }
    case 'move':
      host.emit(result ? ACT.write : ACT.retry, step.amount, step.from, step.to);
      return;
    case 'lock':
      host.setState(S['holding lock']);
      host.emit(ACT.lock, step.lock, store.info?.ownerDied ? 1 : 0);
      return;
    case 'acquire':
      host.setState(S['holding lock']);
      host.emit(ACT.lock, 0);
      return;
    case 'tryLock':
      if (result) {
        host.setState(S['holding lock']);
        host.emit(ACT.lock, step.lock);
      } else host.emit(ACT.retry, step.lock);
      return;
    case 'unlock':
      host.emit(ACT.unlock, step.lock);
      return;
    case 'release':
      host.emit(ACT.unlock, 0);
      return;
    case 'wait':
      host.setState(S['holding lock']);
      host.emit(ACT.woke);
      return;
    case 'notifyAll':
      host.emit(ACT.notify);
      return;
    case 'enter':
      host.emit(ACT.enter);
      return;
    case 'leave':
      host.emit(ACT.leave);
      return;
  }
}
