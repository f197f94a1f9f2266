import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../src/sim/spawn-worker.js';

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
