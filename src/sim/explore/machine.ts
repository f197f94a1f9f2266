/**
 * The explorer's model of one run: a model store with the step semantics of thread-store.ts
 * (balances with versions and stale-write detection, cas, add with floor, locks with owners,
 * the RLock's depth, semaphore permits, the funds condition, the tellers' counter), plus each
 * agent's position in its program (agent-program.ts). A state is a small array of numbers and
 * one program node per agent, so it is cheap to copy, restore and key.
 *
 * Moves: an agent either takes its next step, or (after a condition wait was notified)
 * re-takes lock 0 as Condition.wait does on its way out ('relock'). A move is enabled when the
 * real agent would not block on it: lock on a held lock, acquire with no permit free, and a
 * parked waiter are not enabled. A withdrawer that found too little and polls is parked until
 * account 0 changes (polling again before that would see the same balance).
 */
import { agentCount, type SimConfig } from '../model/config.js';
import { agentName, rolesOf, type Role } from '../model/programs.js';
import type { Seen, Step, WriteResult } from '../model/steps.js';
import { findDeadlock, judge, type DeadlockInfo, type Outcome, type Verdict } from '../model/verdict.js';
import { AgentProgram, agentInputs, type ProgramNode } from './agent-program.js';

/** Per-account cells. */
const BAL = 0;
const VER = 1;
const EXP = 2;
const COMMITS = 3;
const LAST_WRITER = 4;
const ACCOUNT_CELLS = 5;

/** Agent modes (the MODE cell). */
export const MODE = { RUN: 0, POLLING: 1, WAITING: 2, WOKEN: 3 } as const;

export interface Move {
  agent: number;
  kind: 'step' | 'relock';
  /** The step (for 'relock', the wait it ends). */
  step: Step;
}

export interface ModelOutcome {
  outcome: Outcome;
  verdict: Verdict;
  /** Per account, cents. */
  balances: number[];
  /** Agents left unfinished with no lock cycle (withdrawers waiting for funds that never come), in words. */
  stuck: string | null;
  /** Groups outcomes: balances, deadlock, stuck agents and the violations. */
  key: string;
}

export class Machine {
  readonly config: SimConfig;
  readonly agents: number;
  readonly roles: Role[];
  readonly names: string[];
  readonly programs: AgentProgram[];
  /** The store and the agents' modes; see the offsets below. */
  s: number[] = [];
  nodes: ProgramNode[] = [];
  private readonly accounts: number;
  private readonly MIN: number;
  private readonly SERVING: number;
  private readonly SERVING_MAX: number;
  private readonly PERMITS: number;
  private readonly LOCKS: number;
  private readonly AGENTS: number;
  private readonly reentrant: boolean;
  private readonly oneLock: boolean;

  constructor(config: SimConfig) {
    const c = config;
    this.config = c;
    this.agents = agentCount(c);
    this.roles = rolesOf(c);
    this.names = this.roles.map((role, i) => agentName(c, role, i));
    this.programs = this.roles.map((role, i) => new AgentProgram(c, agentInputs(c, role, i)));
    this.accounts = c.accounts;
    this.MIN = this.accounts * ACCOUNT_CELLS;
    this.SERVING = this.MIN + 1;
    this.SERVING_MAX = this.MIN + 2;
    this.PERMITS = this.MIN + 3;
    this.LOCKS = this.MIN + 4;
    this.AGENTS = this.LOCKS + 2 * this.accounts;
    this.reentrant = c.sync === 'rlock';
    this.oneLock = c.sync === 'rlock' || c.sync === 'condition'; // lockObject(n) is the one RLock / the Condition's mutex
    this.reset();
  }

