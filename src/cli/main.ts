/** Wiring: parse arguments, then run the dashboard (interactive terminal) or a headless command. */
import { parse, UsageError, type Command } from './args.js';
import { formatCompare, formatRun, formatTrials, jsonCompare, jsonReport, jsonTrials, type CompareRow } from './report.js';
import { openTraceFile, TracePathError, TraceWriter, type TraceFd } from './trace-file.js';
import { commandHelp } from './usage.js';
import { version } from './version.js';
import { exploreCommand, planReplay, replayCommand } from './explore-cmd.js';
import { runTrials } from '../sim/engine/trials.js';
import { LOCK_ORDERS, type SimConfig } from '../sim/model/config.js';
import { Simulation, type Report } from '../sim/engine/simulation.js';

export const EXIT = { OK: 0, VIOLATED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

export async function main(argv: string[]): Promise<number> {
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
  const interrupted = new AbortController();
  const onSigint = (): void => interrupted.abort();
  process.once('SIGINT', onSigint);
  try {
    if (cmd.command === 'agent' || cmd.redis) {
      // Runs on Redis and the agent command (src/redis-cmd.ts, src/agent-cmd.ts).
      if (cmd.command === 'agent') return await (await import('./agent-cmd.js')).agentCommand(cmd, interrupted.signal);
      if (cmd.command === 'tui' && process.stdout.isTTY && process.stdin.isTTY && !cmd.json) process.off('SIGINT', onSigint);
      return await (await import('./redis-cmd.js')).redisCommand(cmd, interrupted.signal, traceFile);
    }
    switch (cmd.command) {
      case 'tui': {
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
          process.off('SIGINT', onSigint); // the dashboard handles Ctrl-C itself
          // ink reads CI=true (at import) as "not interactive" and draws only the last frame. We
          // have both ends on a terminal, which is what decides here (tmux in CI, for one).
          delete process.env.CI;
          delete process.env.CONTINUOUS_INTEGRATION;
          const { runDashboard } = await import('../ui/run-dashboard.js');
          return await runDashboard(cmd, undefined, plans);
        }
        // Not a terminal (piped, CI, TERM=dumb): the headless replay, or comparison, of the same strategies.
        if (plans) {
          let code: number = EXIT.OK;
          for (const plan of plans) if (!interrupted.signal.aborted) code = Math.max(code, await replayCommand({ ...cmd, config: plan.config }, interrupted.signal));
          return code;
        }
        return await compare(cmd, interrupted.signal);
      }
      case 'run':
        if (cmd.explore.replay !== null) return await replayCommand(cmd, interrupted.signal);
        return await run(cmd, interrupted.signal, traceFile);
      case 'explore':
        return await exploreCommand(cmd, interrupted.signal);
      case 'compare':
        return await compare(cmd, interrupted.signal);
      case 'trials':
        return await trials(cmd, interrupted.signal);
      default:
        return EXIT.OK;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Runs one simulation; Ctrl-C (the signal) kills its workers and reports what happened so far. */
async function simulate(
  config: SimConfig,
  signal: AbortSignal,
  traceFile: TraceFd | null = null,
  tracePath = '',
): Promise<{ sim: Simulation; report: Report; trace: TraceWriter | null }> {
  // With a trace, the ring is large enough for the writer (draining it every 10 ms) to keep up.
  const sim = new Simulation(traceFile ? { ...config, traceCapacity: 1 << 16 } : config);
  const trace = traceFile ? new TraceWriter(traceFile, tracePath, sim) : null;
  trace?.start();
  const onAbort = (): void => void sim.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const report = await sim.run();
    // Ctrl-C while the agents were starting is an interruption too.
    if (signal.aborted) report.interrupted = true;
    return { sim, report, trace };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function verdict(cmd: Command, reports: Report[], signal: AbortSignal): number {
  if (signal.aborted || reports.some((r) => r.interrupted)) return EXIT.INTERRUPTED;
  return cmd.check && reports.some((r) => !r.ok) ? EXIT.VIOLATED : EXIT.OK;
}

async function run(cmd: Command, signal: AbortSignal, traceFile: TraceFd | null): Promise<number> {
  const { sim, report, trace } = await simulate(cmd.config, signal, traceFile, cmd.trace ?? '');
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
    process.stdout.write(`${JSON.stringify(jsonReport(report, cmd.config, version()), null, 2)}\n`);
  } else {
    process.stdout.write(`${formatRun(report, cmd.config, sim.names, sim.events())}\n`);
  }
  const code = verdict(cmd, [report], signal);
  return code === EXIT.OK && traceFailed ? EXIT.VIOLATED : code;
}

async function compare(cmd: Command, signal: AbortSignal): Promise<number> {
  const rows: CompareRow[] = [];
  // For transfers the interesting variable is the lock order, so each order gets a row.
  const variants = cmd.strategies.flatMap((sync): { label: string; config: SimConfig }[] =>
    cmd.config.scenario === 'transfer' && sync === 'mutex' && !cmd.orderGiven
      ? LOCK_ORDERS.map((order) => ({ label: `mutex/${order}`, config: { ...cmd.config, sync, order } }))
      : [{ label: sync, config: { ...cmd.config, sync } }],
  );
  for (const { label, config } of variants) {
    if (signal.aborted) break;
    const { report } = await simulate(config, signal);
    rows.push({ label, report });
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(jsonCompare(rows, cmd.config, version()), null, 2)}\n`);
  } else {
    process.stdout.write(`${formatCompare(rows, cmd.config)}\n`);
  }
  return verdict(
    cmd,
    rows.map((r) => r.report),
    signal,
  );
}

async function trials(cmd: Command, signal: AbortSignal): Promise<number> {
  const progress = process.stderr.isTTY
    ? (done: number, total: number): void => void process.stderr.write(`\r${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} trials`)
    : undefined;
  const result = await runTrials(cmd.config, { trials: cmd.trials, signal, onProgress: progress });
  if (progress) process.stderr.write('\r\x1b[K');
  process.stdout.write(cmd.json ? `${JSON.stringify(jsonTrials(result, version()), null, 2)}\n` : `${formatTrials(result)}\n`);
  if (result.interrupted) return EXIT.INTERRUPTED;
  return cmd.check && result.forbidden > 0 ? EXIT.VIOLATED : EXIT.OK;
}
