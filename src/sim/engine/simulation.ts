/**
 * One run: the agent pool runs one round on one slot. While it runs, `snapshot()` reads shared
 * memory only (no messages to the agents), `events(from)` reads the event ring, and the run
 * commands (pause, step mode, window, stop) steer it. The report carries the verdict.
 */
import { RunClock } from './run-clock.js';
import { AgentPool } from '../stores/memory/agent-pool.js';
import { validate, type SimConfig } from '../model/config.js';
import { STEP_NAMES } from './interpreter.js';
import { A, ACCOUNT, CONTROL, G, SLOT, STATES, type AgentState, type Shared } from '../stores/memory/layout.js';
import type { Role } from '../model/programs.js';
import type { StepOp } from '../model/steps.js';
import { readEvents, type TraceEvent } from './trace.js';
import { judge, type DeadlockInfo, type Outcome, type Verdict, type Violation } from '../model/verdict.js';
import type { RedisFacts } from '../stores/redis/controller.js';

export type { DeadlockInfo, Violation };

export interface AgentSnapshot {
  name: string;
  role: Role;
  state: AgentState;
  transactions: number;
  movedCents: number;
  lockWaits: number;
  waitMs: number;
  retries: number;
  /** Index of the lock this agent is blocked on, or null. */
  waitingFor: number | null;
  /** In step mode: the step the agent will take when granted. */
  nextStep: StepOp | null;
  /** Agents on Redis: the OS process and host the agent runs in. */
  pid?: number;
  host?: string;
}

export type Status = 'starting' | 'running' | 'paused' | 'stopping' | 'finished';

export interface Snapshot {
  scenario: SimConfig['scenario'];
  sync: SimConfig['sync'];
  status: Status;
  stepMode: boolean;
  windowUs: number;
  /** Time the agents ran, paused time excluded. */
  elapsedMs: number;
  balance: number;
  expected: number;
  accounts: { balance: number; expected: number; commits: number; version: number }[];
  /** Committed updates whose effect vanished (exact: see layout.ts). */
  lostUpdates: number;
  /** Writes that overwrote changes they never read. */
  staleWrites: number;
  minBalance: number;
  overdrafts: number;
  transactions: number;
  throughput: number;
  retries: number;
  servingNow: number;
  servingMax: number;
  permits: number;
  /** Per lock (account): index of the agent holding it, or null. */
  lockHolders: (number | null)[];
  /** Withdrawers parked on the funds Condition. */
  fundsWaiters: number;
  deadlock: DeadlockInfo | null;
  crashed: { agent: string; message: string }[];
  /** The run was stopped before it finished (Ctrl-C, stop()). */
  interrupted: boolean;
  agents: AgentSnapshot[];
  /** The verdict on what happened so far (final once status is 'finished'). */
  verdict: Verdict;
  /** Runs on Redis (--store redis): where, how, and the store's own counters. */
  redis?: RedisFacts;
}

export interface Report extends Omit<Snapshot, 'status' | 'stepMode' | 'verdict'> {
  seed: number;
  durationMs: number;
  ok: boolean;
  violations: Violation[];
}

/** Reads a slot's outcome from shared memory (what the verdict judges). */
export function outcomeOf(shared: Shared, slot: number, deadlock: DeadlockInfo | null, crashed: Outcome['crashed']): Outcome {
  const accounts = Array.from({ length: shared.layout.accounts }, (_, i) => ({
    balance: shared.balance(slot, i),
    expected: Atomics.load(shared.cells, shared.account(slot, i, ACCOUNT.EXPECTED)),
    commits: Atomics.load(shared.cells, shared.account(slot, i, ACCOUNT.COMMITS)),
    version: shared.version(slot, i),
  }));
  return {
    accounts,
    minBalance: shared.g(shared.slot(slot, SLOT.MIN_BALANCE)),
    servingMax: shared.g(shared.slot(slot, SLOT.SERVING_MAX)),
    deadlock,
    crashed,
  };
}

