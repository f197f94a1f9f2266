import { DeadlockError, NotOwnerError } from './errors.js';
import { SELF, register, type Recoverable } from './thread.js';
import { remainingMs } from './validate.js';

/*
 * The lock word: one Int32 cell that is the whole state of a Mutex (and of an RLock's
 * ownership). Modelled on Linux robust futexes (owner TID in the word) and Go's
 * sync.Mutex (state bits next to the owner):
 *
 *   bits 0-27  OWNER    token (threadId + 1) of the holder; 0 = nobody holds it
 *   bit  28    DIED     the previous holder died holding the lock; kept while the next
 *                       holder holds it (so anyone can see it), cleared by its unlock
 *   bit  29    WAITERS  some thread may be sleeping in Atomics.wait/waitAsync on this word,
 *                       so the unlocker must Atomics.notify. Set by a waiter before it
 *                       sleeps; cleared only by an unlock (which then wakes one waiter)
 *   bit  30    HANDOFF  fair mode only: the unlocker passed the lock to the first queued
 *                       waiter; OWNER is 0 but only a thread woken by notify may take it
 *
 * States:  0                    free, uncontended (the only state the fast path accepts)
 *          T                    held by T, nobody waiting: unlock is one CAS T -> 0
 *          T|WAITERS            held by T, maybe waiters: unlock stores 0 and wakes one
 *          HANDOFF[|WAITERS]    fair mode, between an unlock and the woken waiter taking it
 *          DIED[|...]           free, previous holder died: the next taker learns it
 *
 * Fast paths: lock = CAS(0 -> SELF); unlock = CAS(SELF -> 0), which also proves ownership.
 * Anything else drops into the slow paths below. Correctness of sleeping rests on the
 * Atomics.wait contract: a thread sleeps only if the word still equals the value it last
 * saw, and every change that can let a sleeper proceed (unlock, hand-off, recovery) is
 * followed by Atomics.notify whenever WAITERS was set. Atomics.notify wakes waiters in
 * FIFO order, sync (Atomics.wait) and async (Atomics.waitAsync) alike, which is what
 * fair mode builds on.
 */
export const OWNER_MASK = 0x0fff_ffff;
export const DIED = 1 << 28;
export const WAITERS = 1 << 29;
export const HANDOFF = 1 << 30;

// Bounded optimistic spin before sleeping (barging mode only): a critical section on another
// core often ends within a few hundred nanoseconds, far less than the cost of a futex sleep
// and wake. Go spins 4 x 30 PAUSE; JS has no PAUSE, so we re-read the word a little longer.
const SPIN_LIMIT = 64;

export class LockWord implements Recoverable {
  constructor(
    readonly cells: Int32Array,
    readonly index: number,
    readonly fair: boolean,
  ) {
    register(this);
  }

  /** Owner token of the current holder, 0 if none. */
  owner(): number {
    return Atomics.load(this.cells, this.index) & OWNER_MASK;
  }

  /** Held by some thread, or being handed to a waiter. */
  isLocked(): boolean {
    return (Atomics.load(this.cells, this.index) & (OWNER_MASK | HANDOFF)) !== 0;
  }

  heldBySelf(): boolean {
    return this.owner() === SELF;
  }

  /** The current hold was taken over from a thread that died holding the lock. */
  ownerDied(): boolean {
    const w = Atomics.load(this.cells, this.index);
    return (w & DIED) !== 0 && (w & OWNER_MASK) !== 0;
  }

  /** Takes the lock if it is free (not if it is being handed off). Never blocks. */
  tryLock(): boolean {
    let w = Atomics.compareExchange(this.cells, this.index, 0, SELF);
    if (w === 0) return true;
    // Free but flagged (DIED, or WAITERS left by a waiter that timed out): keep the flags.
    while ((w & (OWNER_MASK | HANDOFF)) === 0) {
      const seen = Atomics.compareExchange(this.cells, this.index, w, w | SELF);
      if (seen === w) return true;
      w = seen;
    }
    return false;
  }

  /** Takes a hand-off; only for a thread that was woken by notify (it owns the hand-off). */
  takeHandoff(): boolean {
    let w = Atomics.load(this.cells, this.index);
    while ((w & HANDOFF) !== 0) {
      // Set WAITERS: the thread woken for us may not have been the last one queued.
      const next = SELF | WAITERS | (w & DIED);
      const seen = Atomics.compareExchange(this.cells, this.index, w, next);
      if (seen === w) return true;
      w = seen;
    }
    return false;
  }

  /**
   * Blocking acquire (worker threads; on the main thread it blocks the event loop).
   * Returns false when the deadline (performance.now() clock) passes first.
   */
  lock(deadline: number): boolean {
    if (Atomics.compareExchange(this.cells, this.index, 0, SELF) === 0) return true;
    return this.lockSlow(deadline);
  }

  private lockSlow(deadline: number): boolean {
    if (this.owner() === SELF) {
      throw new DeadlockError('Mutex is already held by this thread and is not reentrant (use RLock to nest)');
    }
    if (!this.fair) {
      for (let spin = 0; spin < SPIN_LIMIT; spin++) {
        if ((Atomics.load(this.cells, this.index) & (OWNER_MASK | HANDOFF)) === 0 && this.tryLock()) return true;
      }
    }
    let woken = false;
    for (;;) {
      if (woken && this.takeHandoff()) return true;
      if (this.tryLockAfterSleep(woken)) return true;
      const expected = this.prepareToWait();
      if (expected === null) continue; // the word changed under us: look again
      const timeout = remainingMs(deadline);
      if (timeout === 0) return false;
      // Sleeps only if the word still equals `expected` (with WAITERS set, so the holder's
      // unlock will notify): a wake-up between our read and the sleep cannot be lost.
      woken = Atomics.wait(this.cells, this.index, expected, timeout) === 'ok';
    }
  }

