import { CanceledError, InvalidArgumentError, SemaphoreOverflowError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { checkInteger, deadlineFor, describe, remainingMs } from './validate.js';
import { asyncOptions, enqueue, holdEventLoop, Kick, releaseOnce, WaitQueue, type AsyncOptions, type Waiter } from './wait-queue.js';

export interface SemaphoreOptions {
  /** Releasing above the initial permits throws SemaphoreOverflowError (Python's BoundedSemaphore). */
  bounded?: boolean;
  buffer?: SharedArrayBuffer;
  byteOffset?: number;
}

export type SemaphoreHandle = Handle<'Semaphore'>;
export type SemaphoreReleaser = () => void;

type SemaphoreWaiter = Waiter<[number, SemaphoreReleaser]> & { weight: number; peek: boolean };

/*
 * Cells:
 *   0 magic
 *   1 PERMITS   free permits; acquire = CAS(v -> v - weight) when v >= weight; the futex word
 *               sleepers wait on (expected = the value they saw too low)
 *   2 CAPACITY  largest weight that can ever be satisfied: the initial permits (at least 1
 *               unless bounded), raised by setValue; for a bounded semaphore also the ceiling
 *   3 FLAGS     bit 0: bounded
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
  private readonly queue = new WaitQueue<SemaphoreWaiter>();
  private pumping = false;
  private readonly kick = new Kick();

  constructor(permits: number, options: SemaphoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Semaphore: options must be an object (got ${describe(options)})`);
    }
    const attached = (options as { [ATTACH_SEMAPHORE]?: Int32Array })[ATTACH_SEMAPHORE];
    if (attached) {
      this.cells = attached;
    } else {
      checkInteger(permits, 'Semaphore: permits', 0, MAX_PERMITS);
      this.cells = allocate('Semaphore', CELLS, options.buffer, options.byteOffset);
      Atomics.store(this.cells, PERMITS, permits);
      Atomics.store(this.cells, CAPACITY, options.bounded ? permits : Math.max(permits, 1));
      Atomics.store(this.cells, FLAGS, options.bounded ? BOUNDED : 0);
    }
    this.isBounded = (Atomics.load(this.cells, FLAGS) & BOUNDED) !== 0;
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

  /** The largest weight one acquire may ask for. */
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

  /** Returns `weight` permits and wakes waiters that may now proceed. */
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
  }

  /** async-mutex's setValue: sets the free permits (and raises the capacity if needed). */
  setValue(value: number): void {
    const bounded = this.bounded;
    checkInteger(value, 'Semaphore.setValue: value', 0, bounded ? this.capacity : MAX_PERMITS);
    if (value > this.capacity) Atomics.store(this.cells, CAPACITY, value);
    Atomics.store(this.cells, PERMITS, value);
    Atomics.notify(this.cells, PERMITS);
  }

  // --- async API (async-mutex SemaphoreInterface) ----------------------------------------

  /** Resolves with [value before acquiring, releaser] once `weight` permits are held. */
  acquire(weight = 1, priority?: number | AsyncOptions): Promise<[number, SemaphoreReleaser]> {
    // Fast path: nobody queued here and a permit is free: take it without queueing or timers.
    if (weight === 1 && this.queue.length === 0 && (priority === undefined || Number.isFinite(priority))) {
      const free = Atomics.load(this.cells, PERMITS);
      if (free > 0 && Atomics.compareExchange(this.cells, PERMITS, free, free - 1) === free) {
        return Promise.resolve([free, this.makeReleaser(1)]);
      }
    }
    return this.enqueue(weight, priority, false, 'Semaphore.acquire');
  }

  async runExclusive<T>(
    fn: (value: number) => Promise<T> | T,
    weight = 1,
    priority?: number | AsyncOptions,
  ): Promise<T> {
    const [value, release] = await this.acquire(weight, priority);
    try {
      return await fn(value);
    } finally {
      release();
    }
  }

  /** Resolves once `weight` permits are free (without taking them). */
  waitForUnlock(weight = 1, priority?: number | AsyncOptions): Promise<void> {
    return this.enqueue(weight, priority, true, 'Semaphore.waitForUnlock').then(() => undefined);
  }

  /** Rejects every async waiter queued in this thread with CanceledError. */
  cancel(): void {
    this.queue.rejectAll(new CanceledError('Semaphore: request canceled'));
    this.poke();
  }

  // The queue changed: start the pump, or make a sleeping one look again.
  private poke(): void {
    if (this.pumping) this.kick.kick();
    else void this.pump();
  }

  // --- internals ---------------------------------------------------------------------

  // Bad arguments reject the returned promise (they never throw synchronously from an async API).
  private enqueue(
    weight: number,
    priority: number | AsyncOptions | undefined,
    peek: boolean,
    what: string,
  ): Promise<[number, SemaphoreReleaser]> {
    let options: AsyncOptions;
    try {
      this.checkWeight(weight, what);
      options = asyncOptions(priority, what);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = enqueue(this.queue, { weight, peek }, options, what, () => this.poke());
    this.poke();
    return promise;
  }

  private checkWeight(weight: unknown, what: string): void {
    const capacity = this.capacity;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > capacity) {
      throw new InvalidArgumentError(
        `${what}: weight must be an integer from 1 to ${capacity} (the semaphore's capacity) (got ${describe(weight)})`,
      );
    }
  }

  private tryTake(weight: number): boolean {
    let seen = Atomics.load(this.cells, PERMITS);
    while (seen >= weight) {
      const before = Atomics.compareExchange(this.cells, PERMITS, seen, seen - weight);
      if (before === seen) return true;
      seen = before;
    }
    return false;
  }

  private register(weight: number, delta: 1 | -1): void {
    Atomics.add(this.cells, WAITERS, delta);
    if (weight > 1) Atomics.add(this.cells, HEAVY, delta);
  }

  private wake(released: number): void {
    if (Atomics.load(this.cells, WAITERS) === 0) return;
    Atomics.notify(this.cells, PERMITS, Atomics.load(this.cells, HEAVY) > 0 ? Infinity : released);
  }

  // A sleeper woken by a release that it cannot use (it wants more permits than are free)
  // forwards the wake-up, so a sleeper that could use them is not left asleep.
  private passOnIfUnused(weight: number): void {
    const free = Atomics.load(this.cells, PERMITS);
    if (free > 0 && free < weight) Atomics.notify(this.cells, PERMITS, 1);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const letGo = holdEventLoop();
    let owed = false;
    try {
      for (let head = this.queue.head(); head; head = this.queue.head()) {
        const before = Atomics.load(this.cells, PERMITS);
        if (head.peek ? before >= head.weight : this.tryTake(head.weight)) {
          if (!head.peek) owed = false; // a peek takes nothing: the wake-up is still to pass on
          this.queue.shift();
          head.resolve([before, head.peek ? noop : this.makeReleaser(head.weight)]);
          continue;
        }
        if (owed) {
          this.passOnIfUnused(head.weight);
          owed = false;
        }
        const weight = head.weight;
        this.register(weight, 1);
        const seen = Atomics.load(this.cells, PERMITS);
        if (seen >= weight) {
          this.register(weight, -1);
          continue;
        }
        const result = Atomics.waitAsync(this.cells, PERMITS, seen);
        let outcome: Awaited<ReturnType<Kick['race']>> = 'not-equal';
        try {
          if (result.async) outcome = await this.kick.race(result.value);
        } finally {
          this.register(weight, -1);
        }
        if (outcome === 'kicked' && result.async) {
          // Our queue changed: look again; an abandoned waitAsync that a release picks passes it on.
          void result.value.then((r) => r === 'ok' && this.passOnIfUnused(Infinity));
          continue;
        }
        owed = outcome === 'ok';
      }
      if (owed && Atomics.load(this.cells, PERMITS) > 0) Atomics.notify(this.cells, PERMITS, 1);
    } finally {
      this.pumping = false;
      letGo();
    }
  }

  private makeReleaser(weight: number): SemaphoreReleaser {
    return releaseOnce(() => this.release(weight));
  }
}

const ATTACH_SEMAPHORE = Symbol('attach');
const noop = (): void => {};
