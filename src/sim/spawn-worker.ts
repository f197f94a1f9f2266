import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a Worker on a module given by URL. Built code (dist/*.js) starts directly. Source
 * code (*.ts, under vitest or `node --import tsx`) cannot: Node 20 will not load a .ts worker
 * entry, and `--import tsx` in execArgv does not apply to it. So a .ts entry goes through a
 * tiny JS bootstrap that registers tsx's loader in the new thread, then imports the entry.
 */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  return new Worker(new URL('./ts-worker-bootstrap.mjs', import.meta.url), {
    ...options,
    argv: [entry.href, ...(options.argv ?? [])],
  });
}

/** The URL of a sibling module, as .ts when running from source and .js when built. */
export function siblingModule(base: string, name: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, base);
}
