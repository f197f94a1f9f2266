import { DeadlockError, NotOwnerError } from './errors.js';
import { SELF, register, type Recoverable } from './thread.js';
import { asyncSleepers } from './dispatch.js';
import { remainingMs } from './validate.js';

/*
 * The lock word: one Int32 cell that is the whole state of a Mutex (and of an RLock's
 * ownership). Modelled on Linux robust futexes (owner TID in the word) and Go's sync.Mutex
 * (state bits beside it, normal and starvation modes):
 *
 *   bits 0-26  OWNER     token (threadId + 1) of the holder; 0 = nobody holds it
 *   bit  27    STARVING  fair mode: a waiter has waited over STARVATION_MS, so unlocks hand the
 *                        lock to the longest sleeper instead of freeing it for anyone to take
 *   bit  28    DIED      the previous holder died holding the lock; kept while the next holder
 *                        holds it (so anyone can see it), cleared by its unlock
 *   bit  29    WAITERS   some thread may be sleeping in Atomics.wait/waitAsync on this word, so
 *                        the unlocker must Atomics.notify. Set by a waiter before it sleeps;
 *                        cleared only by an unlock, which then wakes one blocking sleeper plus
 *                        one per async sleeper (rule W2 in dispatch.ts: a wake-up is never
 *                        spent only on a thread that may be busy or dead)
 *   bit  30    HANDOFF   the unlocker passed the lock to the first sleeper: OWNER is 0, but only
 *                        a thread woken by notify may take it
 *
 * States:  0                        free, uncontended (the only state the fast path accepts)
 *          T                        held by T, nobody waiting: unlock is one CAS T -> 0
 *          T|WAITERS                held, maybe sleepers: unlock frees the word, wakes one
 *          T|WAITERS|STARVING       held in starvation mode: unlock hands off (FIFO)
 *          HANDOFF|STARVING|WAITERS between that unlock and the woken sleeper taking it
 *          DIED[|WAITERS]           free; the previous holder died: the next taker learns it
 *
 * Fast paths: lock = CAS(0 -> SELF); unlock = CAS(SELF -> 0), which also proves ownership.
 * Everything else is the slow paths below. Sleeping is safe because a thread sleeps only if the
 * word still equals the value it last saw, with WAITERS set, and every change that lets a
 * sleeper proceed (unlock, hand-off, recovery) is followed by Atomics.notify. Atomics.notify
 * wakes sleepers in FIFO order, sync (Atomics.wait) and async (Atomics.waitAsync) alike, which is
 * what makes a hand-off go to the longest sleepers; any of the woken may take it.
 * Impossible states (a HANDOFF word that names an owner) throw instead of hanging.
 *
 * Barging (default) never enters starvation mode. Fair mode is Go's design: normally a woken
 * sleeper competes with running threads (fast); once one has waited STARVATION_MS and lost
 * again, the lock switches to FIFO hand-off until a sleeper gets it within STARVATION_MS or
 * nobody is left asleep. No thread can be overtaken forever.
 */
export const OWNER_MASK = 0x07ff_ffff;
export const STARVING = 1 << 27;
export const DIED = 1 << 28;
export const WAITERS = 1 << 29;
export const HANDOFF = 1 << 30;
export const STARVATION_MS = 1;

// Bounded optimistic spin before sleeping: a critical section on another core often ends within
// a few hundred nanoseconds, far less than a futex sleep and wake. Go spins 4 x 30 PAUSE; JS
// has no PAUSE, so we re-read the word a little longer. No spinning in starvation mode.
const SPIN_LIMIT = 64;

/** Free: nobody holds it and no hand-off is pending (DIED and WAITERS may be set). */
export const isFree = (w: number): boolean => (w & (OWNER_MASK | HANDOFF)) === 0;
/** Handed to the woken sleepers: only a thread woken by notify may take it. */
export const isHandoff = (w: number): boolean => (w & HANDOFF) !== 0;
/** In starvation mode: unlocks hand off FIFO; nobody spins or barges. */
export const isStarving = (w: number): boolean => (w & STARVING) !== 0;
export const hasWaiters = (w: number): boolean => (w & WAITERS) !== 0;

