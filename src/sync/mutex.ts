import { E_CANCELED, InvalidArgumentError, NotOwnerError, OwnerDiedError, TimeoutError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { LockWord, STARVATION_MS } from './lock-word.js';
import { deadlineFor, describe } from './validate.js';
import { ASYNC_SLEEPER, asyncOptions, Dispatcher, releaseOnce, type AsyncOptions, type Permits } from './dispatch.js';

export interface MutexOptions {
  /**
   * FIFO hand-off instead of barging. Barging (default) lets a running thread take a lock
   * that was just released even if others sleep: best throughput, but a waiter can be
   * overtaken again and again. Fair mode hands the lock to the longest-sleeping waiter, so
   * nobody starves, at the cost of a context switch per contended hand-off (see README).
   */
  fair?: boolean;
  /**
   * What an acquirer is told when the previous holder died holding the lock:
   * 'flag' (default) - the acquire succeeds and `ownerDied` reads true during this hold;
   * 'throw' - the acquire succeeds and then throws OwnerDiedError: the caller holds the lock,
   * repairs what the dead holder left half-done and unlocks (pthread's EOWNERDEAD contract).
   */
  onOwnerDied?: 'flag' | 'throw';
  /** Place the lock in this buffer (with other primitives) instead of a fresh one. */
  buffer?: SharedArrayBuffer;
  /** Byte offset in `buffer`, a multiple of 4. */
  byteOffset?: number;
  /** What cancel() rejects this thread's queued acquirers with (async-mutex's constructor argument). */
  cancelError?: Error;
}

export type MutexHandle = Handle<'Mutex'>;
export type Releaser = () => void;

// Cells: 0 magic, 1 lock word (see lock-word.ts), 2 flags (bit 0: fair; bits 1-30 count the
// async sleepers, dispatch.ts W2), then subclass cells.
const WORD = 1;
const FLAGS = 2;
const FAIR = 1; // bit 0 of FLAGS; the rest counts async sleepers

/**
 * The lock shared by Mutex and RLock: its whole state is in a SharedArrayBuffer, so a
 * Mutex rebuilt in a worker with `Mutex.from(handle)` is the same lock.
 *
 * Worker code uses the blocking API (`lock`, `tryLock`, `unlock`, `withLock`); the main
 * thread, whose event loop must never block, uses the async API (`acquire`, `runExclusive`,
 * ...), which is async-mutex's MutexInterface. The holder is a thread: async callers on one
 * thread are ordered by a local queue, as async-mutex orders them.
 */
export class LockBase<K extends 'Mutex' | 'RLock'> {
  protected readonly cells: Int32Array;
  protected readonly word: LockWord;
  private readonly kind: K;
  private readonly onOwnerDied: 'flag' | 'throw';
  private readonly waiters: Dispatcher<Releaser>;

  protected constructor(kind: K, arg: MutexOptions | Error | undefined) {
    // async-mutex's `new Mutex(cancelError)` beside our options object.
    const options: MutexOptions = arg instanceof Error ? { cancelError: arg } : (arg ?? {});
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${kind}: options must be an object or a cancel Error (got ${describe(options)})`);
    }
    if (options.cancelError !== undefined && !(options.cancelError instanceof Error)) {
      throw new InvalidArgumentError(`${kind}: cancelError must be an Error (got ${describe(options.cancelError)})`);
    }
    const cells = kind === 'Mutex' ? 3 : 4;
    const attached = (options as { [ATTACH]?: Int32Array })[ATTACH];
    this.kind = kind;
    this.cells = attached ?? allocate(kind, cells, options.buffer, options.byteOffset);
    if (!attached && options.fair) Atomics.store(this.cells, FLAGS, FAIR);
    const fair = (Atomics.load(this.cells, FLAGS) & FAIR) !== 0;
    this.word = new LockWord(this.cells, WORD, fair, FLAGS);
    this.waiters = new Dispatcher(this.permits(), options.cancelError ?? E_CANCELED);
    const onOwnerDied = options.onOwnerDied ?? 'flag';
    if (onOwnerDied !== 'flag' && onOwnerDied !== 'throw') {
      throw new InvalidArgumentError(`${kind}: onOwnerDied must be 'flag' or 'throw' (got ${describe(onOwnerDied)})`);
    }
    this.onOwnerDied = onOwnerDied;
  }

  /** Structured-cloneable description: post it to a worker and call `from(handle)` there. */
  get handle(): Handle<K> {
    return { kind: this.kind, buffer: this.cells.buffer as SharedArrayBuffer, byteOffset: this.cells.byteOffset };
  }

  get fair(): boolean {
    return this.word.fair;
  }

  /** threadId of the holder, or null when free. */
  get owner(): number | null {
    const token = this.word.owner();
    return token === 0 ? null : token - 1;
  }

  /** True while the current holder holds a lock recovered from a thread that died holding it. */
  get ownerDied(): boolean {
    return this.word.ownerDied();
  }

  /** Forget that the previous owner died (the holder has repaired the shared state). */
  markConsistent(): void {
    this.assertHeld('markConsistent');
    this.word.clearOwnerDied();
  }

  isLocked(): boolean {
    return this.word.isLocked();
  }

  // --- blocking API (worker threads) -------------------------------------------------

  /**
   * Blocks until the lock is acquired (true) or `timeoutMs` passes (false). Throws
   * DeadlockError if this thread already holds it (a Mutex is not reentrant).
   */
  lock(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, `${this.kind}.lock`);
    if (!this.word.lock(deadline)) return false;
    this.acquired();
    return true;
  }

  /** Takes the lock if it is free right now; never blocks. */
  tryLock(): boolean {
    if (!this.word.tryLock()) return false;
    this.acquired();
    return true;
  }

  /** Releases the lock; throws NotOwnerError if this thread does not hold it. */
  unlock(): void {
    this.releaseWord();
  }

  /** The real release of the word (an RLock's outermost unlock). */
  protected releaseWord(): void {
    if (this.waiters.idle) this.word.unlock(this.kind);
    else this.releaseToWaiters();
  }

  /** Runs `fn` holding the lock and releases it however `fn` ends. TimeoutError if not acquired in time. */
  withLock<T>(fn: () => T, timeoutMs?: number): T {
    if (!this.lock(timeoutMs)) {
      throw new TimeoutError(`${this.kind}.withLock: not acquired within ${timeoutMs} ms`);
    }
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  // --- async API (any thread; the main thread must use this one) -----------------------

  /** Resolves with a releaser once this thread holds the lock. async-mutex compatible. */
  acquire(priority?: number | AsyncOptions): Promise<Releaser> {
    // Fast path: nobody queued here and the lock is free: one CAS, no queue, no timers.
    if (this.waiters.idle && (priority === undefined || typeof priority === 'number') && this.word.tryLock()) {
      return this.granted();
    }
    const what = `${this.kind}.acquire`;
    return this.waiters.acquire(1, asyncOptions(priority, what), what);
  }

  /** Runs `fn` holding the lock (acquire, await fn, release however it ends). */
  async runExclusive<T>(fn: () => Promise<T> | T, priority?: number | AsyncOptions): Promise<T> {
    const release = await this.acquire(priority);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Resolves when the lock is free (without taking it), after this thread's acquirers of this priority or more. */
  waitForUnlock(priority?: number | AsyncOptions): Promise<void> {
    const what = `${this.kind}.waitForUnlock`;
    return this.waiters.waitForUnlock(1, asyncOptions(priority, what), what);
  }

  /**
   * async-mutex's release(): a no-op when the lock is free; otherwise unlock by this thread
   * (NotOwnerError if another thread holds it).
   */
  release(): void {
    if (this.word.isLocked()) this.unlock();
  }

  /** Rejects every acquirer queued in this thread with the cancel error (E_CANCELED by default). A held lock stays held. */
  cancel(): void {
    this.waiters.cancel();
  }

  // --- internals ---------------------------------------------------------------------

  protected acquired(): void {
    if (this.onOwnerDied === 'throw' && this.word.ownerDied()) {
      throw new OwnerDiedError(
        `${this.kind}: the previous holder died holding the lock; this thread now holds it: ` + `repair the shared state, call markConsistent() if you wish, then unlock()`,
      );
    }
  }

  protected assertHeld(what: string): void {
    if (!this.word.heldBySelf()) {
      throw new NotOwnerError(`${this.kind}.${what}: the calling thread does not hold the lock`);
    }
  }

  /**
   * The release of a lock this thread's queue waits for (W4 in dispatch.ts): hand it straight
   * to the first local acquirer, the word untouched, unless starvation mode wants it handed to
   * the longest sleeper; otherwise unlock and let the queue compete for it.
   */
  private releaseToWaiters(): void {
    if (this.word.heldBySelf() && !this.word.starving()) {
      this.word.clearOwnerDied(); // as an unlock would: the next holder took it from a live one
      if (this.waiters.handOver()) return;
    }
    this.word.unlock(this.kind);
    this.waiters.dispatch();
  }

  // The lock word as the dispatcher's one permit.
  private permits(): Permits<Releaser> {
    const word = this.word;
    return {
      take: (_weight, woken, since) => {
        if (word.tryLock(woken)) return 1;
        if (!woken) return null;
        const starved = since > 0 && performance.now() - since >= STARVATION_MS;
        if (word.takeHandoff(starved)) return 1;
        if (starved) word.markStarving(); // woken, overtaken again: fair mode hands off
        return null;
      },
      value: (woken) => (!word.isLocked() || (woken && word.handoffPending()) ? 1 : 0),
      granted: () => {
        this.onAsyncAcquired();
        this.acquired();
        return releaseOnce(() => this.unlock());
      },
      heldHere: () => word.heldBySelf(),
      sleep: () => {
        const expected = word.prepareToWait();
        if (expected === null) return null;
        // Counted before the wait is armed: an unlocker that clears WAITERS after this point
        // reads the count (W2); one that cleared it before makes waitAsync return not-equal.
        Atomics.add(this.cells, FLAGS, ASYNC_SLEEPER);
        const result = Atomics.waitAsync(this.cells, WORD, expected);
        if (!result.async) {
          Atomics.sub(this.cells, FLAGS, ASYNC_SLEEPER);
          return null;
        }
        return result.value.then((outcome) => {
          Atomics.sub(this.cells, FLAGS, ASYNC_SLEEPER);
          return outcome;
        });
      },
      passOn: () => word.passOn(),
    };
  }

  // The async fast path's result once the word is ours.
  private granted(): Promise<Releaser> {
    this.onAsyncAcquired();
    try {
      this.acquired();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(releaseOnce(() => this.unlock()));
  }

  /** Subclass hook: bookkeeping right after the async path took the word. */
  protected onAsyncAcquired(): void {}
}

/**
 * A mutual-exclusion lock shared by threads. See LockBase for the API; `new Mutex()` or
 * `new Mutex({ fair: true })`, and `Mutex.from(mutex.handle)` in another thread.
 */
export class Mutex extends LockBase<'Mutex'> {
  /** Bytes a Mutex occupies in a shared buffer. */
  static readonly BYTES: number = 3 * 4;

  /** `new Mutex()`, `new Mutex({ fair: true, ... })`, or async-mutex's `new Mutex(cancelError)`. */
  constructor(options?: MutexOptions | Error) {
    super('Mutex', options);
  }

  /** Rebuilds, in this thread, the Mutex described by a handle from another thread. */
  static from(handle: MutexHandle, options: Pick<MutexOptions, 'onOwnerDied'> = {}): Mutex {
    return new Mutex({ ...options, [ATTACH]: attach('Mutex', handle, 3) } as MutexOptions);
  }
}

// Private constructor channel for from(): attaches to existing cells instead of allocating.
export const ATTACH = Symbol('attach');
