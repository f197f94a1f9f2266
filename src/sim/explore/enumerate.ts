/**
 * Every interleaving of the agents' programs, counted without walking each one: the number of
 * complete schedules from a state depends only on the state (and, for preemption counts, on
 * who moved last), so each distinct state is expanded once and its summary (per outcome: how
 * many schedules reach it, the fewest preemptions on the way, and that schedule) is reused
 * wherever the state is reached again. Raw interleavings are the sum of those counts.
 *
 * A preemption (as CHESS counts them) is a switch away from an agent that could have gone on;
 * switching after an agent finished or blocked is free. `maxPreemptions` keeps only schedules
 * with at most that many (context bounding).
 */
import type { SimConfig } from '../model/config.js';
import type { Tx } from '../model/programs.js';
import { countClasses } from './classes.js';
import { Machine, type ModelOutcome } from './machine.js';
import { Budget, LimitReached, type Limits } from './limits.js';

/**
 * What can happen from one state: per outcome reached (by id), the number of complete
 * schedules, the fewest preemptions among them, and the first move of such a schedule (the
 * witness is rebuilt by following first moves through the memo). Parallel arrays: millions of
 * these are kept, so they must be light.
 */
/** Quadruples (outcome id, count, fewest preemptions, first move), flat. */
type Summary = number[];
const ID = 0;
const COUNT = 1;
const PRE = 2;
const FIRST = 3;
const W = 4;

function find(summary: Summary, id: number): number {
  for (let i = 0; i < summary.length; i += W) if (summary[i + ID] === id) return i;
  return -1;
}

export interface OutcomeResult {
  model: ModelOutcome;
  interleavings: number;
  share: number;
  witness: { schedule: number[]; preemptions: number };
}

export interface ExploreResult {
  config: SimConfig;
  names: string[];
  /** Each agent's transactions (drawn from the seed as the real agents draw them). */
  inputs: Tx[][];
  interleavings: number;
  /** Mazurkiewicz traces (null if the limit struck before they were counted). */
  classes: number | null;
  outcomes: OutcomeResult[];
  /** States expanded (both passes) and moves performed. */
  states: number;
  transitions: number;
  durationMs: number;
  statesPerSecond: number;
  maxPreemptions: number | null;
  /** Null when the whole space was explored; otherwise why it stopped (the counts are partial). */
  stopped: LimitReached | null;
}

export interface ExploreOptions extends Limits {
  maxPreemptions?: number | null;
}

function merge(into: Summary, child: Summary, agent: number, cost: number): void {
  for (let i = 0; i < child.length; i += W) {
    const pre = child[i + PRE]! + cost;
    const at = find(into, child[i + ID]!);
    if (at < 0) into.push(child[i + ID]!, child[i + COUNT]!, pre, agent);
    else {
      into[at + COUNT]! += child[i + COUNT]!;
      if (pre < into[at + PRE]!) {
        into[at + PRE] = pre;
        into[at + FIRST] = agent;
      }
    }
  }
}

const empty = (): Summary => [];