export class LockWord implements Recoverable {
  constructor(
    readonly cells: Int32Array,
    readonly index: number,
    readonly fair: boolean,
    /** The FLAGS cell that counts async sleepers (dispatch.ts, W2). */
    readonly flags: number,
  ) {
    register(this);
  }

  /** Wake-ups an unlock gives: one blocking sleeper plus every async one (W2). */
  private wakeCount(): number {
    return 1 + asyncSleepers(this.cells, this.flags);
  }

  /** Starvation mode is on (fair locks only): a local hand-over would be barging. */
  starving(): boolean {
    return isStarving(Atomics.load(this.cells, this.index));
  }

  /** Owner token of the current holder, 0 if none. */
  owner(): number {
    return Atomics.load(this.cells, this.index) & OWNER_MASK;
  }

  /** Held by some thread, or being handed to a waiter. */
  isLocked(): boolean {
    return (Atomics.load(this.cells, this.index) & (OWNER_MASK | HANDOFF)) !== 0;
  }

  /** The lock is being handed to a woken sleeper (fair mode's starvation hand-off). */
  handoffPending(): boolean {
    return (Atomics.load(this.cells, this.index) & HANDOFF) !== 0;
  }

  heldBySelf(): boolean {
    return this.owner() === SELF;
  }

  /** The current hold was taken over from a thread that died holding the lock. */
  ownerDied(): boolean {
    const w = Atomics.load(this.cells, this.index);
    return (w & DIED) !== 0 && (w & OWNER_MASK) !== 0;
  }

  /**
   * Takes the lock if it is free right now (not if it is being handed off). Never blocks. A
   * caller that was woken by notify passes `woken`: it sets WAITERS, since other sleepers may
   * remain and its unlock must wake the next one (the wake-up it got was theirs to pass on).
   */
  tryLock(woken = false): boolean {
    const mine = woken ? SELF | WAITERS : SELF;
    let w = Atomics.compareExchange(this.cells, this.index, 0, mine);
    if (w === 0) return true;
    // Free but flagged (DIED, or WAITERS left by a waiter that timed out): keep the flags.
    // A free word never carries STARVING or HANDOFF.
    while ((w & (OWNER_MASK | HANDOFF)) === 0) {
      const seen = Atomics.compareExchange(this.cells, this.index, w, w | mine);
      if (seen === w) return true;
      w = seen;
    }
    return false;
  }

  /**
   * Takes a hand-off; only for a thread that was woken by notify (the hand-off is its). It keeps
   * starvation mode on only if it starved itself (`starved`), as Go does.
   */
  takeHandoff(starved: boolean): boolean {
    let w = Atomics.load(this.cells, this.index);
    while ((w & HANDOFF) !== 0) {
      // WAITERS stays set: the thread woken for us may not have been the last one asleep.
      const next = SELF | WAITERS | (w & DIED) | (starved ? STARVING : 0);
      const seen = Atomics.compareExchange(this.cells, this.index, w, next);
      if (seen === w) return true;
      w = seen;
    }
    return false;
  }

  /** Fair mode: a woken waiter that has waited too long switches the lock to hand-offs. */
  markStarving(): void {
    const w = Atomics.load(this.cells, this.index);
    if (this.fair && (w & OWNER_MASK) !== 0 && (w & STARVING) === 0) {
      Atomics.compareExchange(this.cells, this.index, w, w | STARVING | WAITERS);
    }
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
    for (let spin = 0; spin < SPIN_LIMIT; spin++) {
      const w = Atomics.load(this.cells, this.index);
      if ((w & (STARVING | HANDOFF)) !== 0) break;
      if ((w & OWNER_MASK) === 0 && this.tryLock()) return true;
    }
    let woken = false;
    let since = 0; // when we first slept (read only in fair mode: performance.now() is not free)
    for (;;) {
      const w = Atomics.load(this.cells, this.index);
      if ((w & HANDOFF) !== 0) {
        if (woken && this.takeHandoff(performance.now() - since >= STARVATION_MS)) return true;
      } else if ((w & OWNER_MASK) === 0) {
        // Free: take it. A thread that has slept sets WAITERS: it cannot know whether other
        // sleepers remain, so its unlock must wake the next one.
        if (Atomics.compareExchange(this.cells, this.index, w, w | SELF | (woken ? WAITERS : 0)) === w) return true;
        continue;
      } else if (woken && this.fair && performance.now() - since >= STARVATION_MS) {
        this.markStarving(); // woken, yet overtaken again after a long wait
      }
      const expected = this.prepareToWait();
      if (expected === null) continue; // the word changed under us: look again
      const timeout = remainingMs(deadline);
      if (timeout === 0) return false;
      if (this.fair && since === 0) since = performance.now();
      // Sleeps only if the word still equals `expected` (with WAITERS set, so the holder's
      // unlock will notify): a wake-up between our read and the sleep cannot be lost.
      woken = Atomics.wait(this.cells, this.index, expected, timeout) === 'ok';
    }
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
    for (;;) {
      const w = Atomics.load(this.cells, this.index);
      const owner = w & OWNER_MASK;
      if (owner !== SELF) {
        throw new NotOwnerError(owner === 0 ? `${what}.unlock: the lock is not held` : `${what}.unlock: the lock is held by thread ${owner - 1}, not by this thread (${SELF - 1})`);
      }
      if (this.releaseFrom(w, 0, true)) return;
    }
  }

