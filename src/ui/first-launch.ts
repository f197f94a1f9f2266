/**
 * Remembers that the guided tour was offered, so the scenario picker offers it on the first
 * launch only. One small JSON file, $XDG_STATE_HOME/bank-sim/state.json (by default
 * ~/.local/state/bank-sim/state.json), replaced atomically: written to a temporary file beside
 * it, then renamed over it, so a reader never sees half a file. Failing to read or write it is
 * not an error: a read-only or missing home must never stop the dashboard (the tour is then
 * offered again next time).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export const STATE_FILE = 'state.json';

interface State {
  tourOffered?: boolean;
}

/** bank-sim's state directory; XDG_STATE_HOME counts only when absolute (the XDG spec); null without a home. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'bank-sim');
  try {
    const home = env.HOME || homedir();
    return home ? join(home, '.local', 'state', 'bank-sim') : null;
  } catch {
    return null; // no home directory for this user
  }
}

function readState(dir: string): State {
  try {
    const state: unknown = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    return state !== null && typeof state === 'object' ? (state as State) : {};
  } catch {
    return {}; // missing, unreadable or not JSON: as on a first launch
  }
}

/** The tour was offered on an earlier launch. */
export function tourOffered(env: NodeJS.ProcessEnv = process.env): boolean {
  const dir = stateDir(env);
  return dir !== null && readState(dir).tourOffered === true;
}

/** Notes that the tour was offered (or taken); silent when it cannot. */
export function rememberTourOffered(env: NodeJS.ProcessEnv = process.env): void {
  const dir = stateDir(env);
  if (!dir) return;
  const temporary = join(dir, `.${STATE_FILE}.${process.pid}.tmp`);
  try {
    makeDirectories(dir);
    writeFileSync(temporary, `${JSON.stringify({ ...readState(dir), tourOffered: true })}\n`);
    renameSync(temporary, join(dir, STATE_FILE));
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nothing was written there
    }
  }
}

/**
 * mkdir -p, one level at a time. Node 20's `mkdirSync(dir, { recursive: true })` never returns
 * for a directory under /proc (mkdir answers ENOENT, its parent EEXIST, and it tries again for
 * ever); here each level is tried once and the first failure is thrown.
 */
function makeDirectories(dir: string): void {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) makeDirectories(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** The App's props for the offer, read from the state file now. */
export function tourOffer(env: NodeJS.ProcessEnv = process.env): { offerTour: boolean; onTourOffered: () => void } {
  return { offerTour: !tourOffered(env), onTourOffered: () => rememberTourOffered(env) };
}