  reset(): void {
    const s = new Array<number>(this.AGENTS + 2 * this.agents).fill(0);
    for (let k = 0; k < this.accounts; k++) {
      s[k * ACCOUNT_CELLS + BAL] = this.config.initialCents;
      s[k * ACCOUNT_CELLS + EXP] = this.config.initialCents;
    }
    s[this.MIN] = this.config.initialCents;
    s[this.PERMITS] = this.config.permits;
    for (let l = 0; l < this.accounts; l++) s[this.LOCKS + 2 * l] = -1;
    this.s = s;
    this.nodes = this.programs.map((p) => p.root);
  }

  /** The lock object behind a step's lock number (the one RLock or Condition mutex is lock 0). */
  lockObject(n: number): number {
    return this.oneLock ? 0 : n;
  }

  private lockCell(n: number): number {
    return this.LOCKS + 2 * this.lockObject(n);
  }

  /** A lock as the learner sees it: "lock 0" with one account, "lock #2" (account 2's) with several. */
  lockName(n: number): string {
    return this.accounts > 1 && !this.oneLock ? `lock #${n + 1}` : `lock ${n}`;
  }

  /** The agent holding lock n, or -1. */
  holder(n: number): number {
    return this.s[this.lockCell(n)]!;
  }

  mode(a: number): number {
    return this.s[this.AGENTS + 2 * a]!;
  }

  private setMode(a: number, mode: number, aux = 0): void {
    this.s[this.AGENTS + 2 * a] = mode;
    this.s[this.AGENTS + 2 * a + 1] = aux;
  }

  private aux(a: number): number {
    return this.s[this.AGENTS + 2 * a + 1]!;
  }

  finished(a: number): boolean {
    return this.nodes[a]!.step === null;
  }

  allFinished(): boolean {
    for (let a = 0; a < this.agents; a++) if (this.nodes[a]!.step !== null) return false;
    return true;
  }

  /** The agent's next move, or null when it has finished. */
  move(a: number): Move | null {
    const step = this.nodes[a]!.step;
    if (!step) return null;
    return { agent: a, kind: this.mode(a) === MODE.WOKEN ? 'relock' : 'step', step };
  }

  enabled(a: number): boolean {
    return this.blocker(a) === null;
  }

  /** Why agent a cannot move now, in words, or null if it can. */
  blocker(a: number): string | null {
    const step = this.nodes[a]!.step;
    const name = this.names[a]!;
    if (!step) return `${name} has finished`;
    const mode = this.mode(a);
    if (mode === MODE.WAITING) return `${name} waits on the funds condition until a notifyAll`;
    if (mode === MODE.WOKEN) {
      const h = this.holder(0);
      return h === -1 ? null : `${name} must re-take lock 0 after its wait: ${this.names[h]} holds ${this.lockName(0)}`;
    }
    if (mode === MODE.POLLING && this.s[COMMITS] === this.aux(a)) {
      return `${name} is polling for funds and account 1 has not changed since it looked`;
    }
    if (step.op === 'lock') {
      const h = this.holder(step.lock);
      if (h !== -1 && !(this.reentrant && h === a)) return `${name} cannot take 'lock': ${this.names[h]} holds ${this.lockName(step.lock)}`;
    }
    if (step.op === 'acquire' && this.s[this.PERMITS]! <= 0) return `${name} cannot take 'acquire': no permit is free`;
    return null;
  }

  /** Agents that can move now. */
  enabledAgents(): number[] {
    const out: number[] = [];
    for (let a = 0; a < this.agents; a++) if (this.blocker(a) === null) out.push(a);
    return out;
  }

  /** Performs agent a's move (it must be enabled); returns the step's result. */
  take(a: number): unknown {
    const node = this.nodes[a]!;
    const step = node.step!;
    let result: unknown;
    if (this.mode(a) === MODE.WOKEN) {
      // Condition.wait returns holding lock 0 again, at the depth it let go of.
      const cell = this.lockCell(0);
      this.s[cell] = a;
      this.s[cell + 1] = this.aux(a);
    } else {
      result = this.perform(a, step);
      if (step.op === 'wait') return result; // parked: the program moves on when it re-takes lock 0
    }
    const next = this.programs[a]!.child(node, result);
    this.nodes[a] = next;
    this.setMode(a, next.polls ? MODE.POLLING : MODE.RUN, next.polls ? this.s[COMMITS]! : 0);
    return result;
  }

