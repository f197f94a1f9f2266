import { ATTACH, LockBase, type MutexOptions } from './mutex.js';
import { attach, type Handle } from './layout.js';
import { OWNER_MASK } from './lock-word.js';
import { SELF } from './thread.js';
import { deadlineFor } from './validate.js';

export type RLockHandle = Handle<'RLock'>;

// Cells: as Mutex (0 magic, 1 lock word, 2 flags), plus 3 recursion depth. Only the holder
// writes the depth, and it does so while holding the word, so plain atomic stores suffice;
// other threads may read it for display.
const WORD = 1;
const DEPTH = 3;

/**
 * A reentrant lock: the thread that holds it may lock it again, and must unlock it as many
 * times before another thread can enter (CPython's threading.RLock, Java's ReentrantLock).
 */
export class RLock extends LockBase<'RLock'> {
  static readonly BYTES: number = 4 * 4;

  /** `new RLock()`, `new RLock({ fair: true, ... })`, or `new RLock(cancelError)` as for Mutex. */
  constructor(options?: MutexOptions | Error) {
    super('RLock', options);
  }

  static from(handle: RLockHandle, options: Pick<MutexOptions, 'onOwnerDied'> = {}): RLock {
    return new RLock({ ...options, [ATTACH]: attach('RLock', handle, 4) } as MutexOptions);
  }

  /** How many times the holder has locked it (0 when free). */
  get depth(): number {
    return this.word.owner() === 0 ? 0 : Atomics.load(this.cells, DEPTH);
  }

  override lock(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs, 'RLock.lock');
    // Fast path: one CAS takes a free lock (a free word carries no DIED flag to report).
    const seen = Atomics.compareExchange(this.cells, WORD, 0, SELF);
    if (seen === 0) {
      this.cells[DEPTH] = 1;
      return true;
    }
    if ((seen & OWNER_MASK) === SELF) return this.nest();
    if (!this.word.lock(deadline)) return false;
    return this.enter();
  }

  override tryLock(): boolean {
    if (this.word.heldBySelf()) return this.nest();
    if (!this.word.tryLock()) return false;
    return this.enter();
  }

  override unlock(): void {
    // Plain reads and writes of DEPTH are enough for its only writer, the holder; the word's
    // CAS on release publishes them to the next holder.
    if ((Atomics.load(this.cells, WORD) & OWNER_MASK) === SELF) {
      const depth = this.cells[DEPTH]!;
      if (depth > 1) {
        this.cells[DEPTH] = depth - 1;
        return;
      }
      this.cells[DEPTH] = 0;
    }
    this.releaseWord(); // the real release, or NotOwnerError for a non-holder
  }

  /** Releases every level at once and returns the depth, for Condition.wait to restore. */
  releaseAll(): number {
    const depth = this.depth;
    Atomics.store(this.cells, DEPTH, 1);
    this.unlock();
    return depth;
  }

  /** Sets the depth after a Condition re-acquired the lock on this thread's behalf. */
  restoreDepth(depth: number): void {
    Atomics.store(this.cells, DEPTH, depth);
  }

  protected override onAsyncAcquired(): void {
    Atomics.store(this.cells, DEPTH, 1);
  }

  private nest(): boolean {
    this.cells[DEPTH] = this.cells[DEPTH]! + 1;
    return true;
  }

  private enter(): boolean {
    Atomics.store(this.cells, DEPTH, 1);
    this.acquired();
    return true;
  }
}
