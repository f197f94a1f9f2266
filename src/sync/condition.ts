import { threadId } from 'node:worker_threads';
import { clearInterval as realClearInterval, setInterval as realSetInterval } from 'node:timers';
import { InvalidArgumentError, NotOwnerError, OwnerDiedError, WaiterLimitError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { LockBase, Mutex, type MutexHandle } from './mutex.js';
import { RLock, type RLockHandle } from './rlock.js';
import { checkInteger, deadlineFor, describe, remainingMs } from './validate.js';
import type { AsyncOptions } from './dispatch.js';
import { register, SELF, type Recoverable } from './thread.js';

export interface ConditionOptions {
  /**
   * Most threads that can be inside `wait`/`waitAsync` at once, counting a woken waiter until
   * it holds the mutex again (exactly this many; default 128).
   */
  maxWaiters?: number;
  buffer?: SharedArrayBuffer;
  byteOffset?: number;
}

export interface ConditionHandle extends Handle<'Condition'> {
  readonly mutex: MutexHandle | RLockHandle;
}

/*
 * A FIFO queue of waiters in shared memory, in the manner of Java's AbstractQueuedSynchronizer
 * condition queue: every waiter gets a slot of its own to sleep on, so notify(n) wakes exactly
 * the n longest waiters - no thundering herd, and no wake-up "stolen" by a thread that started
 * waiting after the notify (the bug of a condition built on one shared counter).
 *
 * Cells:
 *   0              magic
 *   1 CAPACITY     C = maxWaiters
 *   2 QUEUED       L, the length of the queue
 *   3 CHANGING     token of the mutex holder changing QUEUE right now, 0 if none (below)
 *   4 .. 4+C       QUEUE[0..L): the slot numbers of the queued waiters, oldest first
 *   4+C .. 4+2C    SLOT[s]: FREE (0), or owner<<3 | state. The owner is the waiter's thread
 *                  token (as in lock words), so watchWorker's recovery finds a dead thread's slots.
 *
 * Slot states, and who may change them:
 *   FREE       nobody's. Only a mutex holder takes it (enter: FREE -> WAITING, and queues it).
 *   WAITING    queued; its owner sleeps on it, or is about to.
 *   SIGNALED   a notify chose it and took it out of the queue; its owner frees it in leave().
 *   TIMED_OUT  its owner withdrew it (timeout or abort) without the mutex; still queued, notify
 *              skips it; the owner takes it out of the queue and frees it in leave().
 *   CANCELLED  no owner any more (its thread died, or its re-acquire was canceled); still
 *              queued; the next mutex holder to meet it (notify, or enter when no slot is free)
 *              takes it out and frees it.
 * Invariant: a slot is in QUEUE exactly when it is WAITING, TIMED_OUT or CANCELLED, and at most
 * once. With the mutex held, QUEUE and QUEUED change together with the slot that joins or leaves
 * the queue (FREE -> WAITING in enter, WAITING -> SIGNALED in notify, CANCELLED -> FREE in notify
 * or enter, our own slot -> FREE in leave). Without the mutex there are only these
 * compare-exchanges, none of which moves a slot in or out of the queue:
 *   WAITING(o) -> TIMED_OUT(o)     by o itself, when its deadline passes or its signal aborts
 *   WAITING(o), TIMED_OUT(o) -> CANCELLED, and SIGNALED(o) -> FREE
 *                                  by o when its re-acquire is canceled, or by o's recovery
 * (Freeing a SIGNALED slot without the mutex is safe: it is out of the queue, nobody else writes
 * it, and a FREE slot is written only by the mutex holder.) So the slots in use are the waiters
 * inside wait() plus CANCELLED ones that enter() reclaims when it finds no FREE slot: enter
 * refuses a waiter only when maxWaiters live threads are waiting.
 *
 * Two compare-exchanges decide a timeout racing a notify: notify's WAITING(o) -> SIGNALED(o)
 * and o's WAITING(o) -> TIMED_OUT(o). Exactly one succeeds. If notify's does, the waiter returns
 * true however late it wakes; if the waiter's does, notify skips the slot and wakes the next
 * WAITING waiter instead, so a notify is never spent on a waiter that has timed out while a live
 * one is queued. A waiter sleeps with Atomics.wait(slot, WAITING(o)) after unlocking: a notify
 * that comes between that unlock and that sleep has already stored SIGNALED, so the sleep
 * returns at once - no lost wake-up. A slot is FREE again only once its waiter has left it (or
 * died), so it is never reused under a thread that still looks at it.
 *
 * A thread can be terminated anywhere, also holding the mutex in the middle of a queue change
 * (notify's sweep, enter, leave), which would leave QUEUE naming slots twice or slots that left
 * it. So every such change is bracketed by CHANGING = own token ... 0, as a robust futex's
 * list_op_pending: a mutex holder that finds CHANGING set finds a thread that died in the middle
 * of one, and rebuilds QUEUE from the slots first - the surviving entries in their order, then
 * any queued-state slot missing from it. Queued-state (WAITING, TIMED_OUT, CANCELLED) versus not
 * (FREE, SIGNALED) is the one fact that no compare-exchange without the mutex changes.
 *
 * Two wake-ups are lost: one given to a thread that dies before it holds the mutex again, and
 * one given to an async waiter whose re-acquire is then canceled (the caller gets CanceledError).
 * Neither thread can pass its wake-up on: that needs the mutex.
 */
const CAPACITY = 1;
const QUEUED = 2;
const CHANGING = 3;
const QUEUE = 4;
const FREE = 0;
const WAITING = 1;
const SIGNALED = 2;
const TIMED_OUT = 3;
const CANCELLED = 4;
const STATE_MASK = 7;
const OWNER_SHIFT = 3; // owner tokens have 27 bits (lock-word.ts): 30 bits in all
const stateOf = (value: number): number => value & STATE_MASK;
/** In QUEUE (by the invariant): WAITING, TIMED_OUT or CANCELLED. */
const isQueued = (value: number): boolean => value !== FREE && stateOf(value) !== SIGNALED;
const ownerOf = (value: number): number => value >>> OWNER_SHIFT;
/** The value of a slot in `state` owned by the thread with `token`. */
const slotValue = (state: number, token: number): number => (token << OWNER_SHIFT) | state;
const DEFAULT_MAX_WAITERS = 128;
// ~2000 loads is ~10-15 µs here: long enough to catch a prompt notify, short next to a real wait.
const SPIN_LIMIT = 2000;

/** A condition variable bound to a Mutex or RLock, shared by threads (Python's threading.Condition). */
export class Condition implements Recoverable {
  /** Bytes a Condition with room for `maxWaiters` waiters occupies in a shared buffer. */
  static bytesFor(maxWaiters = DEFAULT_MAX_WAITERS): number {
    return cellsFor(checkCapacity(maxWaiters)) * 4;
  }

  /** The lock this condition is used with; `Condition.from` rebuilds it too. */
  readonly mutex: Mutex | RLock;
  private readonly cells: Int32Array;
  private readonly capacity: number;
  /** Index of SLOT[0] in `cells`. */
  private readonly slots: number;

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
      const capacity = checkCapacity(options.maxWaiters ?? DEFAULT_MAX_WAITERS);
      this.cells = allocate('Condition', cellsFor(capacity), options.buffer, options.byteOffset);
      Atomics.store(this.cells, CAPACITY, capacity);
    }
    this.capacity = Atomics.load(this.cells, CAPACITY);
    this.slots = QUEUE + this.capacity;
    register(this);
  }

  /** A thread died: withdraw its waits (notify would spend wake-ups on them). Not a lock: returns false. */
  recoverFrom(token: number): boolean {
    for (let i = 0; i < this.capacity; i++) this.orphan(this.slots + i, token);
    return false;
  }

  static from(handle: ConditionHandle): Condition {
    const header = attach('Condition', handle, QUEUE);
    const cells = attach('Condition', handle, cellsFor(Atomics.load(header, CAPACITY)));
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

  /** Threads currently waiting to be notified (not yet notified nor timed out; a snapshot for display and tests). */
  get waiting(): number {
    let count = 0;
    for (let i = 0; i < this.capacity; i++) if (stateOf(Atomics.load(this.cells, this.slots + i)) === WAITING) count++;
    return count;
  }

  /**
   * Releases the mutex, sleeps until notified or `timeoutMs` passes, and re-acquires the mutex
   * before returning. True if notified (a notify that wins the race with the timeout counts),
   * false on timeout. The caller must hold the mutex.
   */
  wait(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, 'Condition.wait');
    const { slot, depth } = this.enter('wait');
    let notified = false;
    try {
      // A notify often follows within microseconds (a producer/consumer ping-pong): spin on our
      // own slot briefly before paying for a sleep and a wake-up.
      const mine = slotValue(WAITING, SELF);
      for (let spin = 0; spin < SPIN_LIMIT && Atomics.load(this.cells, slot) === mine; spin++);
      while (Atomics.load(this.cells, slot) === mine) {
        const timeout = remainingMs(deadline);
        if (timeout === 0) {
          this.withdraw(slot);
          break;
        }
        // Sleeps only while our slot still reads WAITING: a notify that already happened
        // (even before we got here) makes this return at once.
        Atomics.wait(this.cells, slot, mine, timeout);
      }
    } finally {
      try {
        this.mutex.lock(); // like Python, re-acquiring has no timeout: wait() returns holding it
      } finally {
        // Even if lock() threw (OwnerDiedError leaves us holding it), give the slot back. Blocked
        // in lock(), this thread ran nothing else: it holds the mutex exactly if lock() took it.
        notified = this.finish(slot, depth, this.mutex.owner === threadId);
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
   * Async wait for the main thread: never blocks the event loop. Resolves true if notified (a
   * notify that wins the race with the timeout or the abort counts), false on timeout or abort,
   * always with the mutex held again by this thread.
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
    const mine = slotValue(WAITING, SELF);
    // A pending Atomics.waitAsync does not keep Node's event loop alive: hold it while we wait
    // (a real interval, out of fake timers' reach), or a main thread with nothing else to do
    // would exit in the middle of the wait.
    const hold = realSetInterval(() => {}, 2 ** 30);
    try {
      while (Atomics.load(this.cells, slot) === mine) {
        const timeout = remainingMs(deadline);
        if (timeout === 0 || signal?.aborted) {
          this.withdraw(slot);
          // An abort leaves our Atomics.waitAsync pending on the slot (it cannot be canceled);
          // untimed, it would stay there, holding memory, until some later notify of the slot.
          // Only waits of this slot's owners ever sleep on it, all over: settle them now.
          if (signal?.aborted) Atomics.notify(this.cells, slot);
          break;
        }
        const result = Atomics.waitAsync(this.cells, slot, mine, timeout);
        if (result.async) await raceAbort(result.value, signal);
        // Were an abandoned waitAsync still queued on the slot, it could not take the wake-up
        // of the slot's next owner either: notify wakes every sleeper on a slot.
      }
    } finally {
      realClearInterval(hold);
      try {
        await this.mutex.acquire();
      } catch (error) {
        // OwnerDiedError: the acquire took the mutex; cancel(): it did not. Not the owner check:
        // ownership is per thread, and another task of this thread may hold the mutex now.
        this.finish(slot, depth, error instanceof OwnerDiedError);
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

  /**
   * Wakes the `n` longest-waiting threads that are still waiting (not timed out); they run once
   * they get the mutex. Caller must hold the mutex.
   */
  notify(n = 1): void {
    checkInteger(n, 'Condition.notify: n', 0, Number.MAX_SAFE_INTEGER);
    this.requireHeld('notify');
    this.beginChange();
    this.sweep(n);
    this.endChange();
  }

  /** Wakes every waiting thread. Caller must hold the mutex. */
  notifyAll(): void {
    this.notify(Number.MAX_SAFE_INTEGER);
  }

  // --- internals (see the state table above) -----------------------------------------

  private requireHeld(what: string): void {
    if (this.mutex.owner === threadId) return;
    throw new NotOwnerError(`Condition.${what}: the calling thread must hold the condition's mutex`);
  }

  // Holding the mutex: take a free slot, queue it, then release the mutex completely.
  private enter(what: string): { slot: number; depth: number } {
    this.requireHeld(what);
    this.beginChange();
    let slot = this.freeSlot();
    if (slot < 0) {
      this.sweep(0); // frees the CANCELLED slots, if any
      slot = this.freeSlot();
    }
    if (slot < 0) {
      this.endChange();
      const threads = this.capacity === 1 ? 'thread is' : 'threads are';
      throw new WaiterLimitError(
        `Condition.${what}: ${this.capacity} ${threads} already waiting, the most its maxWaiters ` + `(${this.capacity}) allows; create the Condition with a larger maxWaiters`,
      );
    }
    // A free slot exists, so by the invariant at most capacity - 1 slots are queued: QUEUE has room.
    const queued = Atomics.load(this.cells, QUEUED);
    if (queued >= this.capacity) throw new Error('sync: inconsistent condition queue (full with a slot free)');
    Atomics.store(this.cells, slot, slotValue(WAITING, SELF));
    Atomics.store(this.cells, QUEUE + queued, slot);
    Atomics.store(this.cells, QUEUED, queued + 1);
    this.endChange();
    if (this.mutex instanceof RLock) return { slot, depth: this.mutex.releaseAll() };
    this.mutex.unlock();
    return { slot, depth: 1 };
  }

  private freeSlot(): number {
    for (let i = 0; i < this.capacity; i++) if (Atomics.load(this.cells, this.slots + i) === FREE) return this.slots + i;
    return -1;
  }

  /*
   * Holding the mutex (so the queue is ours alone): walks the queue oldest first, signals the
   * first `n` WAITING waiters and drops them from it, drops and frees CANCELLED slots on the
   * way, and keeps every other entry in order (TIMED_OUT ones: their owners drop them in leave).
   */
  private sweep(n: number): void {
    const queued = Atomics.load(this.cells, QUEUED);
    let kept = 0;
    for (let i = 0; i < queued; i++) {
      const slot = Atomics.load(this.cells, QUEUE + i);
      if (n > 0 && this.signal(slot)) {
        n--;
      } else if (Atomics.load(this.cells, slot) === CANCELLED) {
        Atomics.store(this.cells, slot, FREE); // nobody looks at it any more: reuse it
      } else {
        Atomics.store(this.cells, QUEUE + kept++, slot);
      }
    }
    Atomics.store(this.cells, QUEUED, kept);
  }

  // WAITING(o) -> SIGNALED(o) and wake its sleeper; false if the slot is not WAITING. A CAS,
  // not a store: its owner may withdraw it (TIMED_OUT) or its recovery cancel it meanwhile.
  private signal(slot: number): boolean {
    for (;;) {
      const value = Atomics.load(this.cells, slot);
      if (stateOf(value) !== WAITING) return false;
      if (Atomics.compareExchange(this.cells, slot, value, slotValue(SIGNALED, ownerOf(value))) === value) {
        Atomics.notify(this.cells, slot); // all sleepers on the slot: see waitAsync
        return true;
      }
    }
  }

  // Our deadline passed (or our signal aborted), without the mutex: WAITING -> TIMED_OUT, so
  // notify skips us. If the CAS fails, a notify won the race: the slot reads SIGNALED and
  // leave() reports it.
  private withdraw(slot: number): void {
    Atomics.compareExchange(this.cells, slot, slotValue(WAITING, SELF), slotValue(TIMED_OUT, SELF));
  }

  // After the re-acquire, whether or not it succeeded: if it took the mutex, leave normally;
  // if not (it was canceled), hand the slot to the next mutex holder to free.
  private finish(slot: number, depth: number, reacquired: boolean): boolean {
    if (reacquired) return this.leave(slot, depth);
    this.orphan(slot, SELF);
    return false;
  }

  // Holding the mutex again: free our slot (taking it out of the queue unless a notify already
  // did). True if a notify chose us.
  private leave(slot: number, depth: number): boolean {
    if (this.mutex instanceof RLock) this.mutex.restoreDepth(depth);
    this.beginChange();
    const value = Atomics.load(this.cells, slot);
    if (value !== slotValue(SIGNALED, SELF)) {
      if (value !== slotValue(WAITING, SELF) && value !== slotValue(TIMED_OUT, SELF)) {
        throw new Error(`sync: inconsistent condition slot (${value} for thread token ${SELF})`);
      }
      this.unqueue(slot);
    }
    Atomics.store(this.cells, slot, FREE);
    this.endChange();
    return value === slotValue(SIGNALED, SELF);
  }

  // Holding the mutex, before changing QUEUE: repair it if a thread died changing it (CHANGING is
  // set only by a mutex holder, and cleared before it lets go), then say that we change it.
  private beginChange(): void {
    if (Atomics.load(this.cells, CHANGING) !== 0) this.rebuildQueue();
    Atomics.store(this.cells, CHANGING, SELF);
  }

  private endChange(): void {
    Atomics.store(this.cells, CHANGING, 0);
  }

  // Holding the mutex: QUEUE as the invariant wants it, from what a dead thread left - its entries
  // of queued-state slots, each once and in their order, then the queued-state slots it lacks.
  // Dying in here leaves CHANGING set, so the next holder starts again.
  private rebuildQueue(): void {
    const queued = Math.min(Math.max(Atomics.load(this.cells, QUEUED), 0), this.capacity);
    const kept = new Uint8Array(this.capacity);
    let length = 0;
    const keep = (slot: number): void => {
      kept[slot - this.slots] = 1;
      Atomics.store(this.cells, QUEUE + length++, slot);
    };
    for (let i = 0; i < queued; i++) {
      const slot = Atomics.load(this.cells, QUEUE + i);
      const inRange = slot >= this.slots && slot < this.slots + this.capacity;
      if (inRange && !kept[slot - this.slots] && isQueued(Atomics.load(this.cells, slot))) keep(slot);
    }
    for (let i = 0; i < this.capacity; i++) {
      if (!kept[i] && isQueued(Atomics.load(this.cells, this.slots + i))) keep(this.slots + i);
    }
    Atomics.store(this.cells, QUEUED, length);
  }

  // Holding the mutex: remove a queued slot, keeping the others in order.
  private unqueue(slot: number): void {
    const queued = Atomics.load(this.cells, QUEUED);
    let i = 0;
    while (i < queued && Atomics.load(this.cells, QUEUE + i) !== slot) i++;
    if (i === queued) throw new Error('sync: inconsistent condition queue (a waiting slot is not queued)');
    for (; i + 1 < queued; i++) Atomics.store(this.cells, QUEUE + i, Atomics.load(this.cells, QUEUE + i + 1));
    Atomics.store(this.cells, QUEUED, queued - 1);
  }

  // Without the mutex, for a waiter that will not come back for its slot (its thread died, or
  // its re-acquire was canceled). A queued slot must stay queued until a mutex holder drops it:
  // mark it CANCELLED. A SIGNALED one is out of the queue already: free it (its wake-up is lost).
  private orphan(slot: number, token: number): void {
    for (;;) {
      const value = Atomics.load(this.cells, slot);
      if (ownerOf(value) !== token) return;
      const next = stateOf(value) === SIGNALED ? FREE : CANCELLED;
      if (Atomics.compareExchange(this.cells, slot, value, next) === value) return;
      // A notify signaled it meanwhile (the only change another thread can make): look again.
    }
  }
}

function checkCapacity(maxWaiters: number): number {
  return checkInteger(maxWaiters, 'Condition: maxWaiters', 1, 1 << 16);
}

function cellsFor(capacity: number): number {
  return QUEUE + 2 * capacity;
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
