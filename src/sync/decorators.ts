import { E_ALREADY_LOCKED, E_TIMEOUT, InvalidArgumentError } from './errors.js';
import { LockBase, type Releaser } from './mutex.js';
import { Semaphore, type SemaphoreReleaser } from './semaphore.js';
import { describe } from './validate.js';

/*
 * async-mutex's decorators, by wrapping: they add behaviour around a Mutex, RLock or Semaphore
 * and change nothing inside it. One difference, on purpose: a waiter that times out leaves the
 * queue (our `timeoutMs` option) instead of taking the lock late and releasing it again, so it
 * never delays the waiters behind it.
 */

/** async-mutex's MutexInterface, as returned by withTimeout/tryAcquire on a Mutex or RLock. */
export interface MutexInterface {
  acquire(priority?: number): Promise<Releaser>;
  runExclusive<T>(callback: () => Promise<T> | T, priority?: number): Promise<T>;
  waitForUnlock(priority?: number): Promise<void>;
  isLocked(): boolean;
  release(): void;
  cancel(): void;
}

/** async-mutex's SemaphoreInterface, as returned by withTimeout/tryAcquire on a Semaphore. */
export interface SemaphoreInterface {
  acquire(weight?: number, priority?: number): Promise<[number, SemaphoreReleaser]>;
  runExclusive<T>(callback: (value: number) => Promise<T> | T, weight?: number, priority?: number): Promise<T>;
  waitForUnlock(weight?: number, priority?: number): Promise<void>;
  isLocked(): boolean;
  getValue(): number;
  setValue(value: number): void;
  release(weight?: number): void;
  cancel(): void;
}

/**
 * Acquires (and waitForUnlock) reject with `timeoutError` (E_TIMEOUT by default) if not granted
 * within `timeoutMs`; the waiter leaves the queue.
 */
export function withTimeout(sync: Semaphore, timeoutMs: number, timeoutError?: Error): SemaphoreInterface;
export function withTimeout(sync: LockBase<'Mutex' | 'RLock'>, timeoutMs: number, timeoutError?: Error): MutexInterface;
export function withTimeout(sync: Semaphore | LockBase<'Mutex' | 'RLock'>, timeoutMs: number, timeoutError: Error = E_TIMEOUT): SemaphoreInterface | MutexInterface {
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(`withTimeout: timeoutMs must be a number >= 0 (got ${describe(timeoutMs)})`);
  }
  const options = (priority?: number) => ({ priority: priority ?? 0, timeoutMs, timeoutError });
  if (sync instanceof Semaphore) {
    const decorated: SemaphoreInterface = {
      acquire: (weight = 1, priority) => sync.acquire(weight, options(priority)),
      async runExclusive(callback, weight = 1, priority) {
        const [value, release] = await decorated.acquire(weight, priority);
        try {
          return await callback(value);
        } finally {
          release();
        }
      },
      waitForUnlock: (weight = 1, priority) => sync.waitForUnlock(weight, options(priority)),
      isLocked: () => sync.isLocked(),
      getValue: () => sync.getValue(),
      setValue: (value) => sync.setValue(value),
      release: (weight) => sync.release(weight),
      cancel: () => sync.cancel(),
    };
    return decorated;
  }
  if (!(sync instanceof LockBase)) {
    throw new InvalidArgumentError(`withTimeout: expected a Mutex, RLock or Semaphore (got ${describe(sync)})`);
  }
  const decorated: MutexInterface = {
    acquire: (priority) => sync.acquire(options(priority)),
    async runExclusive(callback, priority) {
      const release = await decorated.acquire(priority);
      try {
        return await callback();
      } finally {
        release();
      }
    },
    waitForUnlock: (priority) => sync.waitForUnlock(options(priority)),
    isLocked: () => sync.isLocked(),
    release: () => sync.release(),
    cancel: () => sync.cancel(),
  };
  return decorated;
}

/**
 * async-mutex's tryAcquire: acquires reject with `alreadyLockedError` (E_ALREADY_LOCKED by
 * default) unless the lock is granted without waiting for time to pass (a timeout of 0 ms).
 */
export function tryAcquire(sync: Semaphore, alreadyLockedError?: Error): SemaphoreInterface;
export function tryAcquire(sync: LockBase<'Mutex' | 'RLock'>, alreadyLockedError?: Error): MutexInterface;
export function tryAcquire(sync: Semaphore | LockBase<'Mutex' | 'RLock'>, alreadyLockedError: Error = E_ALREADY_LOCKED): SemaphoreInterface | MutexInterface {
  return withTimeout(sync as Semaphore, 0, alreadyLockedError);
}
