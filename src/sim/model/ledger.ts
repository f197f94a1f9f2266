/**
 * The ledger of intent: what a run dispatched (every transaction of every agent, each with its
 * job id), against what a store says it applied. Jepsen's way: the history is checked against
 * the intent, never the other way round. A job applied twice, or applied without having been
 * dispatched, is an anomaly named by its id; the expected balances are the opening balances plus
 * the intended moves of the jobs that were applied (once each, whatever the store counted).
 */
import type { SimConfig } from './config.js';
import { transactionsOf } from './inputs.js';
import { money } from './money.js';
import type { Tx } from './programs.js';

/** A transaction's id: the agent that drew it and its number (1-based) among that agent's. */
export function jobId(agent: number, op: number): string {
  return `${agent}:${op}`;
}

/** What a store recorded for one job: how many times it was applied, and the cents per account. */
export interface Applied {
  count: number;
  /** Per account: the signed cents all its applications moved. */
  accounts: ReadonlyMap<number, { count: number; cents: number }>;
}

export interface Anomaly {
  job: string;
  reason: string;
}

export interface LedgerCheck {
  anomalies: Anomaly[];
  /** Per account: the opening balance plus the intended moves of every job applied. */
  expected: number[];
  /** Jobs dispatched, and how many of them were applied (at least once). */
  dispatched: number;
  applied: number;
}

/** The signed cents a transaction is meant to move, per account. */
export function intendedMoves(tx: Tx): [number, number][] {
  switch (tx.role) {
    case 'withdrawer':
      return [[0, -tx.amount]];
    case 'transfer':
      return [
        [tx.from, -tx.amount],
        [tx.to, tx.amount],
      ];
    default:
      return [[0, tx.amount]];
  }
}

/** Checks what was applied against what `config` dispatches (every agent's transactions). */
export function checkLedger(config: SimConfig, applied: ReadonlyMap<string, Applied>, names: readonly string[]): LedgerCheck {
  const intent = new Map<string, { tx: Tx; label: string }>();
  transactionsOf(config).forEach((txs, agent) => {
    txs.forEach((tx, i) => {
      intent.set(jobId(agent, i + 1), { tx, label: `${names[agent] ?? `agent ${agent + 1}`}'s transaction ${i + 1}` });
    });
  });
  const expected = Array.from({ length: config.accounts }, () => config.initialCents);
  const anomalies: Anomaly[] = [];
  let count = 0;
  for (const [job, got] of applied) {
    const meant = intent.get(job);
    if (!meant) {
      anomalies.push({ job, reason: `job ${job} was applied but never dispatched` });
      continue;
    }
    if (got.count < 1) continue;
    count++;
    for (const [account, cents] of intendedMoves(meant.tx)) expected[account]! += cents;
    if (got.count > 1) anomalies.push({ job, reason: `job ${job} (${meant.label}, ${money(meant.tx.amount)}) applied ${got.count === 2 ? 'twice' : `${got.count} times`}` });
  }
  return { anomalies, expected, dispatched: intent.size, applied: count };
}
