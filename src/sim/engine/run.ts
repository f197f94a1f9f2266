/**
 * The one Run, on any store. It owns what every run has: its status (starting, running, paused,
 * stopping, finished), its clock (paused time excluded), the commands (pause, step mode, step,
 * window, stop, kill), the watchdog (deadlocks, stranded withdrawers), the snapshot, the verdict
 * and the report. A store is a Backend (stores/memory, stores/redis): it starts the agents, reads
 * the state, carries the control and the events, and adds what only it knows. The UI, replay, the
 * trace writer and every command use this class and nothing under it.
 */
import { type SimConfig, validate } from '../model/config.js';
import type { Role } from '../model/programs.js';
import type { StepOp } from '../model/steps.js';
import { type DeadlockInfo, findDeadlock, judge, type Outcome, type Verdict, type Violation, type WaitEdge } from '../model/verdict.js';
import { RunClock } from './run-clock.js';
import type { AgentState } from './states.js';
import type { TraceEvent } from './trace.js';
import { Watchdog } from './watchdog.js';

export type { DeadlockInfo, Violation };

/** How often the watchdog looks (and a store that is polled is read). */
export const MONITOR_MS = 50;

export type Status = 'starting' | 'running' | 'paused' | 'stopping' | 'finished';
/** What the agents are told: go on, hold before the next step, leave, or give up this run (deadlock, stranded). */
export type Control = 'running' | 'paused' | 'stopping' | 'abandon';
/** What a deadlock does: end the run (the default), or let the locks' leases break it (Redis). */
export type OnDeadlock = 'stop' | 'expire';

/** One agent's figures as a store reads them. */
export interface AgentReading {
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
  /** Agents in processes or on other hosts: where they run. */
  pid?: number;
  host?: string;
}

export interface AccountReading {
  balance: number;
  /** The ledger of intent: the opening balance plus every committed update's delta. */
  expected: number;
  commits: number;
  /** Committed updates the balance still reflects. */
  version: number;
}

/** What a store reads of itself at one moment. */
export interface Reading {
  accounts: AccountReading[];
  minBalance: number;
  overdrafts: number;
  staleWrites: number;
  transactions: number;
  retries: number;
  servingNow: number;
  servingMax: number;
  /** Per lock: the agent holding it, or null. */
  lockHolders: (number | null)[];
  agents: AgentReading[];
  windowUs: number;
  /** Jobs applied twice, or applied without having been dispatched (stores that can redeliver). */
  anomalies?: { job: string; reason: string }[];
}

export interface AgentSnapshot extends AgentReading {
  name: string;
  role: Role;
}

/** What the watchdog found, for a store that explains it in its own terms (a lease that broke a cycle). */
export interface DeadlockHistory {
  onDeadlock: OnDeadlock;
  /** The first deadlock (what the verdict judges). */
  first: DeadlockInfo | null;
  /** The cycle standing now, if any. */
  standing: DeadlockInfo | null;
  /** Deadlocks seen. */
  seen: number;
  /** Cycles that dissolved while the run went on (a lease ran out). */
  broken: number;
}

export interface Snapshot<Facts = unknown> {
  scenario: SimConfig['scenario'];
  sync: SimConfig['sync'];
  status: Status;
  stepMode: boolean;
  windowUs: number;
  /** Time the agents ran, paused time excluded. */
  elapsedMs: number;
  balance: number;
  expected: number;
  accounts: AccountReading[];
  /** Committed updates whose effect vanished (exact). */
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
  lockHolders: (number | null)[];
  /** Withdrawers parked on the funds Condition. */
  fundsWaiters: number;
  deadlock: DeadlockInfo | null;
  crashed: { agent: string; message: string }[];
  /** The run was stopped before it finished (Ctrl-C, stop(), a lost store). */
  interrupted: boolean;
  agents: AgentSnapshot[];
  /** The verdict on what happened so far (final once status is 'finished'). */
  verdict: Verdict;
  /** What the store adds (on Redis: where, how, its counters and the faults' story). */
  redis?: Facts;
}

export interface Report<Facts = unknown> extends Omit<Snapshot<Facts>, 'status' | 'stepMode' | 'verdict'> {
  seed: number;
  durationMs: number;
  ok: boolean;
  violations: Violation[];
}

/** The report of a run: its snapshot without the live-only fields, with the verdict's result. */
export function toReport<F>(snapshot: Snapshot<F>, seed: number): Report<F> {
  const { status: _status, stepMode: _stepMode, verdict, ...snap } = snapshot;
  return { ...snap, seed, durationMs: snap.elapsedMs, ok: verdict.ok, violations: verdict.violations };
}

