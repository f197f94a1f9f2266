/**
 * Typed errors of the sync library. Every error extends {@link SyncError}, so callers can
 * catch the whole family with one `instanceof`, and carries a stable `code`.
 */
export class SyncError extends Error {
  readonly code: string = 'ERR_SYNC';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A blocking or async acquire did not succeed within its timeout. */
export class TimeoutError extends SyncError {
  override readonly code = 'ERR_SYNC_TIMEOUT';
}

/** A queued async waiter was canceled (by `cancel()` or by its AbortSignal). */
export class CanceledError extends SyncError {
  override readonly code = 'ERR_SYNC_CANCELED';
}

/** The calling thread tried to release or use a lock that it does not hold. */
export class NotOwnerError extends SyncError {
  override readonly code = 'ERR_SYNC_NOT_OWNER';
}

/**
 * Thrown (only with `onOwnerDied: 'throw'`) by an acquire that got a lock whose previous owner
 * died while holding it. The caller HOLDS the lock when it catches this error: it should
 * repair the shared state the dead owner may have left half-updated, then unlock.
 */
export class OwnerDiedError extends SyncError {
  override readonly code = 'ERR_SYNC_OWNER_DIED';
}

/** The owner of a non-reentrant Mutex tried to lock it again, which would block forever. */
export class DeadlockError extends SyncError {
  override readonly code = 'ERR_SYNC_DEADLOCK';
}

/** An argument is out of range or of the wrong type (permits, weights, timeouts, ...). */
export class InvalidArgumentError extends SyncError {
  override readonly code = 'ERR_SYNC_INVALID_ARGUMENT';
}

/** A handle passed to `from()` is not a live primitive of the expected kind. */
export class InvalidHandleError extends SyncError {
  override readonly code = 'ERR_SYNC_INVALID_HANDLE';
}

/** A Condition already has `maxWaiters` threads waiting: one more cannot join them. */
export class WaiterLimitError extends SyncError {
  override readonly code = 'ERR_SYNC_WAITER_LIMIT';
}

/** A bounded Semaphore was released more times than it was acquired. */
export class SemaphoreOverflowError extends SyncError {
  override readonly code = 'ERR_SYNC_SEMAPHORE_OVERFLOW';
}

/** async-mutex's `tryAcquire` found the lock taken (the default error of {@link tryAcquire}). */
export class AlreadyLockedError extends SyncError {
  override readonly code = 'ERR_SYNC_ALREADY_LOCKED';
}

/*
 * async-mutex's error singletons, under the same names and messages, so code that compares
 * `error === E_CANCELED` keeps working after a change of import. Each is also an instance of
 * our typed class, so `instanceof CanceledError` / `TimeoutError` holds for them too.
 * Which API rejects with which:
 *   cancel()                                   the constructor's cancelError, E_CANCELED by default
 *   withTimeout(...) / tryAcquire(...)         the error given to them, E_TIMEOUT / E_ALREADY_LOCKED by default
 *   { timeoutMs } / { signal } options (ours)  a fresh TimeoutError / CanceledError naming the call
 */
export const E_CANCELED: CanceledError = new CanceledError('request for lock canceled');
export const E_TIMEOUT: TimeoutError = new TimeoutError('timeout while waiting for mutex to become available');
export const E_ALREADY_LOCKED: AlreadyLockedError = new AlreadyLockedError('mutex already locked');
