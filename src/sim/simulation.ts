/**
 * The controller: builds the shared memory and the sync objects, starts one worker per agent,
 * and exposes cheap snapshots (plain reads of shared memory) and run commands. It also watches
 * for deadlock (a cycle in the wait-for graph read from the locks' owner fields), ends the
 * condition scenario when the money supply is done, and collects crashes.
 */
import type { Worker } from 'node:worker_threads';
import { Condition, Mutex, RLock, Semaphore, watchWorker } from '../sync/index.js';
import type { AgentData, Role, SyncHandles } from './agent.js';
import { validate, type SimConfig } from './config.js';
import { A, ACCOUNT, CONTROL, G, S, Shared, STATES, type AgentState } from './layout.js';
import { siblingModule, spawnWorker } from './spawn-worker.js';
import { ACTIONS, readEvents, type Action, type TraceEvent } from './trace.js';

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
  /** In step mode: the micro-step the agent will take when granted. */
  nextStep: Action | null;
}

export interface DeadlockInfo {
  /** Agents in the cycle, each waiting for a lock held by the next. */
  cycle: { agent: string; waitsFor: number; heldBy: string }[];
  text: string;
}

export type Status = 'starting' | 'running' | 'paused' | 'stopping' | 'finished';

export interface Snapshot {
  scenario: SimConfig['scenario'];
  sync: SimConfig['sync'];
  status: Status;
  stepMode: boolean;
  windowUs: number;
  elapsedMs: number;
  balance: number;
  expected: number;
  accounts: { balance: number; expected: number }[];
  lostUpdates: number;
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
  agents: AgentSnapshot[];
}

export interface Violation {
  check: string;
  detail: string;
}

export interface Report extends Omit<Snapshot, 'status' | 'stepMode'> {
  seed: number;
  durationMs: number;
  violations: Violation[];
}

const MONITOR_MS = 50;
const STOP_GRACE_MS = 2000;

export class Simulation {
  readonly config: SimConfig;
  readonly names: string[];
  readonly roles: Role[];
  readonly shared: Shared;
  private readonly locks: Mutex[];
  private readonly rlock = new RLock();
  private readonly semaphore: Semaphore;
  private readonly funds = new Condition(new Mutex());
  private workers: Worker[] = [];
  private status: Status = 'starting';
  private startedAt = 0;
  private endedAt = 0;
  private deadlock: DeadlockInfo | null = null;
  private suspect = '';
  private crashed: { agent: string; message: string }[] = [];
  private monitor: ReturnType<typeof setInterval> | undefined;
  private collected: TraceEvent[] | null = null;
  private cursor = 0;
  private finished: Promise<Report> | null = null;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  private killing = false;

  constructor(config: SimConfig, options: { collectTrace?: boolean } = {}) {
    this.config = validate({ ...config });
    const c = this.config;
    this.roles = roles(c);
    this.names = this.roles.map((role, i) => agentName(c, role, i));
    this.shared = Shared.create(c.accounts, this.roles.length, c.traceCapacity);
    this.locks = Array.from({ length: c.accounts }, () => new Mutex());
    this.semaphore = new Semaphore(c.permits);
    if (options.collectTrace) this.collected = [];
    const cells = this.shared.cells;
    for (let i = 0; i < c.accounts; i++) {
      Atomics.store(cells, this.shared.account(i, ACCOUNT.BALANCE), c.initialCents);
      Atomics.store(cells, this.shared.account(i, ACCOUNT.EXPECTED), c.initialCents);
    }
    Atomics.store(cells, G.MIN_BALANCE, c.initialCents);
    Atomics.store(cells, G.WINDOW_US, c.windowUs);
  }

  /** Starts the agents; resolves with the final report when every agent has finished. */
  run(): Promise<Report> {
    if (!this.finished) this.finished = this.execute();
    return this.finished;
  }