  private perform(a: number, step: Step): unknown {
    const s = this.s;
    switch (step.op) {
      case 'read': {
        const base = step.account * ACCOUNT_CELLS;
        return { value: s[base + BAL]!, version: s[base + VER]! } satisfies Seen;
      }
      case 'write': {
        const base = step.account * ACCOUNT_CELLS;
        const before = s[base + BAL]!;
        const beforeVersion = s[base + VER]!;
        s[base + BAL] = step.value;
        s[base + VER] = step.seen.version + 1;
        const previousWriter = s[base + LAST_WRITER]! - 1;
        s[base + LAST_WRITER] = a + 1;
        const stale = before !== step.seen.value || beforeVersion !== step.seen.version;
        this.committed(step.account, step.value - step.seen.value, step.value);
        return { overwritten: before, stale, erased: stale ? Math.max(1, beforeVersion - step.seen.version) : 0, previousWriter } satisfies WriteResult;
      }
      case 'cas': {
        const base = step.account * ACCOUNT_CELLS;
        if (s[base + BAL] !== step.seen.value || s[base + VER] !== step.seen.version) return false;
        s[base + BAL] = step.value;
        s[base + VER] = step.seen.version + 1;
        this.committed(step.account, step.value - step.seen.value, step.value);
        return true;
      }
      case 'add': {
        const base = step.account * ACCOUNT_CELLS;
        const value = s[base + BAL]! + step.delta;
        if (step.floor !== undefined && value < step.floor) return { ok: false, value: s[base + BAL]! };
        s[base + BAL] = value;
        s[base + VER] = s[base + VER]! + 1;
        this.committed(step.account, step.delta, value);
        return { ok: true, value };
      }
      case 'lock': {
        const cell = this.lockCell(step.lock);
        s[cell] = a;
        s[cell + 1] = s[cell + 1]! + 1;
        return undefined;
      }
      case 'tryLock': {
        const cell = this.lockCell(step.lock);
        if (s[cell] !== -1 && !(this.reentrant && s[cell] === a)) return false;
        s[cell] = a;
        s[cell + 1] = s[cell + 1]! + 1;
        return true;
      }
      case 'unlock': {
        const cell = this.lockCell(step.lock);
        s[cell + 1] = s[cell + 1]! - 1;
        if (s[cell + 1] === 0) s[cell] = -1;
        return undefined;
      }
      case 'acquire':
        s[this.PERMITS] = s[this.PERMITS]! - 1;
        return undefined;
      case 'release':
        s[this.PERMITS] = s[this.PERMITS]! + 1;
        return undefined;
      case 'wait': {
        // Condition.wait: lets go of lock 0 (all of it) and sleeps until notified.
        const cell = this.lockCell(0);
        this.setMode(a, MODE.WAITING, s[cell + 1]!);
        s[cell] = -1;
        s[cell + 1] = 0;
        return undefined;
      }
      case 'notifyAll':
        for (let b = 0; b < this.agents; b++) if (this.mode(b) === MODE.WAITING) this.setMode(b, MODE.WOKEN, this.aux(b));
        return undefined;
      case 'enter': {
        s[this.SERVING] = s[this.SERVING]! + 1;
        if (s[this.SERVING]! > s[this.SERVING_MAX]!) s[this.SERVING_MAX] = s[this.SERVING]!;
        return undefined;
      }
      case 'leave':
        s[this.SERVING] = s[this.SERVING]! - 1;
        return undefined;
      default:
        throw new Error(`the model does not perform '${step.op}' steps`);
    }
  }

  private committed(account: number, delta: number, value: number): void {
    const base = account * ACCOUNT_CELLS;
    this.s[base + EXP] = this.s[base + EXP]! + delta;
    this.s[base + COMMITS] = this.s[base + COMMITS]! + 1;
    if (this.accounts === 1 && value < this.s[this.MIN]!) this.s[this.MIN] = value;
  }

