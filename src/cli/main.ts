/**
 * Wiring: parse arguments, open the store the command runs on, then run the dashboard (an
 * interactive terminal) or a headless command. Every command opens its runs through the store
 * session and prints them with the same functions, whatever the store: what one store gets
 * (lock-order rows, TERM=dumb, trace handling, the JSON shape, exit codes) the other gets too.
 */
import chalk from 'chalk';
import { LOCKING } from '../sim/model/programs.js';
import type { SimConfig } from '../sim/model/config.js';
import { MAX_RUN_TRIALS, runTrialsOfRuns } from '../sim/engine/run-trials.js';
import { runTrials } from '../sim/engine/trials.js';
import type { SimRun } from '../sim/open-run.js';
import type { Report } from '../sim/engine/run.js';
import type { RedisFacts } from '../sim/stores/redis/backend.js';
import { RedisLayerError } from '../sim/stores/redis/errors.js';
import { type Command, parse, UsageError } from './args.js';
import { EXIT } from './exit.js';
import { exploreCommand, planReplay, replayCommand } from './explore-cmd.js';
import { formatRedis } from './redis-report.js';
import { type CompareRow, formatCompare, formatRun, formatTrials, jsonCompare, jsonReport, jsonTrials } from './report.js';
import { openSession, type StoreSession } from './store-session.js';
import { openTraceFile, type TraceFd, TracePathError, TraceWriter } from './trace-file.js';
import { commandHelp } from './usage.js';
import { version } from './version.js';

export { EXIT };

/** Signals that end a command with the report so far, and the exit code each gives. */
const SIGNALS = { SIGINT: EXIT.INTERRUPTED, SIGTERM: EXIT.TERMINATED, SIGHUP: EXIT.HANGUP } as const;
type StopSignal = keyof typeof SIGNALS;

/** Signals the entry point held while the CLI loaded (see src/cli.ts). */
export interface EarlySignals {
  early: readonly NodeJS.Signals[];
  /** Stops holding them: main's own handlers are in place. */
  release(): void;
}

export async function main(argv: string[], held: EarlySignals = { early: [], release: () => {} }): Promise<number> {
  // Ctrl-C, SIGTERM and SIGHUP stop the runs (every agent, and a private server) and print what
  // happened so far. A second signal while that is under way changes nothing: it has deadlines.
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!(signal in SIGNALS)) return;
    stoppedBy ??= signal as StopSignal;
    stop.abort();
  };
  const handlers = Object.keys(SIGNALS).map((name) => {
    const handler = (): void => onSignal(name as NodeJS.Signals);
    process.on(name, handler);
    return [name, handler] as const;
  });
  held.release();
  for (const signal of held.early) onSignal(signal);
  const unlisten = (): void => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  try {
    return await command(argv, stop.signal, () => stoppedBy, unlisten);
  } finally {
    unlisten();
  }
}

