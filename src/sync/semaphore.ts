import { E_CANCELED, InvalidArgumentError, SemaphoreOverflowError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { checkInteger, deadlineFor, describe, remainingMs } from './validate.js';
import { ASYNC_SLEEPER, asyncOptions, asyncSleepers, Dispatcher, releaseOnce, type AsyncOptions, type Permits } from './dispatch.js';

export interface SemaphoreOptions {
  /** Releasing above the initial permits throws SemaphoreOverflowError (Python's BoundedSemaphore). */
  bounded?: boolean;
  buffer?: SharedArrayBuffer;
  byteOffset?: number;
  /** What cancel() rejects this thread's queued acquirers with (async-mutex's constructor argument). */
  cancelError?: Error;
}

export type SemaphoreHandle = Handle<'Semaphore'>;
export type SemaphoreReleaser = () => void;

/*
 * Cells:
 *   0 magic
 *   1 PERMITS   the value: free permits, negative when more were promised than exist (an
 *               unbounded semaphore may start below 0, as in async-mutex); acquire =
 *               CAS(v -> v - weight) when v >= weight; the futex word sleepers wait on
 *               (expected = the value they saw too low)
 *   2 CAPACITY  bounded: the ceiling (initial permits, raised by setValue) and so the largest
 *               weight; unbounded: informative only (a weight up to 2^31-1 queues until
 *               releases or setValue raise the value)
 *   3 FLAGS     bit 0: bounded; bits 1-30 count async sleepers (dispatch.ts, W2)
 *   4 WAITERS   threads sleeping (or about to) on PERMITS; release skips notify when 0
 *   5 HEAVY     of those, how many want more than one permit. With none, release(n) wakes n
 *               sleepers; with some it must wake all, because a sleeper that wants 3 may not
 *               use a single permit that a sleeper wanting 1 could.
 * A sleeper registers in WAITERS before it re-reads PERMITS, and a releaser adds to PERMITS
 * before it reads WAITERS: with sequentially consistent atomics one of them sees the other,
 * so a release can never miss a sleeper.
 */
const PERMITS = 1;
const CAPACITY = 2;
const FLAGS = 3;
const WAITERS = 4;
const HEAVY = 5;
const CELLS = 6;
const BOUNDED = 1;
const MAX_PERMITS = 0x7fff_ffff;

/** A counting semaphore shared by threads (blocking API for workers, async-mutex's SemaphoreInterface for the main thread). */
export class Semaphore {
  static readonly BYTES: number = CELLS * 4;

  private readonly cells: Int32Array;
  private readonly isBounded: boolean; // fixed at creation: cached to keep release cheap
  private readonly waiters: Dispatcher<[number, SemaphoreReleaser]>;

  /** `new Semaphore(n)`, `new Semaphore(n, { bounded, ... })`, or async-mutex's `new Semaphore(n, cancelError)`. */
  constructor(permits: number, arg?: SemaphoreOptions | Error) {
    const options: SemaphoreOptions = arg instanceof Error ? { cancelError: arg } : (arg ?? {});
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Semaphore: options must be an object or a cancel Error (got ${describe(options)})`);
    }
    if (options.cancelError !== undefined && !(options.cancelError instanceof Error)) {
      throw new InvalidArgumentError(`Semaphore: cancelError must be an Error (got ${describe(options.cancelError)})`);
    }
    const attached = (options as { [ATTACH_SEMAPHORE]?: Int32Array })[ATTACH_SEMAPHORE];
    if (attached) {
      this.cells = attached;
    } else {
      // A bounded semaphore's initial value is its ceiling, so it cannot be negative.
      checkInteger(permits, 'Semaphore: permits', options.bounded ? 0 : -MAX_PERMITS, MAX_PERMITS);
      this.cells = allocate('Semaphore', CELLS, options.buffer, options.byteOffset);
      Atomics.store(this.cells, PERMITS, permits);
      Atomics.store(this.cells, CAPACITY, options.bounded ? permits : Math.max(permits, 1));
      Atomics.store(this.cells, FLAGS, options.bounded ? BOUNDED : 0);
    }
    this.isBounded = (Atomics.load(this.cells, FLAGS) & BOUNDED) !== 0;
    this.waiters = new Dispatcher(this.permits(), options.cancelError ?? E_CANCELED);
  }

  static from(handle: SemaphoreHandle): Semaphore {
    return new Semaphore(0, { [ATTACH_SEMAPHORE]: attach('Semaphore', handle, CELLS) } as SemaphoreOptions);
  }

  get handle(): SemaphoreHandle {
    return { kind: 'Semaphore', buffer: this.cells.buffer as SharedArrayBuffer, byteOffset: this.cells.byteOffset };
  }

  get bounded(): boolean {
    return this.isBounded;
  }

  /** Bounded: the ceiling, and the largest weight one acquire may ask for. Unbounded: the largest value set so far. */
  get capacity(): number {
    return Atomics.load(this.cells, CAPACITY);
  }

  /** Free permits now. */
  getValue(): number {
    return Atomics.load(this.cells, PERMITS);
  }

  /** True when no permit is free. */
  isLocked(): boolean {
    return this.getValue() <= 0;
  }

  // --- blocking API ------------------------------------------------------------------

  /** Blocks until `weight` permits are taken together (true) or `timeoutMs` passes (false). */
  acquireSync(weight = 1, timeoutMs?: number): boolean {
    if (weight === 1 && timeoutMs === undefined) {
      // Fast path: one load and one CAS take a free permit (weight 1 always fits the capacity
      // of a semaphore that has a permit free).
      const free = Atomics.load(this.cells, PERMITS);
      if (free > 0 && Atomics.compareExchange(this.cells, PERMITS, free, free - 1) === free) return true;
    }
    this.checkWeight(weight, 'Semaphore.acquireSync');
    const deadline = deadlineFor(timeoutMs, 'Semaphore.acquireSync');
    if (this.tryTake(weight)) return true;
    this.register(weight, 1);
    try {
      for (;;) {
        const seen = Atomics.load(this.cells, PERMITS);
        if (seen >= weight) {
          if (Atomics.compareExchange(this.cells, PERMITS, seen, seen - weight) === seen) return true;
          continue;
        }
        const timeout = remainingMs(deadline);
        if (timeout === 0) return false;
        if (Atomics.wait(this.cells, PERMITS, seen, timeout) === 'ok') this.passOnIfUnused(weight);
      }
    } finally {
      this.register(weight, -1);
    }
  }

  /** Takes `weight` permits if they are free right now; never blocks. */
  tryAcquire(weight = 1): boolean {
    this.checkWeight(weight, 'Semaphore.tryAcquire');
    return this.tryTake(weight);
  }

  /** Returns `weight` permits and wakes waiters that may now proceed (this thread's on microtasks). */
  release(weight = 1): void {
    if (weight !== 1) checkInteger(weight, 'Semaphore.release: weight', 1, MAX_PERMITS);
    const bounded = this.isBounded;
    for (;;) {
      const seen = Atomics.load(this.cells, PERMITS);
      const ceiling = bounded ? Atomics.load(this.cells, CAPACITY) : MAX_PERMITS;
      if (seen + weight > ceiling) {
        throw bounded
          ? new SemaphoreOverflowError(
              `Semaphore.release: releasing ${weight} would raise the bounded semaphore to ${seen + weight}, above its ${ceiling} permits (released more than acquired)`,
            )
          : new InvalidArgumentError(`Semaphore.release: ${seen} + ${weight} permits exceeds ${MAX_PERMITS}`);
      }
      if (Atomics.compareExchange(this.cells, PERMITS, seen, seen + weight) === seen) break;
    }
    this.wake(weight);
    if (!this.waiters.idle) this.waiters.dispatch(); // W4: this thread's waiters, synchronously
  }

  /**
   * async-mutex's setValue: sets the value (negative allowed unless bounded; a bounded
   * semaphore's ceiling is raised if needed) and serves the waiters it lets through.
   */
  setValue(value: number): void {
    const bounded = this.bounded;
    checkInteger(value, 'Semaphore.setValue: value', bounded ? 0 : -MAX_PERMITS, MAX_PERMITS);
    if (value > this.capacity) Atomics.store(this.cells, CAPACITY, value);
    Atomics.store(this.cells, PERMITS, value);
    Atomics.notify(this.cells, PERMITS); // everyone looks again: any of them may fit now
    if (!this.waiters.idle) this.waiters.dispatch();
  }

  // --- async API (async-mutex SemaphoreInterface) ----------------------------------------

  /**
   * Resolves with [value before acquiring, releaser] once `weight` permits are held. A bad
   * weight throws at once (as in async-mutex); a weight above the current value waits.
   */
  acquire(weight = 1, priority?: number | AsyncOptions): Promise<[number, SemaphoreReleaser]> {
    // Fast path: nobody queued here and a permit is free: take it without queueing or timers.
    if (weight === 1 && this.waiters.idle && (priority === undefined || typeof priority === 'number')) {
      const free = Atomics.load(this.cells, PERMITS);
      if (free > 0 && Atomics.compareExchange(this.cells, PERMITS, free, free - 1) === free) {
        return Promise.resolve([free, this.makeReleaser(1)]);
      }
    }
    this.checkWeight(weight, 'Semaphore.acquire');
    return this.waiters.acquire(weight, asyncOptions(priority, 'Semaphore.acquire'), 'Semaphore.acquire');
  }

  async runExclusive<T>(fn: (value: number) => Promise<T> | T, weight = 1, priority?: number | AsyncOptions): Promise<T> {
    const [value, release] = await this.acquire(weight, priority);
    try {
      return await fn(value);
    } finally {
      release();
    }
  }

  /** Resolves once `weight` permits are free (without taking them), after this thread's acquirers of this priority or more. */
  waitForUnlock(weight = 1, priority?: number | AsyncOptions): Promise<void> {
    this.checkWeight(weight, 'Semaphore.waitForUnlock');
    return this.waiters.waitForUnlock(weight, asyncOptions(priority, 'Semaphore.waitForUnlock'), 'Semaphore.waitForUnlock');
  }

  /** Rejects every acquirer queued in this thread with the cancel error (E_CANCELED by default). */
  cancel(): void {
    this.waiters.cancel();
  }

  // --- internals ---------------------------------------------------------------------

  // A bounded semaphore refuses a weight it can never satisfy; an unbounded one queues any.
  private checkWeight(weight: unknown, what: string): void {
    const max = this.isBounded ? this.capacity : MAX_PERMITS;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > max) {
      throw new InvalidArgumentError(`${what}: weight must be an integer from 1 to ${max}${this.isBounded ? " (the bounded semaphore's capacity)" : ''} (got ${describe(weight)})`);
    }
  }

  private tryTake(weight: number): boolean {
    return this.take(weight) !== null;
  }

  /** Takes `weight` permits if free now: the value before, or null. */
  private take(weight: number): number | null {
    let seen = Atomics.load(this.cells, PERMITS);
    while (seen >= weight) {
      const before = Atomics.compareExchange(this.cells, PERMITS, seen, seen - weight);
      if (before === seen) return seen;
      seen = before;
    }
    return null;
  }

  private register(weight: number, delta: 1 | -1): void {
    Atomics.add(this.cells, WAITERS, delta);
    if (weight > 1) Atomics.add(this.cells, HEAVY, delta);
  }

  // W2 (dispatch.ts): `released` blocking sleepers plus every async one; all while a heavy
  // sleeper waits (one that wants 3 cannot use the single permit one wanting 1 could).
  private wake(released: number): void {
    if (Atomics.load(this.cells, WAITERS) === 0) return;
    const count = Atomics.load(this.cells, HEAVY) > 0 ? Infinity : released + asyncSleepers(this.cells, FLAGS);
    Atomics.notify(this.cells, PERMITS, count);
  }

  // A sleeper woken by a release that it cannot use (it wants more permits than are free)
  // forwards the wake-up, so a sleeper that could use them is not left asleep.
  private passOnIfUnused(weight: number): void {
    const free = Atomics.load(this.cells, PERMITS);
    if (free > 0 && free < weight) Atomics.notify(this.cells, PERMITS, 1);
  }

  // The permit count as the dispatcher's shared state.
  private permits(): Permits<[number, SemaphoreReleaser]> {
    return {
      take: (weight) => this.take(weight),
      value: () => Atomics.load(this.cells, PERMITS),
      granted: (weight, before) => [before, this.makeReleaser(weight)],
      heldHere: () => false, // permits have no owner: releases in other threads count too
      sleep: (weight) => {
        // Registered (W2) before the value is re-read; a releaser adds before it reads WAITERS.
        this.register(weight, 1);
        Atomics.add(this.cells, FLAGS, ASYNC_SLEEPER);
        const unregister = (): void => {
          Atomics.sub(this.cells, FLAGS, ASYNC_SLEEPER);
          this.register(weight, -1);
        };
        const seen = Atomics.load(this.cells, PERMITS);
        const result = seen >= weight ? null : Atomics.waitAsync(this.cells, PERMITS, seen);
        if (!result?.async) {
          unregister();
          return null;
        }
        return result.value.then((outcome) => {
          unregister();
          return outcome;
        });
      },
      passOn: () => {}, // W3: releases woke a blocking sleeper as well
    };
  }

  private makeReleaser(weight: number): SemaphoreReleaser {
    return releaseOnce(() => this.release(weight));
  }
}

const ATTACH_SEMAPHORE = Symbol('attach');
