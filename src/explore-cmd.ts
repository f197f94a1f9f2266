/**
 * `bank-sim explore` (every interleaving, judged, with witnesses and optional measured shares)
 * and `bank-sim run --replay` (a schedule driven through the real threads).
 */
import type { Command } from './args.js';
import { exploreJson, formatExplore, trialsKey, type ExploreView, type Measured } from './explore-report.js';
import { formatRun } from './report.js';
import { agentCount } from './sim/config.js';
import { UnsupportedProgram } from './sim/explore/agent-program.js';
import { explore, type OutcomeResult } from './sim/explore/enumerate.js';
import { Machine } from './sim/explore/machine.js';
import { checkSchedule, parseSchedule, ScheduleError } from './sim/explore/schedule.js';
import { traceSchedule, type Witness } from './sim/explore/witness.js';
import { replay, ReplayStuck } from './sim/replay.js';
import { runTrials } from './sim/trials.js';

const EXIT = { OK: 0, VIOLATED: 1, USAGE: 2, INTERRUPTED: 130 } as const;
/** More agents than this make an exhaustive search pointless (and sleep sets use 31-bit masks). */
const MAX_AGENTS = 12;

function usage(message: string): number {
  process.stderr.write(`bank-sim: ${message}\n`);
  return EXIT.USAGE;
}

/** Refusals shared by explore and replay: what the model cannot stand for. */
function refuse(cmd: Command): string | null {
  const c = cmd.config;
  if (c.crashAt) return `--crash does not apply to '${cmd.command === 'explore' ? 'explore' : 'run --replay'}': the model has no crashes`;
  if (agentCount(c) > MAX_AGENTS) return `explore and --replay take at most ${MAX_AGENTS} agents (got ${agentCount(c)}): every interleaving of more is out of reach`;
  if (c.sync === 'async' || c.sync === 'async-mutex') return `--sync ${c.sync} runs its agents on one event loop: explore and --replay model the thread strategies (its steps are the same as ${c.sync === 'async' ? 'none' : 'mutex'})`;
  try {
    new Machine(c); // draws the programs' first steps: a livelock-prone program is refused here
  } catch (error) {
    if (error instanceof UnsupportedProgram) return error.message;
    throw error;
  }
  return null;
}

export async function exploreCommand(cmd: Command, signal: AbortSignal): Promise<number> {
  const refused = refuse(cmd);
  if (refused) return usage(refused);
  const c = cmd.config;
  const progress = process.stderr.isTTY
    ? (states: number, ms: number): void => void process.stderr.write(`\rexploring: ${states.toLocaleString('en-US')} states, ${(ms / 1000).toFixed(1)} s`)
    : undefined;
  let result;
  try {
    result = explore(c, { maxPreemptions: cmd.explore.maxPreemptions, maxStates: cmd.explore.maxStates, timeLimitMs: cmd.explore.timeLimitMs, onProgress: progress });
  } catch (error) {
    if (error instanceof UnsupportedProgram) return usage(error.message);
    throw error;
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
  }
  if (result.stopped) {
    process.stderr.write(`bank-sim explore: ${result.stopped.message}; counts so far: ${result.interleavings.toLocaleString('en-US')} interleavings, ${result.outcomes.length} outcomes (raise --max-states / --time-limit, or bound with --max-preemptions)\n`);
  }
  const witnesses = new Map<OutcomeResult, Witness>();
  for (const o of result.outcomes) if (!o.model.verdict.ok && o.witness.schedule.length > 0) witnesses.set(o, traceSchedule(c, o.witness.schedule));
  const view: ExploreView = { result, witnesses, measured: null, trials: null, unexplained: [] };
  if (cmd.given.includes('trials')) {
    const trials = await runTrials(c, { trials: cmd.trials, signal });
    if (trials.interrupted) return EXIT.INTERRUPTED;
    view.trials = trials;
    const groups = new Map(trials.outcomes.map((t) => [trialsKey(t.verdict === 'acceptable', t.balance, t.violations.map((x) => x.name)), t]));
    const keyOf = (o: OutcomeResult): string =>
      trialsKey(o.model.verdict.ok, o.model.balances.reduce((s, b) => s + b, 0), o.model.verdict.violations.map((x) => x.name));
    const perKey = new Map<string, number>();
    for (const o of result.outcomes) perKey.set(keyOf(o), (perKey.get(keyOf(o)) ?? 0) + 1);
    view.measured = new Map<OutcomeResult, Measured | null>();
    for (const o of result.outcomes) {
      const g = groups.get(keyOf(o));
      view.measured.set(o, g ? { count: g.count, share: g.count / trials.trials, shared: perKey.get(keyOf(o))! > 1 } : null);
    }
    for (const [key, t] of groups) {
      if (!perKey.has(key)) view.unexplained.push(`${t.verdict} balance ${t.balance} (${t.count} trials): ${t.violations.map((x) => x.reason).join('; ') || 'every invariant held'}`);
    }
  }
  process.stdout.write(cmd.json ? `${JSON.stringify(exploreJson(view), null, 2)}\n` : `${formatExplore(view)}\n`);
  if (cmd.check && (result.stopped || result.outcomes.some((o) => !o.model.verdict.ok))) return EXIT.VIOLATED;
  return EXIT.OK;
}

