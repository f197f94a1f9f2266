import { clearInterval as realClearInterval, setImmediate as realSetImmediate, setInterval as realSetInterval } from 'node:timers';
import { CanceledError, InvalidArgumentError, TimeoutError } from './errors.js';
import { deadlineFor, describe } from './validate.js';

/*
 * The async waiter pump: ONE dispatcher, shared by Mutex, RLock and Semaphore. A Mutex's async
 * side is the one-permit case (as async-mutex builds its Mutex on its Semaphore); the primitive
 * only says how to take, read and sleep on its shared state (`Permits`).
 *
 * In-thread order is async-mutex's: acquirers are served highest priority first, first come
 * first served within a priority, and only the head may take; a newcomer that outranks every
 * queued acquirer takes at once if the value allows. waitForUnlock(weight) waiters resolve once
 * `weight` is free and no queued acquirer has their priority or more.
 *
 * Wake-up hand-over rules (the only place they are written; lock-word.ts and semaphore.ts
 * follow them):
 *   W1 One sleeper per thread and primitive: the head of this thread's queue does not sleep by
 *      itself; the dispatcher arms one Atomics.waitAsync on the shared word when the head cannot
 *      proceed and the word is not held by this thread. It is never abandoned: queue changes
 *      (new waiter, timeout, abort, cancel) are served synchronously, and the armed wait simply
 *      stays armed until a notify or a value change fires it.
 *   W2 Async sleepers are counted in the primitive's FLAGS cell (ASYNC_SLEEPER units) from just
 *      before their waitAsync until it settles. A waker adds that count to the wake-ups it gives:
 *      Mutex unlock notifies 1 + count, Semaphore release `released + count` (all while a heavy
 *      sleeper waits). Atomics.notify wakes in FIFO order and at most `count` sleepers are
 *      async, so a blocking sleeper that could use the change is always among those woken: a
 *      wake-up is never spent only on a thread that may be busy, or dead (its waitAsync never
 *      settles, so its unit stays counted: harmless extra wake-ups, never too few).
 *      A woken async sleeper lets one event-loop turn pass before it competes, so the woken
 *      blocking sleeper, which can do nothing else, usually goes first.
 *   W3 Hence an async sleeper never owes a wake-up it did not use; it looks again, or not at all
 *      when its queue is empty. One exception: fair mode's HANDOFF gives the lock to whoever
 *      was woken, and a woken thread that does not want it passes it on (`Permits.passOn`).
 *   W4 A release in this thread serves this thread's queue at once, synchronously, so waiters
 *      resolve on microtasks alone (no timers, no waitAsync round trip: fake-timer suites work).
 *      The Mutex hands over directly: the word stays this thread's and isLocked() stays true.
 *   W5 A pending waitAsync does not keep Node's event loop alive: the dispatcher holds it (one
 *      real interval, which fake timers cannot touch) exactly while a wait is armed for a
 *      non-empty queue, so a thread whose waiters were all canceled can exit.
 */

/** One async-sleeper unit in a primitive's FLAGS cell (bit 0 is the primitive's own flag). */
export const ASYNC_SLEEPER = 2;

/** How many async sleepers wait on a primitive whose FLAGS cell is `cells[flags]` (W2). */
export function asyncSleepers(cells: Int32Array, flags: number): number {
  return Atomics.load(cells, flags) >>> 1;
}

export interface AsyncOptions {
  /** Higher runs first; equal priorities are served in arrival order. Default 0. */
  priority?: number;
  /** Reject if not granted within this many milliseconds (the waiter leaves the queue). */
  timeoutMs?: number;
  /** What a timeout rejects with; a fresh TimeoutError naming the call by default. */
  timeoutError?: Error;
  /** Reject with CanceledError (and leave the queue) when this signal aborts. */
  signal?: AbortSignal;
}

