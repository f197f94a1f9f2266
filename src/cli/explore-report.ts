/**
 * The explore command's output: the jcstress-style outcome table (with the measured share from
 * real trials beside the model's), the lincheck-style witnesses, and the --json form (money in
 * integer cents).
 */
import chalk from 'chalk';
import { describeConfig } from './report.js';
import { formatCommand } from './format-args.js';
import type { SimConfig } from '../sim/model/config.js';
import type { ExploreResult, OutcomeResult } from '../sim/explore/enumerate.js';
import type { Witness } from '../sim/explore/witness.js';
import { money } from '../sim/engine/trace.js';
import type { TrialsResult } from '../sim/engine/trials.js';

/** What real trials measured for one model outcome (null: no trial group of that outcome). */
export interface Measured {
  count: number;
  share: number;
  /** Several model outcomes fall into this one trials group (trials group by total balance). */
  shared: boolean;
}

export interface ExploreView {
  result: ExploreResult;
  witnesses: Map<OutcomeResult, Witness>;
  measured: Map<OutcomeResult, Measured | null> | null;
  trials: TrialsResult | null;
  /** Trial outcomes the model has no outcome for ("verdict balance violations"). */
  unexplained: string[];
}

const n = (x: number): string => x.toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;

/** The outcome in a few words: balances, and a deadlock or agents left waiting. */
export function outcomeLabel(o: OutcomeResult): string {
  const b = o.model.balances;
  const balances = b.length === 1 ? money(b[0]!) : b.map((x, i) => `#${i + 1} ${money(x)}`).join(' ');
  if (o.model.outcome.deadlock) return `deadlock, ${balances}`;
  if (o.model.stuck) return `stuck, ${balances}`;
  return balances;
}

/** The trials-group key of a model outcome (trials group by verdict, total balance, violation names). */
export function trialsKey(ok: boolean, balance: number, names: string[]): string {
  return `${ok}|${balance}|${names.join(',')}`;
}

/** The command line that replays a witness on real threads: every flag that shapes the program (format-args.ts). */
export function replayCommand(c: SimConfig, names: readonly string[], schedule: readonly number[]): string {
  return formatCommand(c, { command: 'run', replay: schedule.map((a) => names[a]).join(',') });
}

function renderWitness(w: Witness): string[] {
  const cols = w.names.map((name, a) => Math.max(name.length, ...w.rows.filter((r) => r.agent === a).map((r) => r.did.length)));
  const head = ['    #', ...w.names.map((name, a) => name.padEnd(cols[a]!)), 'after'].join('  ');
  const lines = [chalk.bold(head)];
  w.rows.forEach((r, i) => {
    const cells = w.names.map((_, a) => (a === r.agent ? r.did : '').padEnd(cols[a]!));
    lines.push([String(i + 1).padStart(5), ...cells, chalk.dim(r.after)].join('  '));
  });
  return lines;
}

