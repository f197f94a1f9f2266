import { threadId } from 'node:worker_threads';
import { InvalidArgumentError, NotOwnerError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { LockBase, Mutex, type MutexHandle } from './mutex.js';
import { RLock, type RLockHandle } from './rlock.js';
import { checkInteger, deadlineFor, describe, remainingMs } from './validate.js';
import type { AsyncOptions } from './wait-queue.js';

export interface ConditionOptions {
  buffer?: SharedArrayBuffer;
  byteOffset?: number;
}

export interface ConditionHandle extends Handle<'Condition'> {
  readonly mutex: MutexHandle | RLockHandle;
}

/*
 * Cells:
 *   0 magic
 *   1 SEQ      bumped by every notify; the futex word waiters sleep on. A waiter reads SEQ
 *              *before* it releases the mutex, so a notify that lands between its unlock
 *              and its sleep changes SEQ and the sleep returns at once: no lost wake-up
 *              (a condition that sleeps on a constant cell loses exactly these).
 *   2 WAITERS  threads inside wait(): incremented under the mutex on entry, decremented under
 *              the mutex on exit
 *   3 TOKENS   wake-ups granted by notify and not yet claimed. notify(n) grants
 *              min(n, WAITERS - TOKENS) so it wakes exactly n waiters (or all there are); a
 *              waiter returns true only by claiming a token (CAS), so the count is exact even
 *              when a sleeper and a thread that has not slept yet race for one.
 * Invariant (checked under the mutex): TOKENS <= WAITERS. A waiter that leaves on timeout
 * while a token is still unclaimed takes it (it was notified after all) so none is left over
 * to wake a future waiter spuriously.
 */
const SEQ = 1;
const WAITERS = 2;
const TOKENS = 3;
const CELLS = 4;

/** A condition variable bound to a Mutex or RLock, shared by threads (Python's threading.Condition). */
export class Condition {
  static readonly BYTES: number = CELLS * 4;

  /** The lock this condition is used with; `Condition.from` rebuilds it too. */
  readonly mutex: Mutex | RLock;
  private readonly cells: Int32Array;

  constructor(mutex: Mutex | RLock, options: ConditionOptions = {}) {
    if (!(mutex instanceof LockBase)) {
      throw new InvalidArgumentError(`Condition: expected a Mutex or RLock (got ${describe(mutex)})`);
    }
    const attached = (options as { [ATTACH_CONDITION]?: Int32Array })[ATTACH_CONDITION];
    this.mutex = mutex;
    this.cells = attached ?? allocate('Condition', CELLS, options.buffer, options.byteOffset);
  }

  static from(handle: ConditionHandle): Condition {
    const cells = attach('Condition', handle, CELLS);
    const mutexHandle = handle.mutex;
    const mutex = mutexHandle?.kind === 'RLock' ? RLock.from(mutexHandle) : Mutex.from(mutexHandle as MutexHandle);
    return new Condition(mutex, { [ATTACH_CONDITION]: cells } as ConditionOptions);
  }

  get handle(): ConditionHandle {
    return {
      kind: 'Condition',
      buffer: this.cells.buffer as SharedArrayBuffer,
      byteOffset: this.cells.byteOffset,
      mutex: this.mutex.handle,
    };
  }

  /** Threads currently inside wait()/waitAsync(). */
  get waiting(): number {
    return Atomics.load(this.cells, WAITERS);
  }

  /**
   * Releases the mutex, sleeps until notified or `timeoutMs` passes, and re-acquires the mutex
   * before returning. True if notified, false on timeout. The caller must hold the mutex.
   */
  wait(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, 'Condition.wait');
    const depth = this.enter('wait');
    let notified = false;
    try {
      for (;;) {
        const seq = Atomics.load(this.cells, SEQ); // before claiming: see the header comment
        if (this.claimToken()) {
          notified = true;
          break;
        }
        const timeout = remainingMs(deadline);
        if (timeout === 0) break;
        Atomics.wait(this.cells, SEQ, seq, timeout);
      }
    } finally {
      this.mutex.lock(); // like Python, re-acquiring has no timeout: wait() returns holding it
      notified = this.leave(depth, notified);
    }
    return notified;
  }

  /**
   * Waits until `predicate()` is true (checked with the mutex held, first before any wait, and
   * again after every wake-up, so spurious wake-ups are harmless). Returns the predicate's last
   * value: false only if `timeoutMs` passed first.
   */
  waitFor(predicate: () => boolean, timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, 'Condition.waitFor');
    let result = predicate();
    while (!result) {
      const timeout = remainingMs(deadline);
      if (timeout === 0) break;
      this.wait(timeout);
      result = predicate();
    }
    return result;
  }

  /** Async wait for the main thread: never blocks the event loop. Resolves true if notified. */
  async waitAsync(timeoutMs?: number, options: Pick<AsyncOptions, 'signal'> = {}): Promise<boolean> {
    const deadline = deadlineFor(timeoutMs, 'Condition.waitAsync');
    const { signal } = options;
    const depth = this.enter('waitAsync');
    let notified = false;
    try {
      while (!signal?.aborted) {
        const seq = Atomics.load(this.cells, SEQ);
        if (this.claimToken()) {
          notified = true;
          break;
        }
        const timeout = remainingMs(deadline);
        if (timeout === 0) break;
        const result = Atomics.waitAsync(this.cells, SEQ, seq, timeout);
        if (!result.async) continue;
        const outcome = await raceAbort(result.value, signal);
        if (outcome === 'aborted') {
          // The waitAsync cannot be withdrawn: if a notify picks it later, pass that wake on.
          void result.value.then((r) => {
            if (r === 'ok') Atomics.notify(this.cells, SEQ, 1);
          });
        }
      }
    } finally {
      // Re-acquire before returning, as wait() does; the caller's own releaser (or unlock)
      // releases it again. If that acquire is canceled, still deregister before rethrowing.
      try {
        await this.mutex.acquire();
      } catch (error) {
        Atomics.sub(this.cells, WAITERS, 1);
        throw error;
      }
      notified = this.leave(depth, notified);
    }
    return notified;
  }

  /** Async waitFor for the main thread. */
  async waitForAsync(predicate: () => boolean, timeoutMs?: number, options: Pick<AsyncOptions, 'signal'> = {}): Promise<boolean> {
    const deadline = deadlineFor(timeoutMs, 'Condition.waitForAsync');
    let result = predicate();
    while (!result && !options.signal?.aborted) {
      const timeout = remainingMs(deadline);
      if (timeout === 0) break;
      await this.waitAsync(timeout, options);
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiting threads (they run once they get the mutex). Caller must hold the mutex. */
  notify(n = 1): void {
    checkInteger(n, 'Condition.notify: n', 0, Number.MAX_SAFE_INTEGER);
    this.requireHeld('notify');
    const waiters = Atomics.load(this.cells, WAITERS);
    const unclaimed = Atomics.load(this.cells, TOKENS);
    const grant = Math.min(n, waiters - unclaimed);
    if (grant <= 0) return;
    Atomics.add(this.cells, TOKENS, grant); // tokens first, then SEQ: see the header comment
    Atomics.add(this.cells, SEQ, 1);
    Atomics.notify(this.cells, SEQ, grant);
  }

  /** Wakes every waiting thread. Caller must hold the mutex. */
  notifyAll(): void {
    this.notify(Number.MAX_SAFE_INTEGER);
  }

  // --- internals ---------------------------------------------------------------------

  private requireHeld(what: string): void {
    if (this.mutex.owner === threadId) return;
    throw new NotOwnerError(`Condition.${what}: the calling thread must hold the condition's mutex`);
  }

  // Registers as a waiter and releases the mutex completely; returns the RLock depth to restore.
  private enter(what: string): number {
    this.requireHeld(what);
    Atomics.add(this.cells, WAITERS, 1);
    if (this.mutex instanceof RLock) return this.mutex.releaseAll();
    this.mutex.unlock();
    return 1;
  }

  // With the mutex held again: deregister and restore the invariant TOKENS <= WAITERS.
  // Tokens beyond the remaining waiters were granted while we were still counted: if we did
  // not claim one, one of them was ours (we timed out just as it came), so report true.
  private leave(depth: number, notified: boolean): boolean {
    if (this.mutex instanceof RLock) this.mutex.restoreDepth(depth);
    const remaining = Atomics.sub(this.cells, WAITERS, 1) - 1;
    for (;;) {
      const tokens = Atomics.load(this.cells, TOKENS);
      if (tokens <= remaining) return notified;
      if (Atomics.compareExchange(this.cells, TOKENS, tokens, remaining) === tokens) return true;
    }
  }

  private claimToken(): boolean {
    let tokens = Atomics.load(this.cells, TOKENS);
    while (tokens > 0) {
      const seen = Atomics.compareExchange(this.cells, TOKENS, tokens, tokens - 1);
      if (seen === tokens) return true;
      tokens = seen;
    }
    return false;
  }
}

async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | 'aborted'> {
  if (!signal) return promise;
  return new Promise<T | 'aborted'>((resolve, reject) => {
    const onAbort = (): void => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

const ATTACH_CONDITION = Symbol('attach');