/** What a primitive's shared state offers the dispatcher. */
export interface Permits<T> {
  /**
   * Takes `weight` now if it can: the value before the take, or null. `woken`: this thread's
   * wait was notified since it last took; `since`: when the head was queued (fair mode).
   */
  take(weight: number, woken: boolean, since: number): number | null;
  /** The value waitForUnlock compares its weight with. */
  value(woken: boolean): number;
  /** What an acquirer resolves with once it holds `weight` (may throw: the waiter rejects). */
  granted(weight: number, before: number): T;
  /** True if only a release by this thread can change the state (a Mutex held here). */
  heldHere(): boolean;
  /** Arms one waitAsync for a change that may let `weight` through (W1, W2); null: look again. */
  sleep(weight: number): Promise<unknown> | null;
  /** A woken thread with nothing to take gives back what notify handed it (W3). */
  passOn(): void;
}

interface Entry {
  readonly weight: number;
  readonly priority: number;
  readonly since: number;
  resolve(before: number): void;
  reject(error: unknown): void;
}

export class Dispatcher<T> {
  private acquirers: Entry[] = [];
  private peekers: Entry[] = [];
  private armed = false; // a waitAsync is pending (W1)
  private woken = false; // it was notified, and nothing has been taken since
  private letGo: (() => void) | null = null;

  constructor(
    private readonly permits: Permits<T>,
    private readonly cancelError: Error,
  ) {}

  /** No waiter queued in this thread (the release fast paths test this). */
  idle = true;

  /** Queues an acquire of `weight` (already validated). Resolves with `permits.granted(...)`. */
  acquire(weight: number, options: AsyncOptions, what: string): Promise<T> {
    const priority = options.priority ?? 0;
    // async-mutex: a newcomer that outranks every queued acquirer takes at once if it can.
    if (!this.acquirers.some((other) => priority <= other.priority) && !options.signal?.aborted) {
      const before = this.permits.take(weight, this.woken, 0);
      if (before !== null) {
        this.woken = false;
        try {
          return Promise.resolve(this.permits.granted(weight, before));
        } catch (error) {
          return Promise.reject(error);
        }
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.enqueue(
        this.acquirers,
        weight,
        options,
        what,
        (before) => {
          try {
            resolve(this.permits.granted(weight, before));
          } catch (error) {
            reject(error);
          }
        },
        reject,
      );
    });
  }

