import { isMainThread, threadId, type Worker } from 'node:worker_threads';
import { InvalidArgumentError } from './errors.js';

/**
 * The calling thread's owner token, as stored in lock words: `threadId + 1`, so that 0 can
 * mean "nobody". Node never reuses a threadId within a process, so a dead thread's token
 * never comes back to life and can safely be used to find the locks it left behind.
 */
export const SELF: number = threadId + 1;

/** Token of a Worker object's thread (its threadId reads -1 once it has exited). */
export function tokenOf(worker: Worker): number {
  return worker.threadId + 1;
}

/** Something that can clean up after a thread that died (release a lock it held, withdraw its waits). */
export interface Recoverable {
  /** If the thread with `token` holds this lock, release it flagged "owner died"; true if it did. */
  recoverFrom(token: number): boolean;
}

// Every lock created or rebuilt in this thread. Registration happens once per object (in its
// constructor), so the lock/unlock fast paths carry no bookkeeping: when a thread dies we
// scan this set for words that still name it as owner. Entries are strong references on
// purpose: a lock must stay recoverable even if the code that used it dropped the object.
const known = new Set<Recoverable>();
let exitHookInstalled = false;

export function register(lock: Recoverable): void {
  known.add(lock);
  // A worker that ends by returning, process.exit() or an uncaught exception still runs
  // its process 'exit' handlers: release whatever it holds there, before the thread is gone.
  // (worker.terminate() runs no handlers: see watchWorker.)
  if (!exitHookInstalled && !isMainThread) {
    exitHookInstalled = true;
    process.on('exit', () => recoverLocksOf(SELF));
  }
}

/** Releases, flagged "owner died", every known lock held by the thread with `token`. */
export function recoverLocksOf(token: number): number {
  let recovered = 0;
  for (const lock of known) if (lock.recoverFrom(token)) recovered++;
  return recovered;
}

/**
 * Watches a Worker from the thread that owns the Worker object: when it exits - including by
 * `worker.terminate()`, which runs none of the worker's own handlers - every Mutex/RLock that
 * it still holds and that this thread knows of (created here, or rebuilt here with `from()`)
 * is released and flagged "owner died", so waiters in any thread do not hang.
 *
 * Returns a function that stops watching. `onRecovered`, if given, is called with the number
 * of locks recovered (only when it is more than 0).
 */
export function watchWorker(worker: Worker, onRecovered?: (count: number) => void): () => void {
  if (typeof worker !== 'object' || worker === null || typeof worker.once !== 'function') {
    throw new InvalidArgumentError('watchWorker: expected a worker_threads Worker');
  }
  const token = tokenOf(worker);
  if (token <= 0) throw new InvalidArgumentError('watchWorker: this worker has already exited');
  const onExit = (): void => {
    const count = recoverLocksOf(token);
    if (count > 0) onRecovered?.(count);
  };
  worker.once('exit', onExit);
  return () => {
    worker.off('exit', onExit);
  };
}
