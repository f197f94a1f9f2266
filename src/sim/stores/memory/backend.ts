/**
 * The shared-memory store under a Run: the agents are worker threads (or async tasks on one
 * worker) of an AgentPool, and everything the Run reads is in one SharedArrayBuffer, read with
 * loads alone (no message to any agent). Control is a cell the agents read before every step.
 */
import type { Backend, Control, Reading } from '../../engine/run.js';
import { STEP_NAMES } from '../../engine/interpreter.js';
import { readEvents, type TraceEvent } from '../../engine/trace.js';
import type { SimConfig } from '../../model/config.js';
import type { Role } from '../../model/programs.js';
import type { DeadlockInfo, Outcome, WaitEdge } from '../../model/verdict.js';
import { AgentPool } from './agent-pool.js';
import { A, ACCOUNT, CONTROL, G, type Shared, SLOT, STATES } from './layout.js';

const CONTROLS: Record<Exclude<Control, 'abandon'>, number> = { running: CONTROL.RUNNING, paused: CONTROL.PAUSED, stopping: CONTROL.STOPPING };

export interface MemoryOptions {
  /** Keep every event (drained from the ring as it comes), for trace(). */
  collectTrace?: boolean;
}

export class MemoryBackend implements Backend<never> {
  readonly names: readonly string[];
  readonly roles: readonly Role[];
  readonly shared: Shared;
  private readonly pool: AgentPool;
  private collected: TraceEvent[] | null = null;
  private cursor = 0;
  private drainTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly config: SimConfig,
    options: MemoryOptions = {},
  ) {
    this.pool = new AgentPool(config, 1, { trace: true });
    this.names = this.pool.names;
    this.roles = this.pool.roles;
    this.shared = this.pool.shared;
    if (options.collectTrace) this.collected = [];
  }

  get crashed(): readonly { agent: string; message: string }[] {
    return this.pool.crashed;
  }

  async start(): Promise<void> {
    await this.pool.start();
    this.shared.start[0] = performance.timeOrigin + performance.now();
    // Events are drained as they come (when collecting every one), so the ring never laps us.
    if (this.collected) this.drainTimer = setInterval(() => this.drain(), 20);
  }

  async go(): Promise<void> {
    if (!this.pool.stopping) await this.pool.round(1, false);
  }

  async refresh(): Promise<void> {}

  failure(): Error | null {
    return null; // shared memory cannot be lost while the process lives
  }

  control(control: Control): void {
    if (control === 'abandon') this.pool.abandon();
    else if (control === 'stopping') this.pool.stop();
    else this.pool.setControl(CONTROLS[control]);
  }

  setStepMode(on: boolean): void {
    const cells = this.shared.cells;
    Atomics.store(cells, G.STEP_MODE, on ? 1 : 0);
    // Agents waiting for a grant re-check the mode when woken.
    if (!on) for (let i = 0; i < this.roles.length; i++) Atomics.notify(cells, this.shared.agent(i, A.GRANTS));
  }

  grant(agent: number): void {
    const cell = this.shared.agent(agent, A.GRANTS);
    Atomics.add(this.shared.cells, cell, 1);
    Atomics.notify(this.shared.cells, cell);
  }

  setWindow(us: number): void {
    Atomics.store(this.shared.cells, G.WINDOW_US, us);
  }

  async kill(): Promise<void> {
    await this.pool.kill();
  }

  async close(): Promise<void> {
    clearInterval(this.drainTimer);
    await this.pool.close();
    this.drain();
  }

  waitsFor(): Map<number, WaitEdge> {
    return this.pool.waitsFor();
  }

  events(from: number, max: number): TraceEvent[] {
    return readEvents(this.shared, from, max);
  }

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

  read(): Reading {
    const sh = this.shared;
    const cells = sh.cells;
    const stepMode = Atomics.load(cells, G.STEP_MODE) === 1;
    const byThread = new Map<number, number>();
    const agents = this.roles.map((_, i) => {
      const at = (field: number): number => Atomics.load(cells, sh.agent(i, field));
      byThread.set(at(A.THREAD_ID), i);
      const waitingFor = at(A.WAITING_FOR) - 1;
      const nextStep = at(A.NEXT_STEP) - 1;
      return {
        state: STATES[at(A.STATE)] ?? 'idle',
        transactions: at(A.TX),
        movedCents: at(A.MOVED),
        lockWaits: at(A.LOCK_WAITS),
        waitMs: at(A.WAIT_US) / 1000,
        retries: at(A.RETRIES),
        waitingFor: waitingFor >= 0 ? waitingFor : null,
        nextStep: stepMode && nextStep >= 0 ? (STEP_NAMES[nextStep] ?? null) : null,
      };
    });
    const locks = this.config.sync === 'rlock' || this.config.sync === 'condition' ? 1 : this.config.accounts;
    const lockHolders = Array.from({ length: locks }, (_, n) => {
      const owner = this.pool.lockAt(n)?.owner;
      return owner == null ? null : (byThread.get(owner) ?? null);
    });
    return {
      accounts: accountsOf(sh, 0),
      minBalance: sh.g(sh.slot(0, SLOT.MIN_BALANCE)),
      overdrafts: sh.g(sh.slot(0, SLOT.OVERDRAFTS)),
      staleWrites: sh.g(sh.slot(0, SLOT.STALE_WRITES)),
      transactions: sh.g(sh.slot(0, SLOT.TRANSACTIONS)),
      retries: sh.g(sh.slot(0, SLOT.RETRIES)),
      servingNow: sh.g(sh.slot(0, SLOT.SERVING_NOW)),
      servingMax: sh.g(sh.slot(0, SLOT.SERVING_MAX)),
      lockHolders,
      agents,
      windowUs: sh.g(G.WINDOW_US),
    };
  }
}

/** Reads a slot's outcome (what the verdict judges): one trial's, or the run's (slot 0). */
export function outcomeOf(shared: Shared, slot: number, deadlock: DeadlockInfo | null, crashed: Outcome['crashed']): Outcome {
  return {
    accounts: accountsOf(shared, slot),
    minBalance: shared.g(shared.slot(slot, SLOT.MIN_BALANCE)),
    servingMax: shared.g(shared.slot(slot, SLOT.SERVING_MAX)),
    deadlock,
    crashed,
  };
}

/** A slot's accounts as the verdict judges them. */
export function accountsOf(shared: Shared, slot: number): Reading['accounts'] {
  return Array.from({ length: shared.layout.accounts }, (_, i) => ({
    balance: shared.balance(slot, i),
    expected: Atomics.load(shared.cells, shared.account(slot, i, ACCOUNT.EXPECTED)),
    commits: Atomics.load(shared.cells, shared.account(slot, i, ACCOUNT.COMMITS)),
    version: shared.version(slot, i),
  }));
}
