import { threadId } from 'node:worker_threads';
import { clearInterval as realClearInterval, setInterval as realSetInterval } from 'node:timers';
import { InvalidArgumentError, NotOwnerError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { LockBase, Mutex, type MutexHandle } from './mutex.js';
import { RLock, type RLockHandle } from './rlock.js';
import { checkInteger, deadlineFor, describe, remainingMs } from './validate.js';
import type { AsyncOptions } from './dispatch.js';
import { register, SELF, type Recoverable } from './thread.js';

export interface ConditionOptions {
  /** Most threads that can wait at once (rounded up to a power of two; default 128). */
  maxWaiters?: number;
  buffer?: SharedArrayBuffer;
  byteOffset?: number;
}

export interface ConditionHandle extends Handle<'Condition'> {
  readonly mutex: MutexHandle | RLockHandle;
}

/*
 * A FIFO queue of waiters in shared memory, in the manner of Java's AbstractQueuedSynchronizer
 * condition queue: every waiter gets its own cell to sleep on, so notify(n) wakes exactly the n
 * longest waiters - no thundering herd, and no wake-up "stolen" by a thread that started
 * waiting after the notify (the bug of a condition built on one shared counter).
 *
 * Cells:
 *   0 magic
 *   1 CAPACITY  ring size C, a power of two
 *   2 HEAD      ticket of the oldest queued waiter
 *   3 TAIL      next ticket to hand out; tickets in [HEAD, TAIL) are queued
 *   4..4+C      SLOT[ticket mod C]: FREE, WAITING|owner<<2, SIGNALED or CANCELLED. A waiting
 *               slot names its thread (token as in lock words), so when a thread dies waiting
 *               (worker.terminate() runs none of its code), watchWorker's recovery marks its
 *               slot CANCELLED: notify skips it instead of spending a wake-up on the dead, and
 *               the slot is reused once the queue head passes it.
 *
 * Every change to HEAD, TAIL and the slots happens with the condition's mutex held, except one:
 * a waiter sleeps on its own slot with Atomics.wait(slot, WAITING) after unlocking. A notify
 * that comes between that unlock and that sleep has already stored SIGNALED, so the sleep
 * returns at once: no lost wake-up. A slot is FREE again only when its waiter has left (a
 * signaled waiter frees it; a cancelled one is freed when the queue head passes it), so a
 * slot is never reused under a thread that still looks at it.
 */
const CAPACITY = 1;
const HEAD = 2;
const TAIL = 3;
const SLOTS = 4;
const FREE = 0;
const WAITING = 1;
const SIGNALED = 2;
const CANCELLED = 3;
const STATE = 3; // the low two bits of a slot
const OWNER_SHIFT = 2;
/** The value of a slot WAITING for the thread with `token`. */
const waitingBy = (token: number): number => (token << OWNER_SHIFT) | WAITING;
const isWaiting = (slotValue: number): boolean => (slotValue & STATE) === WAITING;
const DEFAULT_MAX_WAITERS = 128;
// ~2000 loads is ~10-15 µs here: long enough to catch a prompt notify, short next to a real wait.
const SPIN_LIMIT = 2000;

/** A condition variable bound to a Mutex or RLock, shared by threads (Python's threading.Condition). */
export class Condition implements Recoverable {
  /** Bytes a Condition with room for `maxWaiters` waiters occupies in a shared buffer. */
  static bytesFor(maxWaiters = DEFAULT_MAX_WAITERS): number {
    return (SLOTS + ringSize(maxWaiters)) * 4;
  }

  /** The lock this condition is used with; `Condition.from` rebuilds it too. */
  readonly mutex: Mutex | RLock;
  private readonly cells: Int32Array;
  private readonly capacity: number;

  constructor(mutex: Mutex | RLock, options: ConditionOptions = {}) {
    if (!(mutex instanceof LockBase)) {
      throw new InvalidArgumentError(`Condition: expected a Mutex or RLock (got ${describe(mutex)})`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Condition: options must be an object (got ${describe(options)})`);
    }
    this.mutex = mutex;
    const attached = (options as { [ATTACH_CONDITION]?: Int32Array })[ATTACH_CONDITION];
    if (attached) {
      this.cells = attached;
    } else {
      const size = ringSize(options.maxWaiters ?? DEFAULT_MAX_WAITERS);
      this.cells = allocate('Condition', SLOTS + size, options.buffer, options.byteOffset);
      Atomics.store(this.cells, CAPACITY, size);
    }
    this.capacity = Atomics.load(this.cells, CAPACITY);
    register(this);
  }

  /** A thread died: withdraw its waits (notify would spend wake-ups on them). Not a lock: returns false. */
  recoverFrom(token: number): boolean {
    const dead = waitingBy(token);
    for (let i = 0; i < this.capacity; i++) Atomics.compareExchange(this.cells, SLOTS + i, dead, CANCELLED);
    return false;
  }

  static from(handle: ConditionHandle): Condition {
    const header = attach('Condition', handle, SLOTS);
    const cells = attach('Condition', handle, SLOTS + Atomics.load(header, CAPACITY));
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

  /** Threads currently waiting to be notified (a snapshot; for display and tests). */
  get waiting(): number {
    let count = 0;
    for (let i = 0; i < this.capacity; i++) if (isWaiting(Atomics.load(this.cells, SLOTS + i))) count++;
    return count;
  }

  /**
   * Releases the mutex, sleeps until notified or `timeoutMs` passes, and re-acquires the mutex
   * before returning. True if notified, false on timeout. The caller must hold the mutex.
   */
  wait(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, 'Condition.wait');
    const { slot, depth } = this.enter('wait');
    let notified = false;
    try {
      // A notify often follows within microseconds (a producer/consumer ping-pong): spin on our
      // own slot briefly before paying for a sleep and a wake-up.
      const mine = waitingBy(SELF);
      for (let spin = 0; spin < SPIN_LIMIT && Atomics.load(this.cells, slot) === mine; spin++);
      for (;;) {
        // Sleeps only while our slot still reads WAITING: a notify that already happened
        // (even before we got here) makes this return at once.
        Atomics.wait(this.cells, slot, mine, remainingMs(deadline));
        if (Atomics.load(this.cells, slot) === SIGNALED) {
          notified = true;
          break;
        }
        if (remainingMs(deadline) === 0) break;
      }
    } finally {
      try {
        this.mutex.lock(); // like Python, re-acquiring has no timeout: wait() returns holding it
      } finally {
        // Even if lock() threw (OwnerDiedError leaves us holding it), give the slot back.
        notified = this.leave(slot, depth);
      }
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

  /**
   * Async wait for the main thread: never blocks the event loop. Resolves true if notified,
   * false on timeout or abort, always with the mutex held again by this thread.
   */
  async waitAsync(timeoutMs?: number, options: Pick<AsyncOptions, 'signal'> = {}): Promise<boolean> {
    let deadline: number;
    let entered: { slot: number; depth: number };
    try {
      deadline = deadlineFor(timeoutMs, 'Condition.waitAsync');
      entered = this.enter('waitAsync');
    } catch (error) {
      return Promise.reject(error);
    }
    const { slot, depth } = entered;
    const { signal } = options;
    const mine = waitingBy(SELF);
    // A pending Atomics.waitAsync does not keep Node's event loop alive: hold it while we wait
    // (a real interval, out of fake timers' reach), or a main thread with nothing else to do
    // would exit in the middle of the wait.
    const hold = realSetInterval(() => {}, 2 ** 30);
    try {
      while (!signal?.aborted && Atomics.load(this.cells, slot) === mine) {
        const timeout = remainingMs(deadline);
        if (timeout === 0) break;
        const result = Atomics.waitAsync(this.cells, slot, mine, timeout);
        if (result.async) await raceAbort(result.value, signal);
        // An abandoned waitAsync stays queued on the slot; notify wakes every sleeper on a
        // slot, so it can never take the wake-up of the slot's next owner.
      }
    } finally {
      realClearInterval(hold);
      try {
        await this.mutex.acquire();
      } catch (error) {
        // OwnerDiedError: we hold the mutex, leave normally. Anything else (cancel()): we do
        // not; withdraw the slot without it (notify skips a slot it cannot CAS from WAITING).
        if (this.mutex.owner === threadId) this.leave(slot, depth);
        else this.abandon(slot);
        throw error;
      }
    }
    return this.leave(slot, depth);
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

  /** Wakes the `n` longest-waiting threads (they run once they get the mutex). Caller must hold the mutex. */
  notify(n = 1): void {
    checkInteger(n, 'Condition.notify: n', 0, Number.MAX_SAFE_INTEGER);
    this.requireHeld('notify');
    const mask = this.capacity - 1;
    let head = Atomics.load(this.cells, HEAD);
    const tail = Atomics.load(this.cells, TAIL);
    while (n > 0 && head !== tail) {
      const slot = SLOTS + (head & mask);
      head = (head + 1) | 0;
      // CAS, not a store: a waiter whose re-acquire was canceled, and the recovery of a dead
      // waiter, withdraw without the mutex.
      let state = Atomics.load(this.cells, slot);
      if (isWaiting(state) && Atomics.compareExchange(this.cells, slot, state, SIGNALED) === state) {
        Atomics.notify(this.cells, slot); // all sleepers on the slot: see waitAsync
        n--;
        continue;
      }
      state = Atomics.load(this.cells, slot);
      if (state === CANCELLED) Atomics.store(this.cells, slot, FREE); // its waiter has left: reuse the slot
    }
    Atomics.store(this.cells, HEAD, head);
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

  // Holding the mutex: take a ticket and its slot, then release the mutex completely.
  private enter(what: string): { slot: number; depth: number } {
    this.requireHeld(what);
    const mask = this.capacity - 1;
    let head = Atomics.load(this.cells, HEAD);
    const tail = Atomics.load(this.cells, TAIL);
    // Drop cancelled waiters from the front so their slots can be reused.
    while (head !== tail && Atomics.load(this.cells, SLOTS + (head & mask)) === CANCELLED) {
      Atomics.store(this.cells, SLOTS + (head & mask), FREE);
      head = (head + 1) | 0;
    }
    Atomics.store(this.cells, HEAD, head);
    const slot = SLOTS + (tail & mask);
    if (((tail - head) | 0) >= this.capacity || Atomics.load(this.cells, slot) !== FREE) {
      throw new InvalidArgumentError(
        `Condition.${what}: more than ${this.capacity} threads waiting at once (raise maxWaiters)`,
      );
    }
    Atomics.store(this.cells, slot, waitingBy(SELF));
    Atomics.store(this.cells, TAIL, (tail + 1) | 0);
    if (this.mutex instanceof RLock) return { slot, depth: this.mutex.releaseAll() };
    this.mutex.unlock();
    return { slot, depth: 1 };
  }

  // Holding the mutex again: a signaled waiter frees its slot; one that timed out marks it
  // cancelled (notify will skip it). A signal that came while we re-acquired counts.
  private leave(slot: number, depth: number): boolean {
    if (this.mutex instanceof RLock) this.mutex.restoreDepth(depth);
    if (Atomics.load(this.cells, slot) === SIGNALED) {
      Atomics.store(this.cells, slot, FREE);
      return true;
    }
    Atomics.store(this.cells, slot, CANCELLED);
    return false;
  }

  // Leaves without the mutex (its re-acquire was canceled). Still WAITING: mark it CANCELLED
  // for notify to skip and free. Already SIGNALED (notify passed it): free it, and since this
  // waiter will not act on that wake-up, it is lost to it - the caller was canceled.
  private abandon(slot: number): void {
    if (Atomics.compareExchange(this.cells, slot, waitingBy(SELF), CANCELLED) !== waitingBy(SELF)) {
      Atomics.store(this.cells, slot, FREE);
    }
  }
}

function ringSize(maxWaiters: number): number {
  checkInteger(maxWaiters, 'Condition: maxWaiters', 1, 1 << 16);
  let size = 1;
  while (size < maxWaiters) size *= 2;
  return size;
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
