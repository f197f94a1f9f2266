/**
 * The one table of exit codes, for every command and every store.
 *
 *   0    done (and, with --check, every invariant held)
 *   1    --check found a violated invariant; or the run could not finish (a lost store, a stuck replay, a trace that failed)
 *   2    bad input: nothing ran
 *   129  SIGHUP, 130 Ctrl-C (SIGINT), 143 SIGTERM: interrupted, with the report so far
 */
export const EXIT = { OK: 0, VIOLATED: 1, FAILED: 1, USAGE: 2, HANGUP: 129, INTERRUPTED: 130, TERMINATED: 143 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