  private async execute(): Promise<Report> {
    const c = this.config;
    const exits: Promise<void>[] = [];
    const sync: SyncHandles = {
      locks: this.locks.map((l) => l.handle),
      rlock: this.rlock.handle,
      semaphore: this.semaphore.handle,
      funds: this.funds.handle,
    };
    const start = (entry: string, workerData: unknown, label: string): Worker => {
      const worker = spawnWorker(siblingModule(import.meta.url, entry), { workerData, stdout: true, stderr: true });
      watchWorker(worker); // a crashed or terminated agent must not leave a lock held
      exits.push(
        new Promise<void>((resolve) => {
          worker.once('error', (error: Error) => this.recordCrash(label, error.message));
          worker.once('exit', (code) => {
            if (code !== 0 && !this.killing && !this.crashed.some((c) => c.agent === label)) {
              const index = this.names.indexOf(label);
              const tx = index >= 0 ? Atomics.load(this.shared.cells, this.shared.agent(index, A.TX)) : 0;
              this.recordCrash(label, `died in transaction ${tx + 1} (exit code ${code})`);
            }
            resolve();
          });
        }),
      );
      this.workers.push(worker);
      return worker;
    };
    if (c.sync === 'async' || c.sync === 'async-mutex') {
      start('async-agents', { layout: this.shared.layout, config: c }, 'async agents');
    } else {
      this.roles.forEach((role, index) => {
        const data: AgentData = { layout: this.shared.layout, index, role, config: c, sync };
        start('agent', data, this.names[index]!);
      });
    }
    await this.barrier();
    this.shared.start[0] = performance.timeOrigin + performance.now();
    this.startedAt = performance.now();
    if (this.status === 'starting') this.status = 'running';
    Atomics.store(this.shared.cells, G.GO, 1);
    Atomics.notify(this.shared.cells, G.GO);
    this.monitor = setInterval(() => this.watch(), MONITOR_MS);
    await Promise.all(exits);
    clearInterval(this.monitor);
    clearTimeout(this.stopTimer);
    this.drain();
    this.endedAt = performance.now();
    this.status = 'finished';
    return this.report();
  }

  // Waits (without blocking the event loop) until every agent is at the start barrier.
  private async barrier(): Promise<void> {
    const cells = this.shared.cells;
    const total = this.roles.length;
    for (;;) {
      const online = Atomics.load(cells, G.ONLINE);
      if (online >= total || this.crashed.length > 0 || this.status === 'stopping') return;
      const wait = Atomics.waitAsync(cells, G.ONLINE, online, 200);
      if (wait.async) await wait.value;
    }
  }

  private recordCrash(label: string, message: string): void {
    this.crashed.push({ agent: label, message });
    this.markDead(label);
  }

  private markDead(label: string): void {
    const index = this.names.indexOf(label);
    if (index >= 0) Atomics.store(this.shared.cells, this.shared.agent(index, A.STATE), S.dead);
  }

  // Runs every MONITOR_MS while agents run.
  private watch(): void {
    this.drain();
    if (this.status === 'stopping' || this.status === 'finished') return;
    const deadlock = this.findDeadlock();
    if (deadlock) {
      // Owner fields of several locks are not read atomically together: only a cycle seen
      // twice in a row (MONITOR_MS apart) with every agent still blocked counts.
      if (deadlock.text === this.suspect) {
        this.deadlock = deadlock;
        this.stop();
      }
      this.suspect = deadlock.text;
      return;
    }
    this.suspect = '';
    // The condition scenario ends when the depositors are done: withdrawers still waiting for
    // funds that will never come are released by the stop.
    if (this.config.scenario === 'condition' || this.config.withdrawers > 0) {
      const depositorsDone = this.roles.every(
        (role, i) => role !== 'depositor' || this.agentState(i) === 'done' || this.agentState(i) === 'dead',
      );
      const withdrawersIdle = this.roles.every(
        (role, i) => role !== 'withdrawer' || ['done', 'dead', 'waiting for funds'].includes(this.agentState(i)),
      );
      if (depositorsDone && withdrawersIdle && this.status === 'running') this.stop();
    }
  }