  /**
   * Releases the held word `w` (held by this thread, or by a dead one during recovery), leaving
   * `flags` (DIED or 0) for the next holder. False if the word changed under us: retry.
   */
  private releaseFrom(w: number, flags: number, byHolder: boolean): boolean {
    if ((w & STARVING) === 0) {
      // Normal mode: free the word; if anyone sleeps, wake exactly one to compete for it. The
      // holder may use one unconditional exchange (nobody else changes OWNER while it holds;
      // sleepers only add bits, which the exchange returns); a recoverer must CAS, since two
      // may race (the dying thread's exit hook and watchWorker).
      const before = byHolder ? Atomics.exchange(this.cells, this.index, flags) : Atomics.compareExchange(this.cells, this.index, w, flags);
      if (!byHolder && before !== w) return false;
      if (hasWaiters(before)) Atomics.notify(this.cells, this.index, this.wakeCount());
      return true;
    }
    // Starvation mode: hand the lock to the longest sleeper; newcomers cannot take it meanwhile.
    if (Atomics.compareExchange(this.cells, this.index, w, HANDOFF | STARVING | WAITERS | flags) !== w) return false;
    if (Atomics.notify(this.cells, this.index, this.wakeCount()) === 0) this.cancelHandoff();
    return true;
  }

  // Nobody was asleep to take the hand-off (its sleepers timed out): starvation is over. Free
  // the word; a thread that queued on the HANDOFF value meanwhile would sleep on a value that no
  // longer exists, so wake one to look again.
  private cancelHandoff(): void {
    let w = Atomics.load(this.cells, this.index);
    while ((w & HANDOFF) !== 0) {
      const seen = Atomics.compareExchange(this.cells, this.index, w, w & DIED);
      if (seen === w) {
        Atomics.notify(this.cells, this.index, this.wakeCount());
        return;
      }
      w = seen;
    }
  }

  /**
   * W3's one exception: a woken async waiter that no longer wants the lock must not keep a
   * fair-mode hand-off (it was given to the woken): take it and release it, which hands it on.
   * Any other wake-up needs no passing on: the unlocker woke a blocking sleeper too (W2).
   */
  passOn(): void {
    let w = Atomics.load(this.cells, this.index);
    while (isHandoff(w)) {
      if ((w & OWNER_MASK) !== 0) throw new Error('sync: inconsistent lock word (a hand-off with an owner)');
      if (this.takeHandoff(true)) {
        for (;;) if (this.releaseFrom(Atomics.load(this.cells, this.index), w & DIED, true)) return;
      }
      w = Atomics.load(this.cells, this.index);
    }
  }

  recoverFrom(token: number): boolean {
    // The dead thread may have been the one woken for a pending hand-off, which nobody else
    // may take: end it (a live woken thread then finds the word free and takes it anyway).
    if (this.handoffPending()) this.cancelHandoff();
    for (;;) {
      const w = Atomics.load(this.cells, this.index);
      if ((w & OWNER_MASK) !== token) return false;
      if (this.releaseFrom(w, DIED, false)) return true;
    }
  }

  /** Clears the DIED flag of the current hold (the holder repaired what the dead owner left). */
  clearOwnerDied(): void {
    Atomics.and(this.cells, this.index, ~DIED);
  }
}