  // Like tryLock, but a thread that has slept re-sets WAITERS when it takes the lock: it
  // cannot know whether other sleepers remain, so its unlock must wake the next one.
  private tryLockAfterSleep(woken: boolean): boolean {
    if (!woken) return this.tryLock();
    let w = Atomics.load(this.cells, this.index);
    while ((w & (OWNER_MASK | HANDOFF)) === 0) {
      const seen = Atomics.compareExchange(this.cells, this.index, w, w | SELF | WAITERS);
      if (seen === w) return true;
      w = seen;
    }
    return false;
  }

  /**
   * Before sleeping: makes sure WAITERS is set on a held (or handed-off) word and returns the
   * exact value to sleep on; null if the lock turned free or the word changed meanwhile.
   */
  prepareToWait(): number | null {
    const w = Atomics.load(this.cells, this.index);
    if ((w & (OWNER_MASK | HANDOFF)) === 0) return null;
    if ((w & WAITERS) !== 0) return w;
    return Atomics.compareExchange(this.cells, this.index, w, w | WAITERS) === w ? w | WAITERS : null;
  }

  /** Unlock by the holder; throws NotOwnerError (and changes nothing) for anyone else. */
  unlock(what = 'Mutex'): void {
    if (Atomics.compareExchange(this.cells, this.index, SELF, 0) === SELF) return;
    const w = Atomics.load(this.cells, this.index);
    const owner = w & OWNER_MASK;
    if (owner !== SELF) {
      throw new NotOwnerError(
        owner === 0
          ? `${what}.unlock: the lock is not held`
          : `${what}.unlock: the lock is held by thread ${owner - 1}, not by this thread (${SELF - 1})`,
      );
    }
    this.releaseHeld(0);
  }

  /** Releases a word this thread holds (or holds for a dead thread), passing on wake-ups. */
  private releaseHeld(flags: number): void {
    if (!this.fair) {
      // Barging: free the word; if anyone sleeps, wake exactly one to compete for it.
      const before = Atomics.exchange(this.cells, this.index, flags);
      if ((before & WAITERS) !== 0) Atomics.notify(this.cells, this.index, 1);
      return;
    }
    // Fair: with nobody waiting, just free it; else hand it to the first sleeper in FIFO order.
    const w = Atomics.load(this.cells, this.index);
    if ((w & WAITERS) === 0 && Atomics.compareExchange(this.cells, this.index, w, flags) === w) return;
    Atomics.store(this.cells, this.index, HANDOFF | flags);
    if (Atomics.notify(this.cells, this.index, 1) === 1) return;
    this.cancelHandoff();
  }

  // Nobody was asleep to take the hand-off (WAITERS was stale: its setters timed out).
  // Free the word; a thread that queued on the HANDOFF value meanwhile would sleep on a value
  // that no longer exists, so wake one to look again.
  private cancelHandoff(): void {
    let w = Atomics.load(this.cells, this.index);
    while ((w & HANDOFF) !== 0) {
      const seen = Atomics.compareExchange(this.cells, this.index, w, w & DIED);
      if (seen === w) {
        Atomics.notify(this.cells, this.index, 1);
        return;
      }
      w = seen;
    }
  }

  /**
   * An async waiter that was woken but no longer wants the lock (its queue emptied) must not
   * swallow the wake-up meant for someone else: forward it.
   */
  passOn(): void {
    for (;;) {
      const w = Atomics.load(this.cells, this.index);
      if ((w & HANDOFF) !== 0) {
        // We were handed the lock: take it and release it again, which hands it on.
        if (this.takeHandoff()) {
          this.releaseHeld(Atomics.load(this.cells, this.index) & DIED);
          return;
        }
        continue;
      }
      if ((w & OWNER_MASK) === 0) {
        Atomics.notify(this.cells, this.index, 1); // free: let the next sleeper try
        return;
      }
      // Held by someone who may not know there are sleepers: make its unlock notify.
      if ((w & WAITERS) !== 0 || Atomics.compareExchange(this.cells, this.index, w, w | WAITERS) === w) return;
    }
  }

  recoverFrom(token: number): boolean {
    for (;;) {
      const w = Atomics.load(this.cells, this.index);
      if ((w & OWNER_MASK) !== token || (w & HANDOFF) !== 0) return false;
      if (this.fair) {
        // Re-own the word on the dead thread's behalf is not possible (we are not it), so do
        // the release steps on its word directly: the same hand-off as a normal unlock.
        if ((w & WAITERS) === 0) {
          if (Atomics.compareExchange(this.cells, this.index, w, DIED) === w) return true;
          continue;
        }
        if (Atomics.compareExchange(this.cells, this.index, w, HANDOFF | DIED) !== w) continue;
        if (Atomics.notify(this.cells, this.index, 1) === 0) this.cancelHandoff();
        return true;
      }
      if (Atomics.compareExchange(this.cells, this.index, w, DIED) !== w) continue;
      if ((w & WAITERS) !== 0) Atomics.notify(this.cells, this.index, 1);
      return true;
    }
  }

  /** Clears the DIED flag of the current hold (the holder repaired what the dead owner left). */
  clearOwnerDied(): void {
    Atomics.and(this.cells, this.index, ~DIED);
  }
}
