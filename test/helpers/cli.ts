import { execFile } from 'node:child_process';

/** The built binary, run as a user runs it (npm test builds dist/ first). */
export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

/** Runs the CLI to its end: exit code, stdout and stderr (extra environment variables merged in). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Runs a script of test/fixtures in its own process: exit code (null when killed at the
 * deadline, for a process that does not end by itself) and its output.
 */
export function runFixture(script: string, deadlineMs = 15_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [new URL(`../fixtures/${script}`, import.meta.url).pathname], { timeout: deadlineMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout + stderr }),
    );
  });
}
