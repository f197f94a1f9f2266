/** Wiring: parse arguments, then run the dashboard (interactive terminal) or a headless command. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parse, UsageError, USAGE, type Command } from './args.js';
import { exploreCommand, replayCommand } from './explore-cmd.js';
import { formatCompare, formatRun, formatTrials, type CompareRow } from './report.js';
import { runTrials } from './sim/trials.js';
import { LOCK_ORDERS, type SimConfig } from './sim/config.js';
import { Simulation, type Report } from './sim/simulation.js';

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
    process.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  const interrupted = new AbortController();
  const onSigint = (): void => interrupted.abort();
  process.once('SIGINT', onSigint);
  try {
    switch (cmd.command) {
      case 'tui':
        if (process.stdout.isTTY && process.stdin.isTTY && !cmd.json) {
          process.off('SIGINT', onSigint); // the dashboard handles Ctrl-C itself
          // ink reads CI=true (at import) as "not interactive" and draws only the last frame. We
          // have both ends on a terminal, which is what decides here (tmux in CI, for one).
          delete process.env.CI;
          delete process.env.CONTINUOUS_INTEGRATION;
          const { runDashboard } = await import('./ui/run-dashboard.js');
          return await runDashboard(cmd);
        }
        // Not a terminal (piped, CI): the headless comparison of the same strategies.
        return await compare(cmd, interrupted.signal);
      case 'run':
        if (cmd.explore.replay !== null) return await replayCommand(cmd, interrupted.signal);
        return await run(cmd, interrupted.signal);
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
async function simulate(config: SimConfig, signal: AbortSignal, collectTrace = false): Promise<{ sim: Simulation; report: Report }> {
  const sim = new Simulation(config, { collectTrace });
  const onAbort = (): void => void sim.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return { sim, report: await sim.run() };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function verdict(cmd: Command, reports: Report[], signal: AbortSignal): number {
  if (signal.aborted || reports.some((r) => r.interrupted)) return EXIT.INTERRUPTED;
  return cmd.check && reports.some((r) => !r.ok) ? EXIT.VIOLATED : EXIT.OK;
}

async function run(cmd: Command, signal: AbortSignal): Promise<number> {
  const { sim, report } = await simulate(cmd.config, signal, cmd.trace !== null);
  if (cmd.trace) writeTrace(cmd.trace, sim);
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ ...report, config: cmd.config, agentNames: sim.names }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatRun(report, cmd.config, sim.names, sim.events())}\n`);
  }
  return verdict(cmd, [report], signal);
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
    process.stdout.write(`${JSON.stringify({ scenario: cmd.config.scenario, config: cmd.config, results: rows.map((r) => ({ ...r.report })) }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatCompare(rows, cmd.config)}\n`);
  }
  return verdict(cmd, rows.map((r) => r.report), signal);
}

async function trials(cmd: Command, signal: AbortSignal): Promise<number> {
  const progress = process.stderr.isTTY
    ? (done: number, total: number): void => void process.stderr.write(`\r${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} trials`)
    : undefined;
  const result = await runTrials(cmd.config, { trials: cmd.trials, signal, onProgress: progress });
  if (progress) process.stderr.write('\r\x1b[K');
  process.stdout.write(cmd.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatTrials(result)}\n`);
  if (result.interrupted) return EXIT.INTERRUPTED;
  return cmd.check && result.forbidden > 0 ? EXIT.VIOLATED : EXIT.OK;
}

/** Writes the trace as JSON lines, via a temporary file so a failure leaves no half-written file. */
function writeTrace(path: string, sim: Simulation): void {
  const { events, dropped } = sim.trace();
  const lines = events.map((e) => JSON.stringify({ ...e, agentName: sim.names[e.agent] ?? null }));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n') + (lines.length ? '\n' : ''));
  renameSync(tmp, path);
  if (dropped > 0) process.stderr.write(`bank-sim: ${dropped} early events were overwritten in the ring before they could be saved\n`);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