/** The report of a run: its snapshot without the live-only fields, with the verdict's result. */
export function toReport(snapshot: Snapshot, seed: number): Report {
  const { status: _status, stepMode: _stepMode, verdict, ...snap } = snapshot;
  return { ...snap, seed, durationMs: snap.elapsedMs, ok: verdict.ok, violations: verdict.violations };
}

export class Simulation {
  readonly config: SimConfig;
  readonly names: string[];
  readonly roles: Role[];
  readonly shared: Shared;
  private readonly pool: AgentPool;
  private status: Status = 'starting';
  private deadlock: DeadlockInfo | null = null;
  private interrupted = false;
  private collected: TraceEvent[] | null = null;
  private cursor = 0;
  private finished: Promise<Report> | null = null;
  // The run's clock: time spent running, pauses excluded.
  private readonly clock = new RunClock();
  private drainTimer: ReturnType<typeof setInterval> | undefined;

  constructor(config: SimConfig, options: { collectTrace?: boolean } = {}) {
    this.config = validate({ ...config });
    this.pool = new AgentPool(this.config, 1, { trace: true });
    this.names = this.pool.names;
    this.roles = this.pool.roles;
    this.shared = this.pool.shared;
    if (options.collectTrace) this.collected = [];
  }

  /** Starts the agents; resolves with the final report when every agent has finished. */
  run(): Promise<Report> {
    if (!this.finished) this.finished = this.execute();
    return this.finished;
  }

  private async execute(): Promise<Report> {
    try {
      await this.pool.start();
      this.shared.start[0] = performance.timeOrigin + performance.now();
      if (this.status === 'starting') {
        this.status = 'running';
        this.clock.start();
      }
      // Events are drained as they come (when collecting every one), so the ring never laps us.
      if (this.collected) this.drainTimer = setInterval(() => this.drain(), 20);
      if (!this.pool.stopping) this.deadlock = (await this.pool.round()).deadlock;
    } finally {
      clearInterval(this.drainTimer);
      this.clock.stop();
      await this.pool.close();
      this.drain();
      this.status = 'finished';
    }
    return this.report();
  }

  // --- commands ------------------------------------------------------------------------

  pause(): void {
    if (this.status !== 'running') return;
    this.status = 'paused';
    this.clock.stop();
    this.pool.setControl(CONTROL.PAUSED);
  }

  resume(): void {
    if (this.status !== 'paused') return;
    this.status = 'running';
    this.clock.start();
    this.pool.setControl(CONTROL.RUNNING);
  }

  togglePause(): void {
    if (this.status === 'paused') this.resume();
    else this.pause();
  }

  /** Step mode: every agent waits before each step until `step(agent)` grants one. */
  setStepMode(on: boolean): void {
    const cells = this.shared.cells;
    Atomics.store(cells, G.STEP_MODE, on ? 1 : 0);
    if (!on) for (let i = 0; i < this.roles.length; i++) Atomics.notify(cells, this.shared.agent(i, A.GRANTS));
  }

  get stepMode(): boolean {
    return Atomics.load(this.shared.cells, G.STEP_MODE) === 1;
  }

  /** Lets one agent take one step (step mode). */
  step(agent: number): void {
    if (agent < 0 || agent >= this.roles.length) return;
    const cell = this.shared.agent(agent, A.GRANTS);
    Atomics.add(this.shared.cells, cell, 1);
    Atomics.notify(this.shared.cells, cell);
  }

  /** Changes the race window while the run goes on. */
  setWindow(us: number): void {
    Atomics.store(this.shared.cells, G.WINDOW_US, Math.max(0, Math.min(10_000_000, Math.round(us))));
  }

  /** Stops the run: every agent, blocked or not, ends at its next check (within ~50 ms). */
  stop(): void {
    if (this.status === 'finished' || this.status === 'stopping') return;
    if (this.status !== 'starting') this.interrupted = true;
    this.status = 'stopping';
    this.clock.stop();
    this.pool.stop();
  }

