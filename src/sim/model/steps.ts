/**
 * The step model. A transaction is a small program of *steps*; a step is exactly one action on
 * shared state (one read, one write, one lock operation, ...). Programs are generators that
 * yield steps and receive each step's result, so one definition serves every consumer:
 *
 *   - the thread interpreter performs each step on the SharedArrayBuffer store (agent threads),
 *   - the async interpreter performs it on Redis or on one event loop,
 *   - the explorer performs it on a model state and enumerates the orders,
 *   - replay and step mode grant one step at a time.
 *
 * A `window` is not a step: it is the time that passes between two steps (the race window).
 * Interpreters sleep or spin through it; the explorer ignores it.
 */

/** What a read saw: the value, and an opaque version the store uses to spot stale writes. */
export interface Seen {
  value: number;
  /** Number of committed updates reflected in `value` (a store's bookkeeping). */
  version: number;
  /** The store's raw form of what was read, if it has one (the shared-memory word). */
  word?: bigint;
}

export type Step =
  /** Reads an account's balance. `watch`: optimistic read (Redis WATCH) for a later `cas`. */
  | { op: 'read'; account: number; watch?: boolean }
  /** Writes `value` over whatever is there; stale if the balance changed since `seen`. */
  | { op: 'write'; account: number; seen: Seen; value: number }
  /** Writes `value` only if the balance is still what `seen` saw (CAS, WATCH/MULTI/EXEC). */
  | { op: 'cas'; account: number; seen: Seen; value: number }
  /** Atomic add (Atomics.add, INCRBY, a script). With `floor`: only if the result stays >= floor. */
  | { op: 'add'; account: number; delta: number; floor?: number }
  /** Blocks until the lock is taken (never enabled while another agent holds it). */
  | { op: 'lock'; lock: number }
  /** Takes the lock if free; never blocks. */
  | { op: 'tryLock'; lock: number }
  | { op: 'unlock'; lock: number }
  /** Takes a semaphore permit (a teller window), blocking while none is free. */
  | { op: 'acquire' }
  | { op: 'release' }
  /** Condition wait on the funds condition: releases lock 0 and sleeps until notified; holds it again on return. */
  | { op: 'wait'; account: number; amount: number }
  | { op: 'notifyAll' }
  /** A customer reaches / leaves a teller window (the "served at once" counter). */
  | { op: 'enter' }
  | { op: 'leave' }
  /** Moves `amount` between two accounts in one atomic action (a Lua script, MULTI/EXEC); false if `from` is short. */
  | { op: 'move'; from: number; to: number; amount: number }
  /** Not a step: the race window, time between two steps. */
  | { op: 'window' }
  /** Not a step: a pause before trying again (funds poll, or a random back-off after a failed tryLock). */
  | { op: 'backoff'; reason: 'poll' | 'contention' };

/** Steps that are not actions on shared state: time passing between two steps. */
export function isPause(step: Step): step is Extract<Step, { op: 'window' | 'backoff' }> {
  return step.op === 'window' || step.op === 'backoff';
}

/** What a write did: whether it overwrote changes it never read, and how many. */
export interface WriteResult {
  /** The balance it overwrote. */
  overwritten: number;
  /** True when the balance had changed since the read (a stale write). */
  stale: boolean;
  /** Committed updates reflected in the overwritten balance but not in what was read. */
  erased: number;
  /** The agent whose write was overwritten (-1 if none or unknown). */
  previousWriter: number;
  /**
   * The store refused the write (a fencing token older than one it already accepted): nothing
   * was written or committed. The program lets go of its lock and tries the transaction again.
   */
  rejected?: boolean;
}

export type StepOp = Step['op'];

/** What each step gives back to the program. */
export interface StepResults {
  read: Seen;
  write: WriteResult;
  cas: boolean;
  add: { ok: boolean; value: number };
  lock: void;
  tryLock: boolean;
  unlock: void;
  acquire: void;
  release: void;
  wait: void;
  notifyAll: void;
  enter: void;
  leave: void;
  move: boolean;
  window: void;
  backoff: void;
}

/** A transaction program: yields steps, receives their results, returns the cents it moved. */
export type Program = Generator<Step, number, unknown>;