export async function replayCommand(cmd: Command, signal: AbortSignal): Promise<number> {
  const refused = refuse(cmd);
  if (refused) return usage(refused);
  const c = cmd.config;
  const m = new Machine(c);
  let schedule: number[];
  let model: ReturnType<Machine['outcome']> | null = null;
  let complete: boolean;
  try {
    schedule = parseSchedule(cmd.explore.replay ?? '', m.names);
    complete = checkSchedule(c, schedule, true).complete;
    if (complete) model = traceSchedule(c, schedule).outcome;
  } catch (error) {
    if (error instanceof ScheduleError) return usage(`--replay: ${error.message}`);
    throw error;
  }
  let result;
  try {
    result = await replay(c, schedule, { signal });
  } catch (error) {
    if (error instanceof ReplayStuck) {
      if (signal.aborted) return EXIT.INTERRUPTED;
      process.stderr.write(`bank-sim: replay stuck: ${error.message}\n`);
      return EXIT.VIOLATED;
    }
    throw error;
  }
  const { sim, report } = result;
  const matches = model ? sameOutcome(report, model) : null;
  if (cmd.json) {
    const predicted = model ? { balances: model.balances, violations: model.verdict.violations } : null;
    process.stdout.write(`${JSON.stringify({ ...report, config: c, agentNames: sim.names, replay: { schedule: schedule.map((a) => m.names[a]), complete, model: predicted, matches } }, null, 2)}\n`);
  } else {
    const names = schedule.map((a) => m.names[a]).join(',');
    const note = !complete
      ? `replayed ${schedule.length} steps (${names}), then the agents ran free: the schedule does not reach the end, so the rest is up to the scheduler`
      : `replayed ${schedule.length} steps (${names}) on real threads; the model predicted ${model!.balances.map((b) => `$${(b / 100).toFixed(2)}`).join(' ')}${model!.outcome.deadlock ? ', deadlock' : ''}: ${matches ? 'match' : 'MISMATCH'}`;
    process.stdout.write(`${formatRun(report, c, sim.names, sim.events())}\n\n  ${note}\n`);
  }
  if (signal.aborted || report.interrupted) return EXIT.INTERRUPTED;
  if (matches === false) return EXIT.VIOLATED;
  return cmd.check && !report.ok ? EXIT.VIOLATED : EXIT.OK;
}

/** The real run ended as the model says: the same balances and the same verdict. */
export function sameOutcome(report: { accounts: { balance: number }[]; violations: { name: string; reason: string }[] }, model: ReturnType<Machine['outcome']>): boolean {
  return JSON.stringify(report.accounts.map((a) => a.balance)) === JSON.stringify(model.balances) && JSON.stringify(report.violations) === JSON.stringify(model.verdict.violations);
}
