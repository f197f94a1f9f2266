import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../src/sim/engine/spawn-worker.js';

export interface RemoteError {
  name: string;
  message: string;
  code?: string;
}

/** A real worker thread driven by requests (see fixtures/rpc-worker.ts). */
export class Thread {
  readonly worker: Worker;
  private nextId = 0;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  readonly exited: Promise<number>;

  constructor() {
    this.worker = spawnWorker(new URL('../fixtures/rpc-worker.ts', import.meta.url));
    this.worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: RemoteError }) => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (error) p?.reject(Object.assign(new Error(error.message), { remote: error }));
      else p?.resolve(value);
    });
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Starts an operation; resolves with its result, rejects with the worker-side error. */
  call<T = any>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** The worker-side error of an operation that must fail. */
  async error(op: string, ...args: unknown[]): Promise<RemoteError> {
    try {
      await this.call(op, ...args);
    } catch (e) {
      return (e as { remote: RemoteError }).remote;
    }
    throw new Error(`${op} was expected to fail but succeeded`);
  }

  async ready(): Promise<this> {
    await this.call('threadId');
    return this;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Starts n ready threads. */
export async function threads(n: number): Promise<Thread[]> {
  return Promise.all(Array.from({ length: n }, () => new Thread().ready()));
}

/** Resolves true if `promise` settles within `ms`, false otherwise. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true as const,
    () => true as const,
  );
  const result = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return result;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check()` is true, failing after `ms`. */
export async function eventually(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/*
 * Test-only views of a primitive's shared cells, so a set-up that means to put a thread to
 * sleep first can check that it did (and fail, not pass vacuously, when it did not).
 * Layouts: src/sync/lock-word.ts (Mutex/RLock: cell 1 word, cell 2 flags) and semaphore.ts
 * (cell 4 WAITERS, cell 3 flags). FLAGS bits 1+ count async sleepers (dispatch.ts, W2).
 */
const WAITERS_BIT = 1 << 29;
function cellsOf(handle: { buffer: SharedArrayBuffer; byteOffset: number }, n: number): Int32Array {
  return new Int32Array(handle.buffer, handle.byteOffset, n);
}
/** A Mutex/RLock word has WAITERS set (some thread sleeps, or is about to) and async sleepers. */
export function lockSleepers(handle: { buffer: SharedArrayBuffer; byteOffset: number }): { flagged: boolean; async: number } {
  const c = cellsOf(handle, 3);
  return { flagged: (Atomics.load(c, 1) & WAITERS_BIT) !== 0, async: Atomics.load(c, 2) >>> 1 };
}
/** Threads registered as sleeping on a Semaphore (blocking and async), and the async ones. */
export function semaphoreSleepers(handle: { buffer: SharedArrayBuffer; byteOffset: number }): { all: number; async: number } {
  const c = cellsOf(handle, 6);
  return { all: Atomics.load(c, 4), async: Atomics.load(c, 3) >>> 1 };
}
/** Resolves once `promise` has stayed pending for `ms` (a blocking call past its spin is asleep); fails if it settled. */
export async function stillPending(promise: Promise<unknown>, ms = 50, what = 'the call'): Promise<void> {
  if (await settlesWithin(promise, ms)) throw new Error(`set-up failed: ${what} returned instead of blocking`);
}
