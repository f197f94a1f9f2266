/**
 * The agents of a run, started once: one worker per agent (or one worker for all async
 * agents), the sync objects of every slot, and rounds. A round resets its slots, raises the
 * start barrier and resolves when every live agent has finished it. While a round runs, a
 * monitor looks for deadlock (a cycle in the wait-for graph, read from the locks' owner fields)
 * and for withdrawers left waiting for money that will never come, and abandons the round.
 */
import type { Worker } from 'node:worker_threads';
import { Condition, Mutex, RLock, Semaphore, watchWorker } from '../../../sync/index.js';
import type { AgentData } from './agent.js';
import type { SimConfig } from '../../model/config.js';
import { A, CONTROL, G, S, Shared, SLOT, STATES, type AgentState } from './layout.js';
import { agentName, rolesOf, type Role } from '../../model/programs.js';
import { siblingModule, spawnWorker } from '../../engine/spawn-worker.js';
import type { SyncHandles } from './thread-store.js';
import type { DeadlockInfo, WaitEdge } from '../../model/verdict.js';
import { MONITOR_MS } from '../../engine/run.js';
import { Watchdog } from '../../engine/watchdog.js';
import { waitAsyncAlive } from './wait-async.js';

const STOP_GRACE_MS = 2000;

export interface RoundResult {
  deadlock: DeadlockInfo | null;
  /** The round was abandoned (deadlock, stop, or withdrawers with no money left to wait for). */
  abandoned: boolean;
}

export class AgentPool {
  readonly roles: Role[];
  readonly names: string[];
  readonly shared: Shared;
  readonly locks: Mutex[];
  readonly rlocks: RLock[];
  readonly semaphores: Semaphore[];
  readonly funds: Condition[];
  readonly crashed: { agent: string; message: string }[] = [];
  private workers: Worker[] = [];
  private exits: Promise<void>[] = [];
  private alive = 0;
  private killing = false;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  private roundDone: (() => void) | null = null;

  constructor(
    readonly config: SimConfig,
    readonly slots: number,
    options: { trace: boolean },
  ) {
    const c = config;
    this.roles = rolesOf(c);
    this.names = this.roles.map((role, i) => agentName(c, role, i));
    this.shared = Shared.create(c.accounts, this.roles.length, options.trace ? c.traceCapacity : 1, slots);
    // Only the objects the strategy uses, one set per slot (slots are independent banks).
    const uses = (...s: SimConfig['sync'][]): boolean => s.includes(c.sync);
    this.locks = uses('mutex') ? Array.from({ length: slots * c.accounts }, () => new Mutex()) : [];
    this.rlocks = uses('rlock') ? Array.from({ length: slots }, () => new RLock()) : [];
    this.semaphores = uses('semaphore') ? Array.from({ length: slots }, () => new Semaphore(c.permits)) : [];
    this.funds = uses('condition') ? Array.from({ length: slots }, () => new Condition(new Mutex())) : [];
    Atomics.store(this.shared.cells, G.TRACE, options.trace ? 1 : 0);
    Atomics.store(this.shared.cells, G.WINDOW_US, c.windowUs);
    for (let s = 0; s < slots; s++) this.shared.reset(s, c.initialCents);
  }

  get handles(): SyncHandles {
    return {
      locks: this.locks.map((l) => l.handle),
      rlocks: this.rlocks.map((l) => l.handle),
      semaphores: this.semaphores.map((s) => s.handle),
      funds: this.funds.map((f) => f.handle),
    };
  }

  /** Starts the workers and waits until every agent is at the start barrier. */
  async start(): Promise<void> {
    const c = this.config;
    if (c.sync === 'async' || c.sync === 'async-mutex') {
      this.spawn('async-agents', { layout: this.shared.layout, config: c, sync: this.handles }, 'async agents', this.roles.length);
    } else {
      this.roles.forEach((role, index) => {
        const data: AgentData = { layout: this.shared.layout, index, role, config: c, sync: this.handles };
        this.spawn('agent', data, this.names[index]!, 1);
      });
    }
    const cells = this.shared.cells;
    for (;;) {
      const online = Atomics.load(cells, G.ONLINE);
      if (online >= this.roles.length || this.alive < this.roles.length || this.stopping) return;
      await waitAsyncAlive(cells, G.ONLINE, online, 200);
    }
  }

  private spawn(entry: string, workerData: unknown, label: string, agents: number): void {
    const worker = spawnWorker(siblingModule(import.meta.url, entry), { workerData, stdout: true, stderr: true });
    watchWorker(worker); // a crashed or terminated agent must not leave a lock held
    this.alive += agents;
    this.exits.push(
      new Promise<void>((resolve) => {
        let error = '';
        worker.once('error', (e: Error) => (error = e.message));
        worker.once('exit', (code) => {
          this.alive -= agents;
          if ((code !== 0 || error) && !this.killing) this.recordDeath(label, code, error);
          this.roundDone?.();
          resolve();
        });
      }),
    );
    this.workers.push(worker);
  }

