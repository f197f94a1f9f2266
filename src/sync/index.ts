/**
 * bank-sim/sync: cross-thread synchronization primitives over SharedArrayBuffer + Atomics.
 * Dependency-free; see README.md for the API and examples.
 */
export { Mutex, type MutexHandle, type MutexOptions, type Releaser } from './mutex.js';
export { RLock, type RLockHandle } from './rlock.js';
export { Semaphore, type SemaphoreHandle, type SemaphoreOptions, type SemaphoreReleaser } from './semaphore.js';
export { Condition, type ConditionHandle, type ConditionOptions } from './condition.js';
export { watchWorker } from './thread.js';
export type { AsyncOptions } from './dispatch.js';
export { tryAcquire, withTimeout, type MutexInterface, type SemaphoreInterface } from './decorators.js';
export {
  AlreadyLockedError,
  CanceledError,
  E_ALREADY_LOCKED,
  E_CANCELED,
  E_TIMEOUT,
  DeadlockError,
  InvalidArgumentError,
  InvalidHandleError,
  NotOwnerError,
  OwnerDiedError,
  SemaphoreOverflowError,
  SyncError,
  TimeoutError,
  WaiterLimitError,
} from './errors.js';