  /**
   * Identifies the state: the store, the modes and every agent's program position, packed one
   * UTF-16 unit per small number (the memo holds millions of these keys). The last writer of
   * each account is left out: it only shows in write results, which programs ignore.
   */
  key(): string {
    let k = '';
    const s = this.s;
    for (let i = 0; i < s.length; i++) {
      if (i < this.MIN && i % ACCOUNT_CELLS === LAST_WRITER) continue; // only a write's (unobserved) result depends on it
      const v = s[i]!;
      k += v >= -1 && v < 0xfffe ? String.fromCharCode(v + 1) : `\uffff${v}\uffff`;
    }
    for (let a = 0; a < this.agents; a++) {
      const id = this.nodes[a]!.id;
      k += id < 0xfffe ? String.fromCharCode(id) : `\uffff${id}\uffff`;
    }
    return k;
  }

  balance(account: number): number {
    return this.s[account * ACCOUNT_CELLS + BAL]!;
  }

  permitsFree(): number {
    return this.s[this.PERMITS]!;
  }

  servingNow(): number {
    return this.s[this.SERVING]!;
  }

  /** Locks in use and who holds them ("lock 0: A"), or "" when none is held. */
  lockState(): string {
    const parts: string[] = [];
    const locks = this.oneLock ? 1 : this.accounts;
    for (let l = 0; l < locks; l++) {
      const h = this.s[this.LOCKS + 2 * l]!;
      const depth = this.s[this.LOCKS + 2 * l + 1]!;
      if (h !== -1) parts.push(`${this.lockName(l)}: ${this.names[h]}${depth > 1 ? ` x${depth}` : ''}`);
    }
    if (this.config.sync === 'semaphore') parts.push(`permits ${this.s[this.PERMITS]}/${this.config.permits}`);
    return parts.join(', ');
  }

  /** The wait-for cycle among agents blocked on held locks, worded as the real engine's monitor words it. */
  deadlock(): DeadlockInfo | null {
    const waitsFor = new Map<number, { lock: number; holder: number }>();
    for (let a = 0; a < this.agents; a++) {
      const step = this.nodes[a]!.step;
      if (step?.op !== 'lock' || this.mode(a) !== MODE.RUN || this.config.sync === 'semaphore') continue;
      const h = this.holder(step.lock);
      if (h !== -1 && h !== a) waitsFor.set(a, { lock: step.lock, holder: h });
    }
    return findDeadlock(waitsFor, this.names);
  }

  /** The outcome of a terminal state (no agent can move), judged by the one verdict. */
  outcome(): ModelOutcome {
    const s = this.s;
    const accounts = Array.from({ length: this.accounts }, (_, k) => ({
      balance: s[k * ACCOUNT_CELLS + BAL]!,
      expected: s[k * ACCOUNT_CELLS + EXP]!,
      commits: s[k * ACCOUNT_CELLS + COMMITS]!,
      version: s[k * ACCOUNT_CELLS + VER]!,
    }));
    const deadlock = this.allFinished() ? null : this.deadlock();
    let stuck: string | null = null;
    if (!deadlock && !this.allFinished()) {
      const left = [];
      for (let a = 0; a < this.agents; a++) if (!this.finished(a)) left.push(this.blocker(a) ?? `${this.names[a]} cannot move`);
      stuck = left.join('; ');
    }
    const outcome: Outcome = { accounts, minBalance: s[this.MIN]!, servingMax: s[this.SERVING_MAX]!, deadlock, crashed: [] };
    const verdict = judge(this.config, outcome);
    const balances = accounts.map((x) => x.balance);
    const key = `${balances.join(',')}|${deadlock?.text ?? ''}|${stuck ?? ''}|${verdict.violations.map((v) => `${v.name}:${v.reason}`).join(';')}`;
    return { outcome, verdict, balances, stuck, key };
  }
}
