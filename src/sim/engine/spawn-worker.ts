import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a Worker on a module given by URL. Built code (dist/*.js) starts directly. Source
 * code (*.ts, under vitest or `node --import tsx`) cannot: Node 20 will not load a .ts worker
 * entry, and `--import tsx` in execArgv does not apply to it. So a .ts entry goes through a
 * tiny JS bootstrap that registers tsx's loader in the new thread, then imports the entry.
 */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  // The test suite builds dist/ first and asks for its workers (test/setup/built-workers.ts).
  const built = process.env.BANK_SIM_BUILT_WORKERS ? builtTwin(entry) : null;
  if (built) return new Worker(built, options);
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

/** src/x/y.ts -> dist/x/y.js, if that file exists. */
function builtTwin(entry: URL): URL | null {
  const path = entry.pathname;
  const at = path.lastIndexOf('/src/');
  if (at < 0) return null;
  const built = `${path.slice(0, at)}/dist/${path.slice(at + 5).replace(/\.ts$/, '.js')}`;
  return existsSync(built) ? pathToFileURL(built) : null;
}