  private agentState(i: number): AgentState {
    return STATES[Atomics.load(this.shared.cells, this.shared.agent(i, A.STATE))] ?? 'idle';
  }

  /** A cycle in the wait-for graph: agent -> lock it waits for -> agent holding it. */
  findDeadlock(): DeadlockInfo | null {
    const cells = this.shared.cells;
    const byThread = new Map<number, number>();
    this.roles.forEach((_, i) => byThread.set(Atomics.load(cells, this.shared.agent(i, A.THREAD_ID)), i));
    const waitsFor = new Map<number, { lock: number; holder: number }>();
    for (let i = 0; i < this.roles.length; i++) {
      const lock = Atomics.load(cells, this.shared.agent(i, A.WAITING_FOR)) - 1;
      if (lock < 0) continue;
      const owner = this.locks[lock]?.owner;
      const holder = owner == null ? undefined : byThread.get(owner);
      if (holder !== undefined && holder !== i) waitsFor.set(i, { lock, holder });
    }
    for (const startAgent of waitsFor.keys()) {
      const path: number[] = [];
      let at: number | undefined = startAgent;
      while (at !== undefined && !path.includes(at)) {
        path.push(at);
        at = waitsFor.get(at)?.holder;
      }
      if (at === undefined) continue;
      const cycle = path.slice(path.indexOf(at));
      const members = cycle.map((agent) => {
        const edge = waitsFor.get(agent)!;
        return { agent: this.names[agent]!, waitsFor: edge.lock, heldBy: this.names[edge.holder]! };
      });
      const text = members.map((m) => `${m.agent} waits for account ${m.waitsFor + 1}'s lock, held by ${m.heldBy}`).join('; ');
      return { cycle: members, text };
    }
    return null;
  }

  // --- commands ------------------------------------------------------------------------

  pause(): void {
    if (this.status !== 'running') return;
    this.status = 'paused';
    this.setControl(CONTROL.PAUSED);
  }

  resume(): void {
    if (this.status !== 'paused') return;
    this.status = 'running';
    this.setControl(CONTROL.RUNNING);
  }

  togglePause(): void {
    if (this.status === 'paused') this.resume();
    else this.pause();
  }

  /** Step mode: every agent waits before each micro-step until `step(agent)` grants one. */
  setStepMode(on: boolean): void {
    const cells = this.shared.cells;
    Atomics.store(cells, G.STEP_MODE, on ? 1 : 0);
    if (!on) for (let i = 0; i < this.roles.length; i++) Atomics.notify(cells, this.shared.agent(i, A.GRANTS));
  }

  get stepMode(): boolean {
    return Atomics.load(this.shared.cells, G.STEP_MODE) === 1;
  }

