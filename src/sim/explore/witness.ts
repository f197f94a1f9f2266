/**
 * A schedule replayed on the model, step by step, for showing: what each move did (values read
 * and written, locks taken) and the state after it, plus a one-line explanation of why the
 * outcome is forbidden.
 */
import type { SimConfig } from '../model/config.js';
import type { Seen, StepResults, WriteResult } from '../model/steps.js';
import { money } from '../engine/trace.js';
import { updateNoun } from '../model/verdict.js';
import { Machine, type ModelOutcome } from './machine.js';

export interface WitnessRow {
  agent: number;
  /** What the move did, e.g. "read $0.00", "write $1.00 over $1.00 (stale)". */
  did: string;
  /** The balances after it, and the locks held. */
  after: string;
}

export interface Witness {
  names: string[];
  rows: WitnessRow[];
  outcome: ModelOutcome;
  explanation: string;
}

interface Commit {
  agent: number;
  account: number;
  row: number;
}

export function traceSchedule(config: SimConfig, schedule: readonly number[]): Witness {
  const m = new Machine(config);
  const rows: WitnessRow[] = [];
  const lastRead = new Map<number, { account: number; value: number; row: number }>();
  const commits: Commit[] = [];
  const reads: { agent: number; account: number; value: number; row: number }[] = [];
  let firstStale: { agent: number; account: number; wrote: number; seen: number; row: number } | null = null;
  for (const a of schedule) {
    const move = m.move(a)!;
    const result = m.take(a);
    const step = move.step;
    let did: string;
    if (move.kind === 'relock') did = 'wakes, re-takes lock 0';
    else
      switch (step.op) {
        case 'read': {
          const seen = result as Seen;
          did = `read ${money(seen.value)}`;
          lastRead.set(a, { account: step.account, value: seen.value, row: rows.length });
          reads.push({ agent: a, account: step.account, value: seen.value, row: rows.length });
          break;
        }
        case 'write': {
          const w = result as WriteResult;
          did = `write ${money(step.value)}${w.stale ? ` over ${money(w.overwritten)}` : ''}`;
          if (w.stale && !firstStale) firstStale = { agent: a, account: step.account, wrote: step.value, seen: step.seen.value, row: rows.length };
          commits.push({ agent: a, account: step.account, row: rows.length });
          break;
        }
        case 'cas':
          did = `cas ${money(step.seen.value)} -> ${money(step.value)}: ${result ? 'ok' : 'failed'}`;
          if (result) commits.push({ agent: a, account: step.account, row: rows.length });
          break;
        case 'add': {
          const r = result as StepResults['add'];
          did = r.ok ? `add ${step.delta < 0 ? '-' : '+'}${money(Math.abs(step.delta))} = ${money(r.value)}` : `add ${money(step.delta)}: refused`;
          if (r.ok) commits.push({ agent: a, account: step.account, row: rows.length });
          break;
        }
        case 'tryLock':
          did = `tryLock ${m.lockName(step.lock)}: ${result ? 'ok' : 'busy'}`;
          break;
        case 'lock':
        case 'unlock':
          did = `${step.op === 'lock' ? 'lock' : 'unlock'} ${m.lockName(step.lock).replace(/^lock /, '')}`;
          break;
        case 'wait':
          did = 'wait (lets go of lock 0)';
          break;
        case 'enter':
          did = `enter (serving ${m.servingNow()})`;
          break;
        default:
          did = step.op;
      }
    const balances = Array.from({ length: config.accounts }, (_, k) => money(m.balance(k))).join(' ');
    const locks = m.lockState();
    rows.push({ agent: a, did, after: locks ? `${balances}  ${locks}` : balances });
  }
  const outcome = m.outcome();
  const names = m.names;
  let explanation: string;
  const noun = updateNoun(config).replace(/s$/, '');
  if (outcome.outcome.deadlock) explanation = `deadlock: ${outcome.outcome.deadlock.text}`;
  else if (firstStale) {
    const x = firstStale;
    const read = [...reads].reverse().find((r) => r.agent === x.agent && r.account === x.account && r.row < x.row)!;
    const erased = commits.filter((c) => c.account === x.account && c.agent !== x.agent && c.row > read.row && c.row < x.row).map((c) => c.agent);
    const who = [...new Set(erased)].map((e) => names[e]!);
    const sameRead = who.length > 0 && who.every((w) => reads.some((r) => names[r.agent] === w && r.account === x.account && r.value === x.seen));
    const whose = who.length === 1 ? `${who[0]}'s ${noun}` : `${who.join(' and ')}'s ${noun}s`;
    explanation = sameRead
      ? `${[names[x.agent], ...who].join(' and ')} ${who.length > 1 ? 'all' : 'both'} read ${money(x.seen)}; ${names[x.agent]}'s write erased ${whose}`
      : `${names[x.agent]} read ${money(x.seen)} before ${who.join(' and ')} wrote; its write of ${money(x.wrote)} erased ${whose}`;
    if (config.accounts > 1) explanation += ` (account ${x.account + 1})`;
  } else if (outcome.verdict.violations.length > 0) explanation = outcome.verdict.violations.map((v) => v.reason).join('; ');
  else explanation = outcome.stuck ?? 'every invariant held';
  if (outcome.stuck && !explanation.includes(outcome.stuck)) explanation += `; left waiting: ${outcome.stuck}`;
  return { names, rows, outcome, explanation };
}