  /** Ends the run immediately (Ctrl-C): terminates every worker. */
  async kill(): Promise<void> {
    this.stop();
    await this.pool.kill();
  }

  // --- reading -------------------------------------------------------------------------

  /** Events with seq >= from still in the ring (the UI's timeline). */
  events(from = 0, max = Infinity): TraceEvent[] {
    return readEvents(this.shared, from, max);
  }

  /** Every event of the run, when the Simulation was made with collectTrace. */
  trace(): { events: TraceEvent[]; dropped: number } {
    this.drain();
    const events = this.collected ?? [];
    return { events, dropped: Math.max(0, this.shared.g(G.EVENT_NEXT) - events.length) };
  }

  private drain(): void {
    if (!this.collected) return;
    const fresh = readEvents(this.shared, this.cursor);
    for (const e of fresh) this.collected.push(e);
    if (fresh.length) this.cursor = fresh[fresh.length - 1]!.seq + 1;
  }

  snapshot(): Snapshot {
    const sh = this.shared;
    const cells = sh.cells;
    const outcome = outcomeOf(sh, 0, this.deadlock, this.pool.crashed);
    const byThread = new Map<number, number>();
    const agents = this.roles.map((role, i): AgentSnapshot => {
      const at = (field: number): number => Atomics.load(cells, sh.agent(i, field));
      byThread.set(at(A.THREAD_ID), i);
      const waitingFor = at(A.WAITING_FOR) - 1;
      const nextStep = at(A.NEXT_STEP) - 1;
      return {
        name: this.names[i]!,
        role,
        state: STATES[at(A.STATE)] ?? 'idle',
        transactions: at(A.TX),
        movedCents: at(A.MOVED),
        lockWaits: at(A.LOCK_WAITS),
        waitMs: at(A.WAIT_US) / 1000,
        retries: at(A.RETRIES),
        waitingFor: waitingFor >= 0 ? waitingFor : null,
        nextStep: this.stepMode && nextStep >= 0 ? (STEP_NAMES[nextStep] ?? null) : null,
      };
    });
    const elapsedMs = this.clock.elapsedMs;
    const transactions = sh.g(sh.slot(0, SLOT.TRANSACTIONS));
    const lockHolders = Array.from({ length: this.config.sync === 'rlock' || this.config.sync === 'condition' ? 1 : this.config.accounts }, (_, n) => {
      const owner = this.pool.lockAt(n)?.owner;
      return owner == null ? null : (byThread.get(owner) ?? null);
    });
    const verdict = judge(this.config, outcome);
    return {
      scenario: this.config.scenario,
      sync: this.config.sync,
      status: this.status,
      stepMode: this.stepMode,
      windowUs: sh.g(G.WINDOW_US),
      elapsedMs,
      balance: outcome.accounts.reduce((a, x) => a + x.balance, 0),
      expected: outcome.accounts.reduce((a, x) => a + x.expected, 0),
      accounts: outcome.accounts,
      lostUpdates: verdict.lostUpdates,
      staleWrites: sh.g(sh.slot(0, SLOT.STALE_WRITES)),
      minBalance: outcome.minBalance,
      overdrafts: sh.g(sh.slot(0, SLOT.OVERDRAFTS)),
      transactions,
      throughput: elapsedMs > 0 ? (transactions * 1000) / elapsedMs : 0,
      retries: sh.g(sh.slot(0, SLOT.RETRIES)),
      servingNow: sh.g(sh.slot(0, SLOT.SERVING_NOW)),
      servingMax: outcome.servingMax,
      permits: this.config.permits,
      lockHolders,
      fundsWaiters: agents.filter((a) => a.state === 'waiting for funds').length,
      deadlock: this.deadlock,
      crashed: [...this.pool.crashed],
      interrupted: this.interrupted,
      agents,
      verdict,
    };
  }

  report(): Report {
    return toReport(this.snapshot(), this.config.seed);
  }
}
