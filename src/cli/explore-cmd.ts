/**
 * `bank-sim explore` (every interleaving, judged, with witnesses and optional measured shares)
 * and `bank-sim run --replay` (a schedule driven through the real threads).
 */
import type { Command } from './args.js';
import type { SimConfig } from '../sim/model/config.js';
import { exploreJson, formatExplore, trialsKey, type ExploreView, type Measured } from './explore-report.js';
import { formatRun, jsonReport } from './report.js';
import { agentCount } from '../sim/model/config.js';
import { UnsupportedProgram } from '../sim/explore/agent-program.js';
import { explore, type ExploreResult, type OutcomeResult } from '../sim/explore/enumerate.js';
import { Machine } from '../sim/explore/machine.js';
import { checkSchedule, parseSchedule, ScheduleError } from '../sim/explore/schedule.js';
import { traceSchedule, type Witness } from '../sim/explore/witness.js';
import { replay, ReplayStuck, sameOutcome, type ReplayPlan, type ReplayResult } from '../sim/engine/replay.js';

export type { ReplayPlan };
import { runTrials } from '../sim/engine/trials.js';
import { openRun } from '../sim/open-run.js';
import { EXIT } from './exit.js';
import { version } from './version.js';

/** More agents than this make an exhaustive search pointless (and sleep sets use 31-bit masks). */
const MAX_AGENTS = 12;

function usage(message: string): number {
  process.stderr.write(`bank-sim: ${message}\n`);
  return EXIT.USAGE;
}

/** Refusals shared by explore and replay: what the model cannot stand for. */
function refuse(command: Command['command'], c: SimConfig): string | null {
  if (c.crashAt) return `--crash does not apply to '${command === 'explore' ? 'explore' : `${command} --replay`}': the model has no crashes`;
  if (agentCount(c) > MAX_AGENTS) return `explore and --replay take at most ${MAX_AGENTS} agents (got ${agentCount(c)}): every interleaving of more is out of reach`;
  if (c.sync === 'async' || c.sync === 'async-mutex')
    return `--sync ${c.sync} runs its agents on one event loop: explore and --replay model the thread strategies (its steps are the same as ${c.sync === 'async' ? 'none' : 'mutex'})`;
  try {
    new Machine(c); // draws the programs' first steps: a livelock-prone program is refused here
  } catch (error) {
    if (error instanceof UnsupportedProgram) return error.message;
    throw error;
  }
  return null;
}

export async function exploreCommand(cmd: Command, signal: AbortSignal): Promise<number> {
  const refused = refuse(cmd.command, cmd.config);
  if (refused) return usage(refused);
  const c = cmd.config;
  const progress = process.stderr.isTTY
    ? (states: number, ms: number): void => void process.stderr.write(`\rexploring: ${states.toLocaleString('en-US')} states, ${(ms / 1000).toFixed(1)} s`)
    : undefined;
  let result: ExploreResult;
  try {
    result = explore(c, { maxPreemptions: cmd.explore.maxPreemptions, maxStates: cmd.explore.maxStates, timeLimitMs: cmd.explore.timeLimitMs, onProgress: progress });
  } catch (error) {
    if (error instanceof UnsupportedProgram) return usage(error.message);
    throw error;
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
  }
  if (result.stopped) {
    process.stderr.write(
      `bank-sim explore: ${result.stopped.message}; counts so far: ${result.interleavings.toLocaleString('en-US')} interleavings, ${result.outcomes.length} outcomes (raise --max-states / --time-limit, or bound with --max-preemptions)\n`,
    );
  }
  const witnesses = new Map<OutcomeResult, Witness>();
  for (const o of result.outcomes) if (!o.model.verdict.ok && o.witness.schedule.length > 0) witnesses.set(o, traceSchedule(c, o.witness.schedule));
  const view: ExploreView = { result, witnesses, measured: null, trials: null, unexplained: [] };
  if (cmd.given.includes('trials')) {
    const trials = await runTrials(c, { trials: cmd.trials, signal });
    if (trials.interrupted) return EXIT.INTERRUPTED;
    view.trials = trials;
    const groups = new Map(
      trials.outcomes.map((t) => [
        trialsKey(
          t.verdict === 'acceptable',
          t.balance,
          t.violations.map((x) => x.name),
        ),
        t,
      ]),
    );
    const keyOf = (o: OutcomeResult): string =>
      trialsKey(
        o.model.verdict.ok,
        o.model.balances.reduce((s, b) => s + b, 0),
        o.model.verdict.violations.map((x) => x.name),
      );
    const perKey = new Map<string, number>();
    for (const o of result.outcomes) perKey.set(keyOf(o), (perKey.get(keyOf(o)) ?? 0) + 1);
    view.measured = new Map<OutcomeResult, Measured | null>();
    for (const o of result.outcomes) {
      const g = groups.get(keyOf(o));
      view.measured.set(o, g ? { count: g.count, share: g.count / trials.trials, shared: perKey.get(keyOf(o))! > 1 } : null);
    }
    for (const [key, t] of groups) {
      if (!perKey.has(key))
        view.unexplained.push(`${t.verdict} balance ${t.balance} (${t.count} trials): ${t.violations.map((x) => x.reason).join('; ') || 'every invariant held'}`);
    }
  }
  process.stdout.write(cmd.json ? `${JSON.stringify(exploreJson(view), null, 2)}\n` : `${formatExplore(view)}\n`);
  if (cmd.check && (result.stopped || result.outcomes.some((o) => !o.model.verdict.ok))) return EXIT.VIOLATED;
  return EXIT.OK;
}

