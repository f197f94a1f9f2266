/**
 * vitest global set-up: worker threads start from the built JavaScript (dist/) instead of the
 * TypeScript sources. A TypeScript worker entry has to register tsx's loader and compile every
 * module again in each new thread (about 0.3 s per worker, seconds per 10-agent run); the
 * built one starts at once. The tests still import the sources; only worker entries that have
 * a built twin are redirected (see src/sim/spawn-worker.ts). dist/ is rebuilt first when any
 * source is newer than its build, so a worker never runs code older than the test's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

function stale(): boolean {
  return sources(join(root, 'src')).some((file) => {
    const built = file.replace(`${root}src`, `${root}dist`).replace(/\.tsx?$/, '.js');
    return !existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs;
  });
}

export default function setup(): void {
  if (stale()) execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  process.env.BANK_SIM_BUILT_WORKERS = '1';
}