/** A store under a Run. Every method but start/go/close answers at once. */
export interface Backend<Facts = unknown> {
  readonly names: readonly string[];
  readonly roles: readonly Role[];
  /** Agents that died (crashed, killed, vanished), in the order seen. */
  readonly crashed: readonly { agent: string; message: string }[];
  /** Starts the agents and resolves once every one is ready at the start line (or the run is stopping). */
  start(): Promise<void>;
  /** Lets them go; resolves when every agent has ended (finished, given up, or died). */
  go(): Promise<void>;
  /** Reads the store afresh where reading costs a round trip (called before each look of the watchdog). */
  refresh(): Promise<void>;
  read(): Reading;
  /** The wait-for graph: agent -> the lock it waits for and the agent holding it. */
  waitsFor(): Map<number, WaitEdge>;
  events(from: number, max: number): TraceEvent[];
  /** Every event of the run (when it was opened to collect them), and how many were lost. */
  trace(): { events: TraceEvent[]; dropped: number };
  control(control: Control): void;
  setStepMode(on: boolean): void;
  grant(agent: number): void;
  setWindow(us: number): void;
  /**
   * The run cannot go on because the store failed (a lost connection): that failure as the
   * store's own error, or null if `error` is not one (it is then thrown as it is).
   */
  failure(error: unknown): Error | null;
  /** Ends every agent now (Ctrl-C). */
  kill(): Promise<void>;
  /** Stops what is left and lets go of the store; `failed`: after a store failure. */
  close(failed: boolean): Promise<void>;
  /** What only this store knows, for the snapshot. */
  facts?(history: DeadlockHistory, status: Status, failure: string | null): Facts;
}

/**
 * What the dashboard, replay and the trace writer use of a run: one interface, whatever the
 * store (the Run implements it; tests may give a stand-in).
 */
export interface RunHandle<Facts = unknown> {
  readonly config: SimConfig;
  readonly names: readonly string[];
  snapshot(): Snapshot<Facts>;
  events(from?: number, max?: number): TraceEvent[];
  run(): Promise<Report<Facts>>;
  togglePause(): void;
  setStepMode(on: boolean): void;
  step(agent: number): void;
  setWindow(us: number): void;
  stop(): void;
  kill(): Promise<void>;
}

export interface RunOptions {
  /** What a deadlock does (default stop). */
  onDeadlock?: OnDeadlock;
}

export class Run<Facts = unknown> implements RunHandle<Facts> {
  readonly config: SimConfig;
  readonly names: readonly string[];
  readonly roles: readonly Role[];
  private status: Status = 'starting';
  private stepMode_ = false;
  private interrupted = false;
  private failure: string | null = null;
  private finished: Promise<Report<Facts>> | null = null;
  private readonly clock = new RunClock();
  private readonly watchdog: Watchdog;
  private readonly history: DeadlockHistory;
  private monitoring = false;

  constructor(
    config: SimConfig,
    readonly backend: Backend<Facts>,
    options: RunOptions = {},
  ) {
    this.config = validate({ ...config });
    this.names = backend.names;
    this.roles = backend.roles;
    this.watchdog = new Watchdog(this.names, this.roles);
    this.history = { onDeadlock: options.onDeadlock ?? 'stop', first: null, standing: null, seen: 0, broken: 0 };
  }

  /** Starts the agents; resolves with the final report when every agent has finished. */
  run(): Promise<Report<Facts>> {
    this.finished ??= this.execute();
    return this.finished;
  }

  private async execute(): Promise<Report<Facts>> {
    let monitor: Promise<void> | null = null;
    try {
      await this.backend.start();
      if (this.status === 'starting') {
        this.status = 'running';
        this.clock.start();
      }
      const ended = this.backend.go();
      monitor = this.monitor(ended);
      await ended;
    } catch (error) {
      const failure = this.backend.failure(error);
      if (failure === null || this.status === 'starting') {
        // Before the agents went, or not the store's failure: no report, the error itself.
        this.monitoring = false;
        await monitor;
        await this.backend.close(failure !== null).catch(() => undefined);
        this.clock.stop();
        this.status = 'finished';
        throw failure ?? error;
      }
      this.failure = failure.message;
      this.interrupted = true; // no verdict on a run that did not finish
    }
    this.monitoring = false;
    await monitor;
    this.clock.stop();
    await this.backend.close(this.failure !== null);
    this.status = 'finished';
    return this.report();
  }

  /** The watchdog's loop: every MONITOR_MS until the agents have ended. */
  private async monitor(ended: Promise<void>): Promise<void> {
    this.monitoring = true;
    let over = false;
    void ended.then(
      () => (over = true),
      () => (over = true),
    );
    while (this.monitoring && !over) {
      await new Promise<void>((resolve) => setTimeout(resolve, MONITOR_MS));
      if (!this.monitoring || over) break;
      try {
        await this.backend.refresh();
      } catch {
        continue; // the run's own wait reports a store that failed
      }
      if (this.status === 'running' || this.status === 'paused') this.look();
    }
  }