/**
 * Checks `--replay` for each configuration before anything runs: the plans, or the message to
 * exit 2 with (naming the step, and the strategy when there are several).
 */
export function planReplay(cmd: Command, configs: readonly SimConfig[]): ReplayPlan[] | string {
  const plans: ReplayPlan[] = [];
  for (const c of configs) {
    const refused = refuse(cmd.command, c);
    if (refused) return refused;
    const m = new Machine(c);
    try {
      const schedule = parseSchedule(cmd.explore.replay ?? '', m.names);
      const { complete } = checkSchedule(c, schedule, true);
      plans.push({ config: c, names: m.names, schedule, complete, model: complete ? traceSchedule(c, schedule) : null });
    } catch (error) {
      if (error instanceof ScheduleError) return `--replay${configs.length > 1 ? ` (--sync ${c.sync})` : ''}: ${error.message}`;
      throw error;
    }
  }
  return plans;
}

export async function replayCommand(cmd: Command, signal: AbortSignal): Promise<number> {
  const planned = planReplay(cmd, [cmd.config]);
  if (typeof planned === 'string') return usage(planned);
  const { config: c, names: agentNames, schedule, complete } = planned[0]!;
  const model = planned[0]!.model?.outcome ?? null;
  const sim = openRun(c);
  let result: ReplayResult;
  try {
    result = await replay(sim, schedule, { signal });
  } catch (error) {
    if (error instanceof ReplayStuck) {
      if (signal.aborted) return EXIT.INTERRUPTED;
      process.stderr.write(`bank-sim: replay stuck: ${error.message}\n`);
      return EXIT.VIOLATED;
    }
    throw error;
  }
  const { report } = result;
  const matches = model ? sameOutcome(report, model) : null;
  if (cmd.json) {
    const predicted = model ? { balances: model.balances, violations: model.verdict.violations } : null;
    process.stdout.write(
      `${JSON.stringify({ ...jsonReport(report, c, version()), replay: { schedule: schedule.map((a) => agentNames[a]), complete, model: predicted, matches } }, null, 2)}\n`,
    );
  } else {
    const names = schedule.map((a) => agentNames[a]).join(',');
    const note = !complete
      ? `replayed ${schedule.length} steps (${names}), then the agents ran free: the schedule does not reach the end, so the rest is up to the scheduler`
      : `replayed ${schedule.length} steps (${names}) on real threads; the model predicted ${model!.balances.map((b) => `$${(b / 100).toFixed(2)}`).join(' ')}${model!.outcome.deadlock ? ', deadlock' : ''}: ${matches ? 'match' : 'MISMATCH'}`;
    process.stdout.write(`${formatRun(report, c, sim.names, sim.events())}\n\n  ${note}\n`);
  }
  if (signal.aborted || report.interrupted) return EXIT.INTERRUPTED;
  if (matches === false) return EXIT.VIOLATED;
  return cmd.check && !report.ok ? EXIT.VIOLATED : EXIT.OK;
}
