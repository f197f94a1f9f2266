import { CanceledError, InvalidArgumentError, TimeoutError } from './errors.js';
import { deadlineFor, describe } from './validate.js';

/**
 * The main thread must never block its event loop, so its acquirers queue here, in this
 * thread, and only the head of the queue competes for the shared word (sleeping in
 * Atomics.waitAsync). The queue gives async-mutex's ordering: higher priority first,
 * first-come first-served within a priority. Timeouts and AbortSignals remove one waiter
 * without disturbing the others.
 */
export interface AsyncOptions {
  /** Higher runs first; equal priorities are served in arrival order. Default 0. */
  priority?: number;
  /** Reject with TimeoutError if not granted within this many milliseconds. */
  timeoutMs?: number;
  /** Reject with CanceledError (and leave the queue) when this signal aborts. */
  signal?: AbortSignal;
}

export interface Waiter<T> {
  readonly priority: number;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class WaitQueue<W extends { readonly priority: number; reject(error: unknown): void }> {
  private items: W[] = [];

  get length(): number {
    return this.items.length;
  }

  head(): W | undefined {
    return this.items[0];
  }

  shift(): W | undefined {
    return this.items.shift();
  }

  add(item: W): void {
    let i = this.items.length;
    while (i > 0 && this.items[i - 1]!.priority < item.priority) i--;
    this.items.splice(i, 0, item);
  }

  delete(item: W): boolean {
    const i = this.items.indexOf(item);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  rejectAll(error: Error): void {
    const items = this.items;
    this.items = [];
    for (const item of items) item.reject(error);
  }
}

/** Normalises async-mutex's `priority` argument or our options object. */
export function asyncOptions(arg: number | AsyncOptions | undefined, what: string): AsyncOptions {
  const options = typeof arg === 'number' ? { priority: arg } : (arg ?? {});
  if (typeof options !== 'object') {
    throw new InvalidArgumentError(`${what}: expected a priority number or an options object (got ${describe(arg)})`);
  }
  const { priority = 0, signal } = options;
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new InvalidArgumentError(`${what}: priority must be a finite number (got ${describe(priority)})`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${what}: signal must be an AbortSignal (got ${describe(signal)})`);
  }
  deadlineFor(options.timeoutMs, what); // validates
  return options;
}

/**
 * Queues a waiter carrying `fields` and returns its promise. The waiter removes itself from
 * the queue on timeout or abort; `onLeave` runs after such a removal (to let the pump re-check
 * its head).
 */
export function enqueue<T, F extends object>(
  queue: WaitQueue<Waiter<T> & F>,
  fields: F,
  options: AsyncOptions,
  what: string,
  onLeave: () => void,
): Promise<T> {
  return new Promise<T>((resolvePromise, rejectPromise) => {
    const { signal, timeoutMs } = options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const waiter: Waiter<T> & F = {
      ...fields,
      priority: options.priority ?? 0,
      resolve(value: T) {
        cleanup();
        resolvePromise(value);
      },
      reject(error: unknown) {
        cleanup();
        rejectPromise(error);
      },
    };
    const leave = (error: Error): void => {
      if (queue.delete(waiter)) {
        waiter.reject(error);
        onLeave();
      }
    };
    function onAbort(): void {
      leave(new CanceledError(`${what}: aborted while waiting`, { cause: signal?.reason }));
    }
    if (signal?.aborted) {
      rejectPromise(new CanceledError(`${what}: the signal was already aborted`, { cause: signal.reason }));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      timer = setTimeout(() => leave(new TimeoutError(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs);
    }
    queue.add(waiter);
  });
}

/**
 * A pending Atomics.waitAsync does not keep Node's event loop alive. While this thread has
 * queued waiters it has work pending, so hold the loop open (one timer, not one per waiter).
 */
export function holdEventLoop(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}

/** A releaser that acts only on its first call, as async-mutex's releasers do. */
export function releaseOnce(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

/**
 * Wakes a pump that sleeps in Atomics.waitAsync when its own queue changes (a waiter timed out,
 * was aborted or canceled, or a new one arrived): the head it waits for may be gone.
 */
export class Kick {
  private wake: (() => void) | null = null;

  /** The waitAsync outcome, or 'kicked' if kick() came first. */
  race(outcome: Promise<'ok' | 'not-equal' | 'timed-out'>): Promise<'ok' | 'not-equal' | 'timed-out' | 'kicked'> {
    return new Promise((resolve) => {
      this.wake = () => resolve('kicked');
      void outcome.then((value) => {
        this.wake = null;
        resolve(value);
      });
    });
  }

  kick(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