export function explore(config: SimConfig, options: ExploreOptions = {}): ExploreResult {
  const m = new Machine(config);
  const bound = options.maxPreemptions ?? null;
  const budget = new Budget(options);
  const memo = new Map<string, Summary>();
  // Terminal states: judged once per distinct store (the verdict writes sentences: not cheap).
  const terminal = new Map<string, Summary>();
  const outcomes: ModelOutcome[] = [];
  const outcomeIds = new Map<string, number>();
  let transitions = 0;

  const memoKey = (lastOn: number, left: number): string => (bound === null ? `${m.key()}/${lastOn}` : `${m.key()}/${lastOn}/${left}`);
  const lastEnabled = (enabled: number[], last: number): number => (last >= 0 && enabled.includes(last) ? last : -1);

  const end = (): Summary => {
    const signature = m.allFinished() ? m.s.join(',') : m.key();
    let summary = terminal.get(signature);
    if (!summary) {
      const outcome = m.outcome();
      let id = outcomeIds.get(outcome.key);
      if (id === undefined) {
        id = outcomes.push(outcome) - 1;
        outcomeIds.set(outcome.key, id);
      }
      summary = [id, 1, 0, -1];
      terminal.set(signature, summary);
    }
    return summary;
  };

  const walk = (last: number, left: number): Summary => {
    const enabled = m.enabledAgents();
    if (enabled.length === 0) return end();
    const lastOn = lastEnabled(enabled, last);
    const key = memoKey(lastOn, left);
    const known = memo.get(key);
    if (known) return known;
    budget.tick();
    const acc = empty();
    for (const a of enabled) {
      const cost = lastOn >= 0 && a !== lastOn ? 1 : 0;
      if (bound !== null && cost > left) continue;
      const saved = m.s;
      const node = m.nodes[a]!;
      m.s = saved.slice();
      m.take(a);
      transitions++;
      let child: Summary;
      try {
        child = walk(a, left - cost);
      } catch (error) {
        if (error instanceof LimitReached) {
          if (error.partial) merge(acc, error.partial as Summary, a, cost);
          error.partial = acc;
          memo.set(key, acc); // partial: only for rebuilding witnesses of what was seen
        }
        throw error;
      } finally {
        m.s = saved;
        m.nodes[a] = node;
      }
      merge(acc, child, a, cost);
    }
    memo.set(key, acc);
    return acc;
  };

  /** The schedule with the fewest preemptions to outcome `id`, following first moves through the memo. */
  const witness = (id: number): number[] => {
    m.reset();
    const schedule: number[] = [];
    let last = -1;
    let left = bound ?? 0;
    for (;;) {
      const enabled = m.enabledAgents();
      if (enabled.length === 0) break;
      const lastOn = lastEnabled(enabled, last);
      const summary = memo.get(memoKey(lastOn, left));
      const at = summary ? find(summary, id) : -1;
      if (!summary || at < 0) break; // the limit struck before this part was summarised
      const a = summary[at + FIRST]!;
      left -= lastOn >= 0 && a !== lastOn ? 1 : 0;
      m.take(a);
      schedule.push(a);
      last = a;
    }
    return schedule;
  };

  let summary: Summary;
  let stopped: LimitReached | null = null;
  let classes: number | null = null;
  try {
    summary = walk(-1, bound ?? 0);
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
    stopped = error;
    summary = (error.partial as Summary | undefined) ?? empty();
  }
  let interleavings = 0;
  for (let i = 0; i < summary.length; i += W) interleavings += summary[i + COUNT]!;
  const results = [];
  for (let i = 0; i < summary.length; i += W) {
    const id = summary[i + ID]!;
    const count = summary[i + COUNT]!;
    results.push({
      model: outcomes[id]!,
      interleavings: count,
      share: interleavings ? count / interleavings : 0,
      witness: { schedule: witness(id), preemptions: summary[i + PRE]! },
    } satisfies OutcomeResult);
  }
  results.sort(
    (x, y) =>
      Number(x.model.verdict.ok === false) - Number(y.model.verdict.ok === false) ||
      x.model.balances.reduce((s, b) => s + b, 0) - y.model.balances.reduce((s, b) => s + b, 0) ||
      x.model.key.localeCompare(y.model.key),
  );
  memo.clear();
  if (!stopped) {
    try {
      m.reset();
      classes = countClasses(m, bound, budget);
    } catch (error) {
      if (!(error instanceof LimitReached)) throw error;
      stopped = error;
    }
  }
  const durationMs = budget.elapsedMs();
  return {
    config,
    names: m.names,
    inputs: m.programs.map((p) => p.txs),
    interleavings,
    classes,
    outcomes: results,
    states: budget.states,
    transitions,
    durationMs,
    statesPerSecond: durationMs > 0 ? (budget.states * 1000) / durationMs : 0,
    maxPreemptions: bound,
    stopped,
  };
}