async function command(argv: string[], signal: AbortSignal, stoppedBy: () => StopSignal | null, unlisten: () => void): Promise<number> {
  let cmd: Command;
  try {
    cmd = parse(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bank-sim: ${error.message}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
  if (cmd.version) {
    process.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  if (cmd.help) {
    process.stdout.write(`${commandHelp(cmd.helpTopic)}\n`);
    return EXIT.OK;
  }
  if (cmd.command === 'trials' && cmd.redis && cmd.trials > MAX_RUN_TRIALS) {
    process.stderr.write(
      `bank-sim: -n/--trials on Redis is at most ${MAX_RUN_TRIALS.toLocaleString('en-US')} (each trial is a whole run; got ${cmd.trials.toLocaleString('en-US')})\n`,
    );
    return EXIT.USAGE;
  }
  // The trace file is checked (and opened) before anything runs.
  let traceFile: TraceFd | null = null;
  if (cmd.trace !== null) {
    try {
      traceFile = await openTraceFile(cmd.trace);
    } catch (error) {
      if (error instanceof TracePathError) {
        process.stderr.write(`bank-sim: ${error.message}\n`);
        return EXIT.USAGE;
      }
      throw error;
    }
  }
  if (cmd.command === 'agent') {
    unlisten(); // the agent command takes its signals itself
    return await agent(cmd);
  }
  let session: StoreSession | null = null;
  try {
    if (cmd.command === 'explore') return await exploreCommand(cmd, signal);
    session = await openSession(cmd.redis);
    const code = await dispatch(cmd, session, signal, traceFile, unlisten);
    const by = stoppedBy();
    return by && code === EXIT.INTERRUPTED ? SIGNALS[by] : code;
  } catch (error) {
    if (error instanceof RedisLayerError) {
      process.stderr.write(`bank-sim: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    await session?.close();
  }
}

/** `bank-sim agent`: Ctrl-C leaves (exit 130); it handles SIGTERM itself (exit 0). */
async function agent(cmd: Command): Promise<number> {
  const interrupted = new AbortController();
  const onSigint = (): void => interrupted.abort();
  process.on('SIGINT', onSigint);
  try {
    return await (await import('./agent-cmd.js')).agentCommand(cmd, interrupted.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function dispatch(cmd: Command, session: StoreSession, signal: AbortSignal, traceFile: TraceFd | null, unlisten: () => void): Promise<number> {
  switch (cmd.command) {
    case 'tui':
      return await dashboard(cmd, session, signal, unlisten);
    case 'run':
      if (cmd.explore.replay !== null) return await replayCommand(cmd, signal);
      return await run(cmd, session, signal, traceFile);
    case 'trials':
      return await trials(cmd, session, signal);
    default:
      return await compare(cmd, session, signal);
  }
}

/** The dashboard on an interactive terminal; anywhere else (piped, CI, TERM=dumb) the headless replay or comparison. */
async function dashboard(cmd: Command, session: StoreSession, signal: AbortSignal, unlisten: () => void): Promise<number> {
  // tui --replay: the schedule is checked on the model for every pane before anything starts.
  const plans =
    cmd.explore.replay === null
      ? null
      : planReplay(
          cmd,
          cmd.strategies.map((sync) => ({ ...cmd.config, sync })),
        );
  if (typeof plans === 'string') {
    process.stderr.write(`bank-sim: ${plans}\n`);
    return EXIT.USAGE;
  }
  if (process.stdout.isTTY && process.stdin.isTTY && !cmd.json && process.env.TERM !== 'dumb') {
    unlisten(); // the dashboard handles Ctrl-C and SIGTERM itself
    // ink reads CI=true (at import) as "not interactive" and draws only the last frame. We
    // have both ends on a terminal, which is what decides here (tmux in CI, for one).
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    const { runDashboard } = await import('../ui/run-dashboard.js');
    return await runDashboard(cmd, (config) => session.open(config), plans);
  }
  if (plans) {
    let code: number = EXIT.OK;
    for (const plan of plans) if (!signal.aborted) code = Math.max(code, await replayCommand({ ...cmd, config: plan.config }, signal));
    return code;
  }
  return await compare(cmd, session, signal);
}

/** Runs one run to its end; the signal (Ctrl-C) kills its agents and the report says what happened so far. */
async function simulate(sim: SimRun, signal: AbortSignal): Promise<Report<RedisFacts>> {
  const onAbort = (): void => void sim.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    const report = await sim.run();
    // A signal while the agents were starting is an interruption too.
    if (signal.aborted) report.interrupted = true;
    return report;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The exit code of a command's runs: a run that could not finish, an interruption, a violation under --check. */
function exitFor(cmd: Command, reports: Report<RedisFacts>[], signal: AbortSignal): number {
  if (reports.some((r) => r.redis?.failure)) return EXIT.FAILED;
  if (signal.aborted || reports.some((r) => r.interrupted)) return EXIT.INTERRUPTED;
  return cmd.check && reports.some((r) => !r.ok) ? EXIT.VIOLATED : EXIT.OK;
}

function sayFailure(what: string, r: Report<RedisFacts>): void {
  if (r.redis?.failure) process.stderr.write(`bank-sim: ${what} ended early: ${r.redis.failure}\n`);
}

async function run(cmd: Command, session: StoreSession, signal: AbortSignal, traceFile: TraceFd | null): Promise<number> {
  // With a trace, the ring is large enough for the writer (draining it every 10 ms) to keep up.
  const config: SimConfig = traceFile !== null ? { ...cmd.config, traceCapacity: 1 << 16 } : cmd.config;
  const sim = session.open(config);
  const trace = traceFile !== null ? new TraceWriter(traceFile, cmd.trace ?? '', sim) : null;
  trace?.start();
  const report = await simulate(sim, signal);
  let traceFailed = false;
  if (trace) {
    try {
      await trace.finish();
      if (trace.dropped > 0) process.stderr.write(`bank-sim: ${trace.dropped.toLocaleString('en-US')} events were overwritten in the ring before they could be saved\n`);
    } catch (error) {
      if (!(error instanceof TracePathError)) throw error;
      process.stderr.write(`bank-sim: ${error.message}\n`);
      traceFailed = true;
    }
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(jsonReport(report, sim.config, version()), null, 2)}\n`);
  } else {
    const redis = report.redis ? `\n${formatRedis(report)}` : '';
    process.stdout.write(`${formatRun(report, sim.config, sim.names, sim.events())}${redis}\n`);
  }
  sayFailure('the run', report);
  const code = exitFor(cmd, [report], signal);
  return code === EXIT.OK && traceFailed ? EXIT.FAILED : code;
}

/** The rows of a comparison: one per strategy, and for transfers under a lock one per lock order (unless --order chose one). */
export function compareVariants(cmd: Pick<Command, 'config' | 'strategies' | 'orderGiven'>): { label: string; config: SimConfig }[] {
  const orders = ['naive', 'global', 'trylock'] as const;
  return cmd.strategies.flatMap((sync) =>
    cmd.config.scenario === 'transfer' && LOCKING.has(sync) && !cmd.orderGiven
      ? orders.map((order) => ({ label: `${sync}/${order}`, config: { ...cmd.config, sync, order } }))
      : [{ label: sync, config: { ...cmd.config, sync } }],
  );
}

async function compare(cmd: Command, session: StoreSession, signal: AbortSignal): Promise<number> {
  const rows: (CompareRow & { report: Report<RedisFacts> })[] = [];
  for (const { label, config } of compareVariants(cmd)) {
    if (signal.aborted) break;
    const report = await simulate(session.open(config), signal);
    rows.push({ label, report });
    if (report.redis?.failure) break;
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(jsonCompare(rows, cmd.config, version()), null, 2)}\n`);
  } else {
    const redis = rows[0]?.report.redis;
    const footer = redis ? `\n${chalk.dim(`  on Redis ${redis.url}, agents as ${redis.agentsOn}`)}` : '';
    process.stdout.write(`${formatCompare(rows, cmd.config)}${footer}\n`);
  }
  const failed = rows.find((r) => r.report.redis?.failure);
  if (failed) sayFailure(`the run of ${failed.label}`, failed.report);
  return exitFor(
    cmd,
    rows.map((r) => r.report),
    signal,
  );
}

async function trials(cmd: Command, session: StoreSession, signal: AbortSignal): Promise<number> {
  const progress = process.stderr.isTTY
    ? (done: number, total: number): void => void process.stderr.write(`\r${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} trials`)
    : undefined;
  // Shared memory holds the agents at a barrier between trials (strides); elsewhere each trial is a whole run.
  const { result, failure } =
    cmd.redis === null
      ? { result: await runTrials(cmd.config, { trials: cmd.trials, signal, onProgress: progress }), failure: null }
      : await runTrialsOfRuns(cmd.config, () => session.open(cmd.config), { trials: cmd.trials, signal, onProgress: progress });
  if (progress) process.stderr.write('\r\x1b[K');
  process.stdout.write(cmd.json ? `${JSON.stringify(jsonTrials(result, version()), null, 2)}\n` : `${formatTrials(result)}\n`);
  if (failure) {
    process.stderr.write(`bank-sim: trial ${failure.trial} ended early: ${failure.message}\n`);
    return EXIT.FAILED;
  }
  if (result.interrupted) return EXIT.INTERRUPTED;
  return cmd.check && result.forbidden > 0 ? EXIT.VIOLATED : EXIT.OK;
}
