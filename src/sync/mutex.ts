import { CanceledError, InvalidArgumentError, NotOwnerError, OwnerDiedError, TimeoutError } from './errors.js';
import { allocate, attach, type Handle } from './layout.js';
import { LockWord, STARVATION_MS } from './lock-word.js';
import { deadlineFor, describe } from './validate.js';
import { asyncOptions, enqueue, holdEventLoop, Kick, releaseOnce, WaitQueue, type AsyncOptions, type Waiter } from './wait-queue.js';

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
}

export type MutexHandle = Handle<'Mutex'>;
export type Releaser = () => void;

type MutexWaiter = Waiter<Releaser> & { peek: boolean; since: number };

// Cells: 0 magic, 1 lock word (see lock-word.ts), 2 flags (bit 0: fair), then subclass cells.
const WORD = 1;
const FLAGS = 2;
const FAIR = 1;

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
  private readonly queue = new WaitQueue<MutexWaiter>();
  private pumping = false;
  private readonly kick = new Kick();

  protected constructor(kind: K, options: MutexOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${kind}: options must be an object (got ${describe(options)})`);
    }
    const cells = kind === 'Mutex' ? 3 : 4;
    const attached = (options as { [ATTACH]?: Int32Array })[ATTACH];
    this.kind = kind;
    this.cells = attached ?? allocate(kind, cells, options.buffer, options.byteOffset);
    if (!attached && options.fair) Atomics.store(this.cells, FLAGS, FAIR);
    const fair = (Atomics.load(this.cells, FLAGS) & FAIR) !== 0;
    this.word = new LockWord(this.cells, WORD, fair);
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
    this.word.unlock(this.kind);
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
    // Fast path: nobody queued here and the lock is free: take it without queueing, timers or
    // the pump (a plain priority number needs no validation beyond being finite).
    if (this.queue.length === 0 && (priority === undefined || Number.isFinite(priority)) && this.word.tryLock()) {
      return this.granted();
    }
    return this.enqueue(priority, false, 'acquire');
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

  /** Resolves when the lock is free (without taking it), after higher-priority waiters here. */
  waitForUnlock(priority?: number | AsyncOptions): Promise<void> {
    return this.enqueue(priority, true, 'waitForUnlock').then(() => undefined);
  }

  /** async-mutex's release(): unlock by this thread. */
  release(): void {
    this.unlock();
  }

  /** Rejects every async waiter queued in this thread with CanceledError. A held lock stays held. */
  cancel(): void {
    this.queue.rejectAll(new CanceledError(`${this.kind}: request canceled`));
    this.poke(); // a pump left with an empty queue ends (and lets go of the event loop)
  }

  // --- internals ---------------------------------------------------------------------

  protected acquired(): void {
    if (this.onOwnerDied === 'throw' && this.word.ownerDied()) {
      throw new OwnerDiedError(
        `${this.kind}: the previous holder died holding the lock; this thread now holds it: ` +
          `repair the shared state, call markConsistent() if you wish, then unlock()`,
      );
    }
  }

  protected assertHeld(what: string): void {
    if (!this.word.heldBySelf()) {
      throw new NotOwnerError(`${this.kind}.${what}: the calling thread does not hold the lock`);
    }
  }

  // Bad arguments reject the returned promise (they never throw synchronously from an async API).
  private enqueue(priority: number | AsyncOptions | undefined, peek: boolean, method: string): Promise<Releaser> {
    const what = `${this.kind}.${method}`;
    let options: AsyncOptions;
    try {
      options = asyncOptions(priority, what);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = enqueue(this.queue, { peek, since: performance.now() }, options, what, () => this.poke());
    this.poke();
    return promise;
  }

  private makeReleaser(): Releaser {
    return releaseOnce(() => this.unlock());
  }

  // Serves the local queue head-first. Only the head competes for the shared word; while it
  // cannot have it, one Atomics.waitAsync sleeps on the word (with WAITERS set, so an unlock
  // in any thread wakes it). `owed` records that a notify woke us: in fair mode that means
  // the lock was handed to us, and if nobody here wants it any more it must be passed on.
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const letGo = holdEventLoop();
    let owed = false;
    try {
      for (let head = this.queue.head(); head; head = this.queue.head()) {
        if (head.peek) {
          if (!this.word.isLocked() || (owed && this.word.handoffPending())) {
            this.queue.shift();
            head.resolve(undefined as unknown as Releaser);
            continue;
          }
        } else {
          const starved = performance.now() - head.since >= STARVATION_MS;
          if (this.word.tryLock(owed) || (owed && this.word.takeHandoff(starved))) {
            owed = false;
            this.queue.shift();
            this.grant(head);
            continue;
          }
          if (owed && starved) this.word.markStarving(); // woken, overtaken again: fair mode hands off
        }
        const expected = this.word.prepareToWait();
        if (expected === null) continue;
        const result = Atomics.waitAsync(this.cells, WORD, expected);
        owed = false;
        if (!result.async) continue;
        const outcome = await this.kick.race(result.value);
        if (outcome === 'kicked') {
          // Our queue changed (its head left, or a new waiter came): look again. The abandoned
          // waitAsync stays queued on the word; if a notify picks it, pass that wake-up on.
          void result.value.then((r) => r === 'ok' && this.word.passOn());
          continue;
        }
        owed = outcome === 'ok';
      }
      if (owed) this.word.passOn();
    } finally {
      this.pumping = false;
      letGo();
    }
  }

  // The queue changed: start the pump, or make a sleeping one look again.
  private poke(): void {
    if (this.pumping) this.kick.kick();
    else void this.pump();
  }

  private grant(waiter: MutexWaiter): void {
    this.onAsyncAcquired();
    try {
      this.acquired();
    } catch (error) {
      waiter.reject(error);
      return;
    }
    waiter.resolve(this.makeReleaser());
  }

  // The async fast path's result once the word is ours.
  private granted(): Promise<Releaser> {
    this.onAsyncAcquired();
    try {
      this.acquired();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(this.makeReleaser());
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

  constructor(options: MutexOptions = {}) {
    super('Mutex', options);
  }

  /** Rebuilds, in this thread, the Mutex described by a handle from another thread. */
  static from(handle: MutexHandle, options: Pick<MutexOptions, 'onOwnerDied'> = {}): Mutex {
    return new Mutex({ ...options, [ATTACH]: attach('Mutex', handle, 3) } as MutexOptions);
  }
}

// Private constructor channel for from(): attaches to existing cells instead of allocating.
export const ATTACH = Symbol('attach');
