/**
 * The one verdict. Each scenario declares the invariants a correct run keeps; `judge` checks a
 * run's outcome against them. Runs, compare, trials, the explorer, the dashboard and --json all
 * judge through this function, so they can never disagree.
 */
import type { ScenarioName, SimConfig } from './config.js';
import { money } from './money.js';

export interface DeadlockInfo {
  /** Agents in the cycle, each waiting for a lock held by the next. */
  cycle: { agent: string; waitsFor: number; heldBy: string }[];
  text: string;
}

/** A blocked agent's edge in the wait-for graph: the lock it waits for and who holds it. */
export interface WaitEdge {
  lock: number;
  holder: number;
}

/**
 * A cycle in the wait-for graph (agent -> lock it waits for -> agent holding it), or null. The
 * real engine reads the edges from the locks' owner fields, the explorer from its model state.
 */
export function findDeadlock(waitsFor: ReadonlyMap<number, WaitEdge>, names: readonly string[]): DeadlockInfo | null {
  for (const start of waitsFor.keys()) {
    const path: number[] = [];
    let at: number | undefined = start;
    while (at !== undefined && !path.includes(at)) {
      path.push(at);
      at = waitsFor.get(at)?.holder;
    }
    if (at === undefined) continue;
    const cycle = path.slice(path.indexOf(at)).map((agent) => {
      const edge = waitsFor.get(agent)!;
      return { agent: names[agent]!, waitsFor: edge.lock, heldBy: names[edge.holder]! };
    });
    return { cycle, text: cycle.map((m) => `${m.agent} waits for account ${m.waitsFor + 1}'s lock, held by ${m.heldBy}`).join('; ') };
  }
  return null;
}

/** What a run (or one trial, or one explored interleaving) ended with. */
export interface Outcome {
  accounts: { balance: number; expected: number; commits: number; version: number }[];
  minBalance: number;
  servingMax: number;
  deadlock: DeadlockInfo | null;
  crashed: { agent: string; message: string }[];
  /** Transactions applied twice, or applied without having been dispatched (see ledger.ts). */
  anomalies?: readonly { job: string; reason: string }[];
}

export const INVARIANTS = ['balance', 'overdraft', 'tellers', 'deadlock', 'agents', 'once'] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** What each invariant promises, in words (help, reports). */
export const PROMISE: Record<Invariant, string> = {
  balance: 'every account ends at its expected balance: no update is lost',
  overdraft: 'the balance never goes below $0.00',
  tellers: 'never more customers served at once than there are windows',
  deadlock: 'no set of agents waits on each other for ever',
  agents: 'every agent finishes (none crashes)',
  once: 'every transaction dispatched is applied at most once, and nothing else is applied',
};

/** The invariants each scenario declares. */
export const SCENARIO_INVARIANTS: Record<ScenarioName, readonly Invariant[]> = {
  race: ['balance', 'deadlock', 'agents', 'once'],
  async: ['balance', 'deadlock', 'agents', 'once'],
  condition: ['balance', 'overdraft', 'deadlock', 'agents', 'once'],
  tellers: ['balance', 'tellers', 'deadlock', 'agents', 'once'],
  transfer: ['balance', 'deadlock', 'agents', 'once'],
};

export interface Violation {
  /** The invariant that broke. */
  name: Invariant;
  /** One line: the figure that broke it. */
  reason: string;
}

export interface Verdict {
  ok: boolean;
  violations: Violation[];
  /** Committed updates whose effect vanished from the final balances. */
  lostUpdates: number;
  /** Committed updates in all. */
  updates: number;
}

/** Committed updates minus those the final balances still reflect (exact: see layout.ts). */
export function lostUpdatesOf(o: Pick<Outcome, 'accounts'>): number {
  return o.accounts.reduce((sum, a) => sum + a.commits - a.version, 0);
}

/** What a scenario's updates are called in a sentence. */
export function updateNoun(c: Pick<SimConfig, 'scenario'>): string {
  return c.scenario === 'race' || c.scenario === 'async' || c.scenario === 'tellers' ? 'deposits' : 'updates';
}

export function judge(c: SimConfig, o: Outcome): Verdict {
  const violations: Violation[] = [];
  const lostUpdates = lostUpdatesOf(o);
  const updates = o.accounts.reduce((sum, a) => sum + a.commits, 0);
  for (const name of SCENARIO_INVARIANTS[c.scenario]) {
    switch (name) {
      case 'balance': {
        const off = o.accounts.map((a, i) => ({ ...a, i })).filter((a) => a.balance !== a.expected);
        if (off.length === 0) break;
        const where =
          o.accounts.length === 1
            ? `balance ${money(off[0]!.balance)}, expected ${money(off[0]!.expected)}`
            : off.map((a) => `account ${a.i + 1} ${money(a.balance)}, expected ${money(a.expected)}`).join('; ');
        const lost = lostUpdates > 0 ? `lost ${lostUpdates.toLocaleString('en-US')} of ${updates.toLocaleString('en-US')} ${updateNoun(c)}: ` : '';
        violations.push({ name, reason: `${lost}${where}` });
        break;
      }
      case 'overdraft':
        if (o.minBalance < 0) violations.push({ name, reason: `the balance went down to ${money(o.minBalance)}` });
        break;
      case 'tellers':
        if (o.servingMax > c.permits) {
          violations.push({ name, reason: `${o.servingMax} customers were served at once with ${c.permits} window${c.permits === 1 ? '' : 's'}` });
        }
        break;
      case 'deadlock':
        if (o.deadlock) violations.push({ name, reason: o.deadlock.text });
        break;
      case 'agents':
        for (const x of o.crashed) violations.push({ name, reason: `${x.agent} crashed: ${x.message}` });
        break;
      case 'once':
        for (const x of o.anomalies ?? []) violations.push({ name, reason: x.reason });
        break;
    }
  }
  return { ok: violations.length === 0, violations, lostUpdates, updates };
}
