/**
 * run, compare, trials and the dashboard on Redis (--store redis): starts a private
 * redis-server when no --redis-url is given (and stops it whatever happens), runs each
 * strategy as a RedisSimulation, and prints the same reports as on shared memory plus what
 * Redis adds (where the agents ran, their share, the store's counters, the faults' story).
 */
import chalk from 'chalk';
import type { Command } from './args.js';
import { formatCompare, formatRun, formatTrials, jsonCompare, jsonReport, jsonTrials, type CompareRow } from './report.js';
import type { SimConfig } from '../sim/model/config.js';
import { RedisSimulation } from '../sim/stores/redis/controller.js';
import { connectRedis, disconnect } from '../sim/stores/redis/connect.js';
import { RedisLayerError } from '../sim/stores/redis/errors.js';
import { startRedisServer, type RedisServer } from '../sim/stores/redis/server.js';
import type { Report } from '../sim/engine/simulation.js';
import { summarize, type TrialOutcome } from '../sim/engine/trials.js';
import { money } from '../sim/engine/trace.js';
import { TraceWriter, type TraceFd } from './trace-file.js';
import { version } from './version.js';

const EXIT = { OK: 0, VIOLATED: 1, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

/** Most trials on Redis: each one is a whole run (connections, join, start). */
export const MAX_REDIS_TRIALS = 1000;

export async function redisCommand(cmd: Command, signal: AbortSignal, traceFile: TraceFd | null): Promise<number> {
  let server: RedisServer | null = null;
  try {
    let url = cmd.redis!.url;
    if (url === null) {
      server = await startRedisServer();
      url = server.url;
    } else {
      disconnect(await connectRedis(url)); // unreachable: a clear error in seconds, before anything starts
    }
    const make = (config: SimConfig, collectTrace = false): RedisSimulation => new RedisSimulation({ ...config, store: 'redis' }, { ...cmd.redis!, url: url!, collectTrace });
    switch (cmd.command) {
      case 'run':
        return await run(cmd, signal, make, traceFile);
      case 'trials':
        return await trials(cmd, signal, make);
      case 'tui':
        if (process.stdout.isTTY && process.stdin.isTTY && !cmd.json) {
          delete process.env.CI;
          delete process.env.CONTINUOUS_INTEGRATION;
          const { runDashboard } = await import('../ui/run-dashboard.js');
          return await runDashboard(cmd, (config) => make(config));
        }
        return await compare(cmd, signal, make);
      default:
        return await compare(cmd, signal, make);
    }
  } catch (error) {
    if (error instanceof RedisLayerError) {
      process.stderr.write(`bank-sim: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    await server?.stop();
  }
}

type Make = (config: SimConfig, collectTrace?: boolean) => RedisSimulation;

async function simulate(sim: RedisSimulation, signal: AbortSignal): Promise<Report> {
  const onAbort = (): void => void sim.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await sim.run();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function exitFor(cmd: Command, reports: Report[], signal: AbortSignal): number {
  if (reports.some((r) => r.redis?.failure)) return EXIT.FAILED;
  if (signal.aborted || reports.some((r) => r.interrupted)) return EXIT.INTERRUPTED;
  return cmd.check && reports.some((r) => !r.ok) ? EXIT.VIOLATED : EXIT.OK;
}

async function run(cmd: Command, signal: AbortSignal, make: Make, traceFile: TraceFd | null): Promise<number> {
  const sim = make(cmd.config, cmd.trace !== null);
  // The trace streams every event as the run goes (opened and checked before it started).
  const trace = traceFile !== null && cmd.trace ? new TraceWriter(traceFile, cmd.trace, sim) : null;
  trace?.start();
  const report = await simulate(sim, signal);
  try {
    await trace?.finish();
  } catch (error) {
    process.stderr.write(`bank-sim: ${(error as Error).message}\n`);
    return EXIT.FAILED;
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(jsonReport(report, sim.config, version()), null, 2)}\n`);
  } else {
    process.stdout.write(`${formatRun(report, sim.config, sim.names, sim.events())}\n${formatRedis(report)}\n`);
  }
  if (report.redis?.failure) process.stderr.write(`bank-sim: the run ended early: ${report.redis.failure}\n`);
  return exitFor(cmd, [report], signal);
}

async function compare(cmd: Command, signal: AbortSignal, make: Make): Promise<number> {
  const rows: CompareRow[] = [];
  for (const sync of cmd.strategies) {
    if (signal.aborted) break;
    const report = await simulate(make({ ...cmd.config, sync }), signal);
    rows.push({ label: sync, report });
    if (report.redis?.failure) break;
  }
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify(jsonCompare(rows, cmd.config, version()), null, 2)}\n`);
  } else {
    process.stdout.write(`${formatCompare(rows, cmd.config)}\n${chalk.dim(`  on Redis ${rows[0]?.report.redis?.url ?? ''}, agents as ${cmd.redis!.agentsOn}`)}\n`);
  }
  const failed = rows.find((r) => r.report.redis?.failure);
  if (failed) process.stderr.write(`bank-sim: the run of ${failed.label} ended early: ${failed.report.redis!.failure}\n`);
  return exitFor(
    cmd,
    rows.map((r) => r.report),
    signal,
  );
}

/** Trials on Redis: whole runs one after another, outcomes grouped as for shared-memory trials. */
async function trials(cmd: Command, signal: AbortSignal, make: Make): Promise<number> {
  if (cmd.trials > MAX_REDIS_TRIALS) {
    process.stderr.write(`bank-sim: -n/--trials on Redis is at most ${MAX_REDIS_TRIALS} (each trial is a whole run; got ${cmd.trials})\n`);
    return EXIT.USAGE;
  }
  const groups = new Map<string, TrialOutcome>();
  let expected: number | null | undefined;
  let done = 0;
  let failure: string | null = null;
  const t0 = performance.now();
  for (; done < cmd.trials && !signal.aborted; done++) {
    const r = await simulate(make(cmd.config), signal);
    if (r.interrupted || signal.aborted) break;
    if (r.redis?.failure) {
      failure = r.redis.failure;
      break;
    }
    expected = expected === undefined || expected === r.expected ? r.expected : null;
    const key = `${r.ok}|${r.balance}|${r.violations.map((v) => v.name).join(',')}`;
    const group = groups.get(key) ?? { verdict: r.ok ? 'acceptable' : 'forbidden', balance: r.balance, count: 0, violations: r.violations };
    group.count++;
    groups.set(key, group);
    if (process.stderr.isTTY) process.stderr.write(`\r${done + 1}/${cmd.trials} trials`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const durationMs = performance.now() - t0;
  const result = summarize(cmd.config, groups, { trials: done, expected: expected ?? null, durationMs, stride: 1, interrupted: signal.aborted });
  process.stdout.write(cmd.json ? `${JSON.stringify(jsonTrials(result, version()), null, 2)}\n` : `${formatTrials(result)}\n`);
  if (failure) {
    process.stderr.write(`bank-sim: trial ${done + 1} ended early: ${failure}\n`);
    return EXIT.FAILED;
  }
  if (result.interrupted) return EXIT.INTERRUPTED;
  return cmd.check && result.forbidden > 0 ? EXIT.VIOLATED : EXIT.OK;
}

/** What a run on Redis adds to the report: where, the store's counters, each agent's share, the faults. */
export function formatRedis(r: Report): string {
  const x = r.redis;
  if (!x) return '';
  const n = (v: number): string => v.toLocaleString('en-US');
  const lines = [`  on Redis       ${x.url} (run ${x.runId}), agents as ${x.agentsOn}${x.dispatch === 'queue' ? ', transactions from a queue (stream + consumer group)' : ''}`];
  const counters = [
    x.aborts ? `${n(x.aborts)} WATCH aborts (EXEC refused: retried)` : '',
    x.fencedRejects ? `${n(x.fencedRejects)} writes refused by fencing` : '',
    x.lockLost ? `${n(x.lockLost)} unlocks found their lock expired (lock TTL ${x.lockTtlMs} ms)` : '',
    x.denied ? `${n(x.denied)} withdrawals refused by the Lua check` : '',
  ].filter(Boolean);
  if (counters.length) lines.push(`  store          ${counters.join('; ')}`);
  const total = x.shares.reduce((a, s) => a + s.transactions, 0);
  const share = x.shares
    .map(
      (s) =>
        `${s.agent} ${n(s.transactions)}${x.dispatch === 'queue' && total ? ` (${Math.round((s.transactions * 100) / total)}%)` : ''}${s.pid !== null && x.agentsOn !== 'threads' ? ` pid ${s.pid}${x.agentsOn === 'remote' ? `@${s.host}` : ''}` : ''}`,
    )
    .join(', ');
  lines.push(`  agents         ${share}`);
  for (const note of x.notes) lines.push(chalk.yellow(`  ${note}`));
  if (x.failure)
    lines.push(chalk.red(`  RUN ENDED EARLY: ${x.failure}; the figures above are the last ones read (balance ${money(r.balance)} after ${n(r.transactions)} transactions)`));
  return lines.join('\n');
}
