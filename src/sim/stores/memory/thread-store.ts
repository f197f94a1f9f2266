/**
 * The shared-memory store: performs steps on the SharedArrayBuffer with the real bank-sim/sync
 * primitives, for one agent on one worker thread. Blocking steps (lock, acquire, wait) sleep
 * in short slices so that a stop, or an abandoned trial, always gets them out.
 */
import { performance } from 'node:perf_hooks'; // the binding, not the global's lazy getter (layout.ts)
import { Condition, Mutex, RLock, Semaphore, type ConditionHandle, type MutexHandle, type RLockHandle, type SemaphoreHandle } from '../../../sync/index.js';
import type { Strategy } from '../../model/config.js';
import { A, ACCOUNT, addend, balanceOf, CONTROL, G, packWord, S, SLOT, versionOf, type Shared } from './layout.js';
import type { Seen, Step, WriteResult } from '../../model/steps.js';

/** The sync objects of every slot, as handles a worker can rebuild. */
export interface SyncHandles {
  locks: MutexHandle[]; // slot * accounts + account
  rlocks: RLockHandle[]; // per slot
  semaphores: SemaphoreHandle[]; // per slot
  funds: ConditionHandle[]; // per slot
}

/** Thrown out of a blocking step when the run stops or the trial is abandoned. */
export class Abandoned extends Error {
  override name = 'Abandoned';
}

const POLL_MS = 50; // blocked agents re-check for stop this often

/** What a blocking step reports to the interpreter while it waits. */
export interface StepInfo {
  /** The lock that was taken had been held by an agent that died. */
  ownerDied?: boolean;
}
// Shared, never changed: no allocation per step.
const NO_INFO: StepInfo = Object.freeze({});
const OWNER_DIED: StepInfo = Object.freeze({ ownerDied: true });

export class ThreadStore {
  private readonly locks: Mutex[];
  private readonly rlocks: RLock[];
  private readonly semaphores: Semaphore[];
  private readonly funds: Condition[];
  private readonly cells: Int32Array;
  private readonly words: BigInt64Array;
  /** Locks this agent holds (depth by lock index), released for it if its trial is abandoned. */
  private readonly held: number[] = [];
  slot = 0;
  info: StepInfo = NO_INFO;
  /** Told when a step is about to block on a lock (index) or a permit (-1). */
  onBlocked: (lock: number) => void = () => undefined;

  constructor(
    private readonly shared: Shared,
    private readonly me: number,
    private readonly strategy: Strategy,
    handles: SyncHandles,
  ) {
    this.cells = shared.cells;
    this.words = shared.words;
    this.locks = handles.locks.map((h) => Mutex.from(h));
    this.rlocks = handles.rlocks.map((h) => RLock.from(h));
    this.semaphores = handles.semaphores.map((h) => Semaphore.from(h));
    this.funds = handles.funds.map((h) => Condition.from(h));
  }

  /** Lock n of this slot: one Mutex per account; the RLock or the Condition's mutex where the strategy uses them. */
  private lockObject(n: number): Mutex | RLock {
    if (this.strategy === 'rlock') return this.rlocks[this.slot]!;
    if (this.strategy === 'condition') return this.funds[this.slot]!.mutex;
    return this.locks[this.slot * this.shared.layout.accounts + n]!;
  }

  private cell(field: number): number {
    return this.shared.agent(this.me, field);
  }

  private giveUpIfStopping(): void {
    if (Atomics.load(this.cells, G.CONTROL) === CONTROL.STOPPING || Atomics.load(this.cells, G.ABORT) === 1) throw new Abandoned();
  }

  /** Runs a blocking wait in POLL_MS slices, recording the state and the time spent. */
  private blockUntil(state: number, attempt: (ms: number) => boolean, waitingFor = 0): void {
    Atomics.store(this.cells, this.cell(A.STATE), state);
    Atomics.store(this.cells, this.cell(A.WAITING_FOR), waitingFor);
    Atomics.add(this.cells, this.cell(A.LOCK_WAITS), 1);
    const t0 = performance.now();
    try {
      while (!attempt(POLL_MS)) this.giveUpIfStopping();
    } finally {
      Atomics.store(this.cells, this.cell(A.WAITING_FOR), 0);
      Atomics.add(this.cells, this.cell(A.WAIT_US), Math.round((performance.now() - t0) * 1000));
    }
  }