export function formatExplore(v: ExploreView): string {
  const r = v.result;
  const c = r.config;
  const out: string[] = [];
  out.push(chalk.bold(`bank-sim explore: ${c.scenario} scenario, sync ${chalk.cyan(c.sync)}`) + chalk.dim(`  (${describeConfig(c)}; windows ignored)`));
  if (c.scenario === 'transfer') {
    const moves = r.inputs.map((txs, a) => `${r.names[a]} ${txs.map((t) => `${money(t.amount)} #${t.from + 1}->#${t.to + 1}`).join(', ')}`);
    out.push(chalk.dim(`  inputs (from --seed ${c.seed}): ${moves.join('; ')}`));
  }
  out.push('');
  const bound = r.maxPreemptions === null ? '' : ` with at most ${r.maxPreemptions} preemption${r.maxPreemptions === 1 ? '' : 's'}`;
  out.push(
    `  ${n(r.interleavings)} interleavings${bound}, ${r.classes === null ? '?' : n(r.classes)} classes (Mazurkiewicz traces), ${n(r.outcomes.length)} distinct outcome${r.outcomes.length === 1 ? '' : 's'}` +
      chalk.dim(`   (${n(r.states)} states in ${Math.round(r.durationMs)} ms, ${n(Math.round(r.statesPerSecond))} states/s)`),
  );
  if (r.stopped) out.push(chalk.yellow(`  PARTIAL: ${r.stopped.message}; the counts cover only what was explored.`));
  out.push('');
  const labels = r.outcomes.map(outcomeLabel);
  const lw = Math.max(7, ...labels.map((l) => l.length));
  const measuredCol = v.measured !== null;
  out.push(
    chalk.bold(
      `  ${'outcome'.padEnd(lw)}  ${'verdict'.padEnd(10)}  ${'interleavings'.padStart(13)}  ${'share'.padStart(6)}${measuredCol ? `  ${'measured'.padStart(16)}` : ''}  why`,
    ),
  );
  r.outcomes.forEach((o, i) => {
    const m = v.measured?.get(o);
    const measured = measuredCol ? `  ${(m ? `${n(m.count)} (${pct(m.share)})${m.shared ? '*' : ''}` : '0').padStart(16)}` : '';
    const why = o.model.verdict.violations.length ? o.model.verdict.violations.map((x) => `${x.name}: ${x.reason}`).join('; ') : 'every invariant held';
    const line = `  ${labels[i]!.padEnd(lw)}  ${(o.model.verdict.ok ? 'ACCEPTABLE' : 'FORBIDDEN').padEnd(10)}  ${n(o.interleavings).padStart(13)}  ${pct(o.share).padStart(6)}${measured}  ${why}`;
    out.push(o.model.verdict.ok ? chalk.green(line) : chalk.red(line));
  });
  if (v.trials) {
    const t = v.trials;
    out.push(
      chalk.dim(
        `  measured: ${n(t.trials)} real trials (${describeConfig(c).match(/window [^,]+/)?.[0] ?? ''}), grouped by verdict and total balance${[...(v.measured?.values() ?? [])].some((m) => m?.shared) ? '; * one trials group for several model outcomes' : ''}`,
      ),
    );
    for (const u of v.unexplained) out.push(chalk.yellow(`  measured but not in the model: ${u}`));
  }
  const forbidden = r.outcomes.filter((o) => !o.model.verdict.ok);
  if (forbidden.length === 0) out.push('', chalk.green('  No forbidden outcome: every interleaving keeps every invariant.'));
  for (const o of forbidden) {
    const w = v.witnesses.get(o)!;
    out.push('');
    out.push(chalk.bold(`Witness: ${outcomeLabel(o)}, ${o.witness.preemptions} preemption${o.witness.preemptions === 1 ? '' : 's'}`) + `  ${w.explanation}`);
    out.push(...renderWitness(w));
    out.push(chalk.dim(`  replay on real threads: ${replayCommand(c, r.names, o.witness.schedule)}`));
  }
  return out.join('\n');
}

export function exploreJson(v: ExploreView): unknown {
  const r = v.result;
  return {
    scenario: r.config.scenario,
    sync: r.config.sync,
    config: r.config,
    agents: r.names,
    interleavings: r.interleavings,
    classes: r.classes,
    distinctOutcomes: r.outcomes.length,
    maxPreemptions: r.maxPreemptions,
    complete: r.stopped === null,
    stopped: r.stopped?.message ?? null,
    states: r.states,
    durationMs: r.durationMs,
    statesPerSecond: r.statesPerSecond,
    outcomes: r.outcomes.map((o) => {
      const m = v.measured?.get(o);
      const w = v.witnesses.get(o);
      return {
        balance: o.model.balances.reduce((s, b) => s + b, 0),
        balances: o.model.balances,
        verdict: o.model.verdict.ok ? 'acceptable' : 'forbidden',
        violations: o.model.verdict.violations,
        deadlock: o.model.outcome.deadlock,
        stuck: o.model.stuck,
        interleavings: o.interleavings,
        share: o.share,
        ...(v.measured ? { measured: m ? { count: m.count, share: m.share, shared: m.shared } : { count: 0, share: 0, shared: false } } : {}),
        witness: {
          schedule: o.witness.schedule.map((a) => r.names[a]),
          preemptions: o.witness.preemptions,
          ...(w ? { explanation: w.explanation, replay: replayCommand(r.config, r.names, o.witness.schedule) } : {}),
        },
      };
    }),
    ...(v.trials ? { trials: v.trials.trials, unexplained: v.unexplained } : {}),
  };
}
