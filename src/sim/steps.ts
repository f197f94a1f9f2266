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
  /** Not a step: the race window, time between two steps. */
  | { op: 'window' };

export type StepOp = Step['op'];

/** What each step gives back to the program. */
export interface StepResults {
  read: Seen;
  write: void;
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
  window: void;
}

/** A transaction program: yields steps, receives their results, returns the cents it moved. */
export type Program = Generator<Step, number, unknown>;