  perform(step: Step): unknown {
    const slot = this.slot;
    const sh = this.shared;
    this.info = NO_INFO;
    switch (step.op) {
      case 'read': {
        const word = Atomics.load(this.words, sh.word(slot, step.account));
        const seen: Seen = { value: balanceOf(word), version: versionOf(word), word };
        Atomics.store(this.cells, this.cell(A.LAST_READ), seen.value);
        return seen;
      }
      case 'write':
        return this.write(step.account, step.seen, step.value);
      case 'cas': {
        const expect = step.seen.word ?? packWord(step.seen.value, step.seen.version);
        const next = packWord(step.value, step.seen.version + 1);
        if (Atomics.compareExchange(this.words, sh.word(slot, step.account), expect, next) !== expect) {
          Atomics.add(this.cells, sh.slot(slot, SLOT.RETRIES), 1);
          Atomics.add(this.cells, this.cell(A.RETRIES), 1);
          return false;
        }
        this.committed(step.account, step.value - step.seen.value, step.value);
        return true;
      }
      case 'add': {
        const index = sh.word(slot, step.account);
        if (step.floor !== undefined) {
          // Check-and-write in one CAS loop: never below the floor.
          for (;;) {
            const word = Atomics.load(this.words, index);
            const value = balanceOf(word) + step.delta;
            if (value < step.floor) return { ok: false, value: balanceOf(word) };
            if (Atomics.compareExchange(this.words, index, word, packWord(value, versionOf(word) + 1)) === word) {
              this.committed(step.account, step.delta, value);
              return { ok: true, value };
            }
          }
        }
        const value = balanceOf(Atomics.add(this.words, index, addend(step.delta))) + step.delta;
        this.committed(step.account, step.delta, value);
        return { ok: true, value };
      }
      case 'lock': {
        const lock = this.lockObject(step.lock);
        if (!lock.tryLock()) {
          this.onBlocked(step.lock);
          this.blockUntil(S['waiting for lock'], (ms) => lock.lock(ms), step.lock + 1);
        }
        if (lock.ownerDied) this.info = OWNER_DIED;
        this.held[step.lock] = (this.held[step.lock] ?? 0) + 1;
        return undefined;
      }
      case 'tryLock': {
        const ok = this.lockObject(step.lock).tryLock();
        if (ok) this.held[step.lock] = (this.held[step.lock] ?? 0) + 1;
        else {
          Atomics.add(this.cells, sh.slot(slot, SLOT.RETRIES), 1);
          Atomics.add(this.cells, this.cell(A.RETRIES), 1);
        }
        return ok;
      }
      case 'unlock': {
        this.lockObject(step.lock).unlock();
        this.held[step.lock] = (this.held[step.lock] ?? 1) - 1;
        return undefined;
      }
      case 'acquire': {
        const semaphore = this.semaphores[slot]!;
        if (!semaphore.tryAcquire()) {
          this.onBlocked(-1);
          this.blockUntil(S['waiting for lock'], (ms) => semaphore.acquireSync(1, ms));
        }
        Atomics.add(this.cells, this.cell(A.PERMITS), 1);
        return undefined;
      }
      case 'release':
        // Uncount first: a permit counted as ours is given back for us if we die.
        Atomics.sub(this.cells, this.cell(A.PERMITS), 1);
        this.semaphores[slot]!.release();
        return undefined;
      case 'wait': {
        const funds = this.funds[slot]!;
        // One wake-up ends the step; the program re-reads the balance and waits again if short.
        this.blockUntil(S['waiting for funds'], (ms) => funds.wait(ms));
        return undefined;
      }
      case 'notifyAll':
        this.funds[slot]!.notifyAll();
        return undefined;
      case 'enter': {
        Atomics.store(this.cells, this.cell(A.SERVING), 1);
        const now = Atomics.add(this.cells, sh.slot(slot, SLOT.SERVING_NOW), 1) + 1;
        sh.noteMax(sh.slot(slot, SLOT.SERVING_MAX), now);
        return undefined;
      }
      case 'leave':
        Atomics.sub(this.cells, sh.slot(slot, SLOT.SERVING_NOW), 1);
        Atomics.store(this.cells, this.cell(A.SERVING), 0);
        return undefined;
      case 'move':
      case 'window':
      case 'backoff':
        throw new Error(`the shared-memory store does not perform '${step.op}' steps`);
    }
  }

  /** Writes over whatever is there; if the balance changed since the read, that change is erased. */
  private write(account: number, seen: Seen, value: number): WriteResult {
    const sh = this.shared;
    const before = Atomics.exchange(this.words, sh.word(this.slot, account), packWord(value, seen.version + 1));
    const previousWriter = Atomics.exchange(this.cells, sh.account(this.slot, account, ACCOUNT.LAST_WRITER), this.me + 1) - 1;
    const stale = before !== (seen.word ?? packWord(seen.value, seen.version));
    if (stale) Atomics.add(this.cells, sh.slot(this.slot, SLOT.STALE_WRITES), 1);
    this.committed(account, value - seen.value, value);
    return { overwritten: balanceOf(before), stale, erased: stale ? Math.max(1, versionOf(before) - seen.version) : 0, previousWriter };
  }

  /** Books a committed update: the ledger (what the balance should be) and the low-water mark. */
  private committed(account: number, delta: number, value: number): void {
    const sh = this.shared;
    Atomics.add(this.cells, sh.account(this.slot, account, ACCOUNT.EXPECTED), delta);
    Atomics.add(this.cells, sh.account(this.slot, account, ACCOUNT.COMMITS), 1);
    if (sh.layout.accounts === 1) sh.noteBalance(this.slot, value);
  }

  /** After an abandoned trial: let go of every lock and permit this agent still holds. */
  releaseAll(): void {
    this.held.forEach((depth, n) => {
      for (let i = 0; i < depth; i++) this.lockObject(n).unlock();
    });
    this.held.length = 0;
    const permits = Atomics.exchange(this.cells, this.cell(A.PERMITS), 0);
    if (permits > 0) this.semaphores[this.slot]!.release(permits);
  }
}