  /** Lets one agent take one micro-step (step mode). */
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
    this.status = 'stopping';
    this.setControl(CONTROL.STOPPING);
    Atomics.notify(this.shared.cells, G.GO);
    for (let i = 0; i < this.roles.length; i++) Atomics.notify(this.shared.cells, this.shared.agent(i, A.GRANTS));
    // An agent that does not come back in time (stuck in user code) is terminated.
    this.stopTimer = setTimeout(() => {
      this.killing = true;
      for (const w of this.workers) void w.terminate();
    }, STOP_GRACE_MS);
  }

  /** Ends the run immediately (Ctrl-C): terminates every worker. */
  async kill(): Promise<void> {
    this.stop();
    this.killing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private setControl(value: number): void {
    Atomics.store(this.shared.cells, G.CONTROL, value);
    Atomics.notify(this.shared.cells, G.CONTROL);
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
    const accounts = Array.from({ length: this.config.accounts }, (_, i) => ({
      balance: Atomics.load(cells, sh.account(i, ACCOUNT.BALANCE)),
      expected: Atomics.load(cells, sh.account(i, ACCOUNT.EXPECTED)),
    }));
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
        nextStep: this.stepMode && nextStep >= 0 ? (ACTIONS[nextStep] ?? null) : null,
      };
    });
    const elapsedMs = this.startedAt === 0 ? 0 : (this.endedAt || performance.now()) - this.startedAt;
    const transactions = sh.g(G.TRANSACTIONS);
    const lockOf = (lock: Mutex | RLock): number | null => {
      const owner = lock.owner;
      return owner == null ? null : (byThread.get(owner) ?? null);
    };
    const lockHolders =
      this.config.sync === 'rlock'
        ? [lockOf(this.rlock)]
        : this.config.sync === 'condition'
          ? [lockOf(this.funds.mutex)]
          : this.locks.map(lockOf);
    return {
      scenario: this.config.scenario,
      sync: this.config.sync,
      status: this.status,
      stepMode: this.stepMode,
      windowUs: sh.g(G.WINDOW_US),
      elapsedMs,
      balance: accounts.reduce((a, x) => a + x.balance, 0),
      expected: accounts.reduce((a, x) => a + x.expected, 0),
      accounts,
      lostUpdates: sh.g(G.LOST_UPDATES),
      minBalance: sh.g(G.MIN_BALANCE),
      overdrafts: sh.g(G.OVERDRAFTS),
      transactions,
      throughput: elapsedMs > 0 ? (transactions * 1000) / elapsedMs : 0,
      retries: sh.g(G.RETRIES),
      servingNow: sh.g(G.SERVING_NOW),
      servingMax: sh.g(G.SERVING_MAX),
      permits: this.config.permits,
      lockHolders,
      fundsWaiters: agents.filter((a) => a.state === 'waiting for funds').length,
      deadlock: this.deadlock,
      crashed: [...this.crashed],
      agents,
    };
  }

  report(): Report {
    const { status: _status, stepMode: _stepMode, ...snap } = this.snapshot();
    return { ...snap, seed: this.config.seed, durationMs: snap.elapsedMs, violations: violations(this.config, snap) };
  }
}

/** The invariants a correct run keeps; a run with none of these violations is "ok". */
export function violations(config: SimConfig, s: Omit<Snapshot, 'status' | 'stepMode'>): Violation[] {
  const out: Violation[] = [];
  s.accounts.forEach((a, i) => {
    if (a.balance !== a.expected) {
      out.push({ check: 'balance', detail: `account ${i + 1}: balance ${a.balance} != expected ${a.expected} cents` });
    }
  });
  if (s.lostUpdates > 0) out.push({ check: 'lost updates', detail: `${s.lostUpdates} updates overwritten` });
  if (s.minBalance < 0 && config.accounts === 1) out.push({ check: 'overdraft', detail: `balance went down to ${s.minBalance} cents` });
  if (config.scenario === 'tellers' && s.servingMax > config.permits) {
    out.push({ check: 'tellers', detail: `${s.servingMax} customers served at once with ${config.permits} windows` });
  }
  if (s.deadlock) out.push({ check: 'deadlock', detail: s.deadlock.text });
  for (const c of s.crashed) out.push({ check: 'crash', detail: `${c.agent} crashed: ${c.message}` });
  return out;
}

function roles(c: SimConfig): Role[] {
  const list: Role[] = [];
  const main: Role = c.scenario === 'transfer' ? 'transfer' : c.scenario === 'tellers' ? 'customer' : 'depositor';
  for (let i = 0; i < c.depositors; i++) list.push(main);
  for (let i = 0; i < c.withdrawers; i++) list.push('withdrawer');
  return list;
}

function agentName(c: SimConfig, role: Role, i: number): string {
  if (c.scenario === 'race' || c.scenario === 'async') return i < 26 ? String.fromCharCode(65 + i) : `A${i + 1}`;
  const n = role === 'withdrawer' ? i - c.depositors + 1 : i + 1;
  return `${{ depositor: 'D', withdrawer: 'W', transfer: 'T', customer: 'C' }[role]}${n}`;
}