  private recordDeath(label: string, code: number, error: string): void {
    const index = this.names.indexOf(label);
    const cells = this.shared.cells;
    if (index >= 0) {
      const tx = Atomics.load(cells, this.shared.agent(index, A.TX));
      Atomics.store(cells, this.shared.agent(index, A.STATE), S.dead);
      // Semaphores have no owner: give back the permits the dead agent held, as the robust
      // locks do for the locks it held.
      const slot = Atomics.load(cells, this.shared.agent(index, A.SLOT));
      // A customer who dies at the window is no longer being served (uncounted before its
      // permit goes back, or the next customer would be counted beside a ghost).
      if (Atomics.exchange(cells, this.shared.agent(index, A.SERVING), 0) === 1) Atomics.sub(cells, this.shared.slot(slot, SLOT.SERVING_NOW), 1);
      const permits = Atomics.exchange(cells, this.shared.agent(index, A.PERMITS), 0);
      if (permits > 0) this.semaphores[slot]?.release(permits);
      this.crashed.push({ agent: label, message: error || `died in transaction ${tx + 1} (exit code ${code})` });
    } else {
      this.crashed.push({ agent: label, message: error || `exit code ${code}` });
    }
  }

  get stopping(): boolean {
    return Atomics.load(this.shared.cells, G.CONTROL) === CONTROL.STOPPING;
  }

  /**
   * Runs one round on `slots` slots (reset first); resolves when every live agent is done with it.
   * `watch`: the pool runs the watchdog itself (trials); a Run passes false and watches the run.
   */
  async round(slots = this.slots, watch = true): Promise<RoundResult> {
    const cells = this.shared.cells;
    for (let s = 0; s < slots; s++) this.shared.reset(s, this.config.initialCents);
    Atomics.store(cells, G.SLOTS, slots);
    Atomics.store(cells, G.DONE, 0);
    Atomics.store(cells, G.ABORT, 0);
    Atomics.add(cells, G.ROUND, 1);
    Atomics.notify(cells, G.ROUND);
    let deadlock: DeadlockInfo | null = null;
    const watchdog = new Watchdog(this.names, this.roles);
    const monitor = watch
      ? setInterval(() => {
          if (Atomics.load(cells, G.ABORT) === 1 || this.stopping) return;
          const found = watchdog.look(
            this.waitsFor(),
            this.roles.map((_, i) => this.agentState(i)),
          );
          if (found.deadlock) deadlock = found.deadlock;
          if (found.deadlock || found.stranded) this.abandon();
        }, MONITOR_MS)
      : undefined;
    try {
      for (;;) {
        const done = Atomics.load(cells, G.DONE);
        if (done >= this.alive) break;
        const settled = new Promise<void>((resolve) => (this.roundDone = resolve));
        // Not waitAsyncAlive: the pool's own workers keep the process alive while a round runs.
        const wait = Atomics.waitAsync(cells, G.DONE, done, 1000);
        if (wait.async) await Promise.race([wait.value, settled]);
      }
    } finally {
      clearInterval(monitor);
      this.roundDone = null;
    }
    return { deadlock, abandoned: Atomics.load(cells, G.ABORT) === 1 || this.stopping };
  }

  /** Blocked agents give up the current round and report done. */
  abandon(): void {
    Atomics.store(this.shared.cells, G.ABORT, 1);
    this.wakeAll();
  }

  agentState(i: number): AgentState {
    return STATES[Atomics.load(this.shared.cells, this.shared.agent(i, A.STATE))] ?? 'idle';
  }

  /** The lock object behind lock index n of slot 0 (what the snapshot shows). */
  lockAt(n: number): Mutex | RLock | undefined {
    if (this.config.sync === 'rlock') return this.rlocks[0];
    if (this.config.sync === 'condition') return this.funds[0]?.mutex;
    return this.locks[n];
  }

  /** The wait-for graph of slot 0: agent -> the lock it waits for -> the agent holding it. */
  waitsFor(): Map<number, WaitEdge> {
    const cells = this.shared.cells;
    const byThread = new Map<number, number>();
    this.roles.forEach((_, i) => {
      byThread.set(Atomics.load(cells, this.shared.agent(i, A.THREAD_ID)), i);
    });
    const waitsFor = new Map<number, WaitEdge>();
    if (this.config.sync === 'semaphore') return waitsFor; // permits have no owner to wait for
    for (let i = 0; i < this.roles.length; i++) {
      const lock = Atomics.load(cells, this.shared.agent(i, A.WAITING_FOR)) - 1;
      if (lock < 0) continue;
      const owner = this.lockAt(lock)?.owner;
      const holder = owner == null ? undefined : byThread.get(owner);
      if (holder !== undefined && holder !== i) waitsFor.set(i, { lock, holder });
    }
    return waitsFor;
  }

  private wakeAll(): void {
    const cells = this.shared.cells;
    Atomics.notify(cells, G.CONTROL);
    Atomics.notify(cells, G.ROUND);
    for (let i = 0; i < this.roles.length; i++) Atomics.notify(cells, this.shared.agent(i, A.GRANTS));
  }

  setControl(value: number): void {
    Atomics.store(this.shared.cells, G.CONTROL, value);
    this.wakeAll();
  }

  /** Every agent, blocked or not, leaves at its next check (within ~50 ms); stragglers are terminated. */
  stop(): void {
    if (this.stopping) return;
    this.setControl(CONTROL.STOPPING);
    this.stopTimer = setTimeout(() => {
      this.killing = true;
      for (const w of this.workers) void w.terminate();
    }, STOP_GRACE_MS);
    this.stopTimer.unref?.();
  }

  /** Stops and waits until every worker has exited. */
  async close(): Promise<void> {
    this.stop();
    await Promise.all(this.exits);
    clearTimeout(this.stopTimer);
  }

  /** Ends at once (Ctrl-C): terminates every worker. */
  async kill(): Promise<void> {
    this.stop();
    this.killing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    clearTimeout(this.stopTimer);
  }
}