  /** Resolves once `weight` is free, after queued acquirers of this priority or more. */
  waitForUnlock(weight: number, options: AsyncOptions, what: string): Promise<void> {
    const priority = options.priority ?? 0;
    const head = this.acquirers[0];
    if ((!head || head.priority < priority) && weight <= this.permits.value(this.woken) && !options.signal?.aborted) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.enqueue(this.peekers, weight, options, what, () => resolve(), reject);
    });
  }

  /** Rejects every queued acquirer with the cancel error (waitForUnlock waiters stay, as in async-mutex). */
  cancel(): void {
    const canceled = this.acquirers;
    this.acquirers = [];
    for (const entry of canceled) entry.reject(this.cancelError);
    this.dispatch();
  }

  /**
   * W4 for a one-permit primitive held by this thread: if a local acquirer is first in line,
   * it takes the permit over (after waitForUnlock waiters that outrank it see it free for an
   * instant, as in async-mutex) and true is returned; the shared word is left untouched.
   */
  handOver(): boolean {
    const head = this.acquirers[0];
    if (!head) return false;
    this.drainPeekers(1);
    this.acquirers.shift();
    this.updateIdle();
    head.resolve(1);
    return true;
  }

  /** Serves this thread's queue against the shared state; arms a wait if someone must wait. */
  dispatch(): void {
    for (;;) {
      this.drainPeekers(this.permits.value(this.woken));
      const head = this.acquirers[0];
      if (head) {
        const before = this.permits.take(head.weight, this.woken, head.since);
        if (before !== null) {
          this.woken = false;
          this.acquirers.shift();
          head.resolve(before);
          continue;
        }
      }
      this.updateIdle();
      if (this.idle) {
        if (this.woken) this.permits.passOn();
        this.woken = false;
        this.hold(false);
        return;
      }
      if (this.armed) return this.hold(true);
      if (this.permits.heldHere()) return this.hold(false); // a local release will serve us (W4)
      const weight = head ? head.weight : Math.min(...this.peekers.map((p) => p.weight));
      const fired = this.permits.sleep(weight);
      if (fired === null) continue; // the state changed under us: serve again
      this.armed = true;
      this.woken = false;
      this.hold(true);
      void fired.then((outcome) => {
        this.armed = false;
        this.woken = outcome === 'ok';
        // One event-loop turn before competing: a blocking sleeper woken with us (W2) has
        // nothing else to do, this thread has; the turn is a real one (fake timers cannot stall it).
        realSetImmediate(() => this.dispatch());
      });
      return;
    }
  }

  // async-mutex's _drainUnlockWaiters: with `value` free, waitForUnlock waiters whose weight
  // fits resolve, heaviest first - all of them if no acquirer is queued, else only those that
  // outrank the head.
  private drainPeekers(value: number): void {
    if (this.peekers.length === 0 || value <= 0) return;
    const head = this.acquirers[0];
    const due = this.peekers.filter((p) => p.weight <= value && (!head || p.priority > head.priority));
    if (due.length === 0) return;
    this.peekers = this.peekers.filter((p) => !due.includes(p));
    this.updateIdle();
    due.sort((a, b) => b.weight - a.weight); // stable: priority order within a weight
    for (const p of due) p.resolve(value);
  }

  private enqueue(list: Entry[], weight: number, options: AsyncOptions, what: string, onGrant: (before: number) => void, onReject: (error: unknown) => void): void {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) {
      onReject(new CanceledError(`${what}: the signal was already aborted`, { cause: signal.reason }));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const entry: Entry = {
      weight,
      priority: options.priority ?? 0,
      since: performance.now(),
      resolve(before) {
        cleanup();
        onGrant(before);
      },
      reject(error) {
        cleanup();
        onReject(error);
      },
    };
    // Timeout and abort remove this waiter only; the queue is served again (the head may be gone).
    const leave = (error: Error): void => {
      const from = this.acquirers.includes(entry) ? this.acquirers : this.peekers;
      const i = from.indexOf(entry);
      if (i < 0) return; // already served or canceled
      from.splice(i, 1);
      this.updateIdle();
      entry.reject(error);
      this.dispatch();
    };
    function onAbort(): void {
      leave(new CanceledError(`${what}: aborted while waiting`, { cause: signal?.reason }));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      // The global setTimeout on purpose: fake timers drive timeouts, as with async-mutex.
      timer = setTimeout(() => leave(options.timeoutError ?? new TimeoutError(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs);
    }
    // Sorted insert: after every entry of this priority or more (async-mutex's insertSorted).
    let i = list.length;
    while (i > 0 && list[i - 1]!.priority < entry.priority) i--;
    list.splice(i, 0, entry);
    this.idle = false;
    this.dispatch();
  }

  private updateIdle(): void {
    this.idle = this.acquirers.length === 0 && this.peekers.length === 0;
  }

  // W5: a real interval (from node:timers, so fake timers leave it alone) while a wait is armed.
  private hold(on: boolean): void {
    on &&= this.armed && !this.idle;
    if (on && !this.letGo) {
      const timer = realSetInterval(() => {}, 2 ** 30);
      this.letGo = () => realClearInterval(timer);
    } else if (!on && this.letGo) {
      this.letGo();
      this.letGo = null;
    }
  }
}

/** Normalises async-mutex's `priority` argument or our options object; throws on bad input. */
export function asyncOptions(arg: number | AsyncOptions | undefined, what: string): AsyncOptions {
  const options = typeof arg === 'number' ? { priority: arg } : (arg ?? {});
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${what}: expected a priority number or an options object (got ${describe(arg)})`);
  }
  const { priority = 0, signal, timeoutError } = options;
  if (typeof priority !== 'number' || Number.isNaN(priority)) {
    throw new InvalidArgumentError(`${what}: priority must be a number (got ${describe(priority)})`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${what}: signal must be an AbortSignal (got ${describe(signal)})`);
  }
  if (timeoutError !== undefined && !(timeoutError instanceof Error)) {
    throw new InvalidArgumentError(`${what}: timeoutError must be an Error (got ${describe(timeoutError)})`);
  }
  deadlineFor(options.timeoutMs, what); // validates
  return options;
}

/** A releaser that acts only on its first call, as async-mutex's releasers do. */
export function releaseOnce(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}