  private look(): void {
    const h = this.history;
    if (h.first && h.onDeadlock === 'stop') return; // the run is giving up already
    const found = this.watchdog.look(
      this.backend.waitsFor(),
      this.backend.read().agents.map((a) => a.state),
    );
    if (found.stranded) this.backend.control('abandon');
    if (!found.deadlock) {
      // A cycle that no longer stands was broken (by a lease running out: only Redis locks expire).
      if (h.standing && !this.cycleStands()) {
        h.broken++;
        h.standing = null;
      }
      return;
    }
    if (h.standing?.text === found.deadlock.text) return;
    if (h.standing) h.broken++; // one cycle turned into another
    h.standing = found.deadlock;
    h.first ??= found.deadlock;
    h.seen++;
    if (h.onDeadlock === 'stop') this.backend.control('abandon');
  }

  private cycleStands(): boolean {
    return findDeadlock(this.backend.waitsFor(), this.names)?.text === this.history.standing?.text;
  }

  // --- commands ------------------------------------------------------------------------

  pause(): void {
    if (this.status !== 'running') return;
    this.status = 'paused';
    this.clock.stop();
    this.backend.control('paused');
  }

  resume(): void {
    if (this.status !== 'paused') return;
    this.status = 'running';
    this.clock.start();
    this.backend.control('running');
  }

  togglePause(): void {
    if (this.status === 'paused') this.resume();
    else this.pause();
  }

  /** Step mode: every agent waits before each step until `step(agent)` grants one. */
  setStepMode(on: boolean): void {
    this.stepMode_ = on;
    this.backend.setStepMode(on);
  }

  get stepMode(): boolean {
    return this.stepMode_;
  }

  /** Lets one agent take one step (step mode). */
  step(agent: number): void {
    if (agent < 0 || agent >= this.roles.length) return;
    this.backend.grant(agent);
  }

  /** Changes the race window while the run goes on. */
  setWindow(us: number): void {
    this.backend.setWindow(Math.max(0, Math.min(10_000_000, Math.round(us))));
  }

  /** Stops the run: every agent, blocked or not, ends at its next check. */
  stop(): void {
    if (this.status === 'finished' || this.status === 'stopping') return;
    if (this.status !== 'starting') this.interrupted = true;
    this.status = 'stopping';
    this.clock.stop();
    this.backend.control('stopping');
  }

  /** Ends the run at once (Ctrl-C): every agent is terminated. */
  async kill(): Promise<void> {
    this.stop();
    await this.backend.kill();
    await this.finished?.catch(() => undefined);
  }

  // --- reading -------------------------------------------------------------------------

  /** Events with seq >= from still held (the UI's timeline, the trace writer). */
  events(from = 0, max = Infinity): TraceEvent[] {
    return this.backend.events(from, max);
  }

  /** Every event of the run, when it was opened to collect them. */
  trace(): { events: TraceEvent[]; dropped: number } {
    return this.backend.trace();
  }

  snapshot(): Snapshot<Facts> {
    const c = this.config;
    const r = this.backend.read();
    const h = this.history;
    const crashed = [...this.backend.crashed];
    const outcome: Outcome = { accounts: r.accounts, minBalance: r.minBalance, servingMax: r.servingMax, deadlock: h.first, crashed, anomalies: r.anomalies };
    const verdict = judge(c, outcome);
    const agents = r.agents.map((a, i): AgentSnapshot => ({ name: this.names[i]!, role: this.roles[i]!, ...a }));
    const elapsedMs = this.clock.elapsedMs;
    const snapshot: Snapshot<Facts> = {
      scenario: c.scenario,
      sync: c.sync,
      status: this.status,
      stepMode: this.stepMode_,
      windowUs: r.windowUs,
      elapsedMs,
      balance: r.accounts.reduce((a, x) => a + x.balance, 0),
      expected: r.accounts.reduce((a, x) => a + x.expected, 0),
      accounts: r.accounts,
      lostUpdates: verdict.lostUpdates,
      staleWrites: r.staleWrites,
      minBalance: r.minBalance,
      overdrafts: r.overdrafts,
      transactions: r.transactions,
      throughput: elapsedMs > 0 ? (r.transactions * 1000) / elapsedMs : 0,
      retries: r.retries,
      servingNow: r.servingNow,
      servingMax: r.servingMax,
      permits: c.permits,
      lockHolders: r.lockHolders,
      fundsWaiters: agents.filter((a) => a.state === 'waiting for funds').length,
      // While an `expire` run goes on, the cycle standing now (a lease dissolves it); else the first one.
      deadlock: h.onDeadlock === 'expire' && this.status !== 'finished' ? h.standing : h.first,
      crashed,
      interrupted: this.interrupted,
      agents,
      verdict,
    };
    if (this.backend.facts) snapshot.redis = this.backend.facts(h, this.status, this.failure);
    return snapshot;
  }

  report(): Report<Facts> {
    return toReport(this.snapshot(), this.config.seed);
  }
}
