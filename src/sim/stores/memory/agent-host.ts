/**
 * An agent's life in shared memory, for thread agents and async agents alike: run control
 * (pause, step mode, stop, abandoned rounds), trace events and states, and the round loop
 * that runs the agent's transactions on each slot of each round (see layout.ts).
 */
import type { SimConfig } from '../../model/config.js';
import { interpret, STEP_NAMES, type Host, type Store } from '../../engine/interpreter.js';
import { A, CONTROL, G, S, SLOT, type Shared } from './layout.js';
import { inputsOf } from '../../model/inputs.js';
import { transaction, type Role } from '../../model/programs.js';
import { agentSeed, between, rng } from '../../model/rng.js';
import type { Step } from '../../model/steps.js';
import { Abandoned } from './thread-store.js';
import { ACT } from '../../engine/trace.js';

/** How the agent sleeps: blocking (a worker thread of its own) or async (shares an event loop). */
export interface Sleeper {
  /** Sleeps while `cells[index] === value`, at most `ms`. */
  waitOn(cells: Int32Array, index: number, value: number, ms: number): void | Promise<void>;
  /** Lets `us` microseconds pass (the race window); `spin` busy-waits instead of sleeping. */
  sleepUs(us: number, spin: boolean): void | Promise<void>;
}

/** A wait the gate asks for, or null: go ahead. */
type GateWait = { cell: number; value: number; ms: number } | null;

export class SharedHost implements Host {
  private readonly cells: Int32Array;
  private readonly next: () => number;
  /** Set for the transaction in which fault injection strikes (--crash). */
  crashPending = 0;
  /** --pause-holder: ms to stall at the first window of this transaction (after the read, before the write). */
  stallPending = 0;
  private stallNowUs = 0;

  constructor(
    private readonly shared: Shared,
    private readonly me: number,
    private readonly config: SimConfig,
    private readonly sleeper: Sleeper,
    private readonly die: (op: number) => never = () => {
      throw new Error('this agent cannot crash');
    },
  ) {
    this.cells = shared.cells;
    this.next = rng(agentSeed(config.seed, me) ^ 0x5bd1e995); // back-off jitter only
  }

  private cell(field: number): number {
    return this.shared.agent(this.me, field);
  }

  /** Decides, from shared memory alone, whether the agent may take `step` now. */
  private check(step: Step): GateWait {
    const c = this.cells;
    const control = Atomics.load(c, G.CONTROL);
    if (control === CONTROL.STOPPING || Atomics.load(c, G.ABORT) === 1) throw new Abandoned();
    if (control === CONTROL.PAUSED) return { cell: G.CONTROL, value: CONTROL.PAUSED, ms: 100 };
    if (Atomics.load(c, G.STEP_MODE) === 0) return null;
    const grants = this.cell(A.GRANTS);
    const granted = Atomics.load(c, grants);
    if (granted > 0) return Atomics.compareExchange(c, grants, granted, granted - 1) === granted ? null : { cell: grants, value: -1, ms: 0 };
    Atomics.store(c, this.cell(A.NEXT_STEP), STEP_NAMES.indexOf(step.op) + 1);
    this.setState(S['waiting for step']);
    return { cell: grants, value: 0, ms: 100 };
  }

  gate(step: Step): void | Promise<void> {
    const c = this.cells;
    // Running freely, the common case, costs three loads of a line nobody writes meanwhile
    // (layout.ts); anything else (paused, stopping, abandoned, step mode) is decided below.
    if ((Atomics.load(c, G.CONTROL) | Atomics.load(c, G.ABORT) | Atomics.load(c, G.STEP_MODE)) === 0) return;
    const wait = this.check(step);
    if (!wait) return;
    return (async () => {
      for (let w: GateWait = wait; w; w = this.check(step)) {
        const slept = this.sleeper.waitOn(this.cells, w.cell, w.value, w.ms);
        if (slept) await slept;
      }
      Atomics.store(this.cells, this.cell(A.NEXT_STEP), 0);
    })();
  }

  pause(step: Extract<Step, { op: 'window' | 'backoff' }>): void | Promise<void> {
    const us = Atomics.load(this.cells, G.WINDOW_US);
    if (step.op === 'window') {
      const stall = this.stallNowUs;
      this.stallNowUs = 0;
      return us + stall > 0 ? this.sleeper.sleepUs(us + stall, this.config.windowMode === 'spin' && stall === 0) : undefined;
    }
    Atomics.add(this.cells, this.cell(A.RETRIES), 1);
    if (step.reason === 'poll') {
      this.setState(S['waiting for funds']);
      return this.sleeper.sleepUs(Math.max(1000, (this.config.depositEveryUs * this.config.timeScale) / 4), false);
    }
    return this.sleeper.sleepUs(between(this.next, 0, Math.max(1, 2 * us)) + 50, false); // random back-off
  }

  midTransaction(): void {
    if (this.crashPending) {
      this.emit(ACT.crash, this.crashPending);
      this.setState(S.dead);
      this.die(this.crashPending);
    }
    if (this.stallPending) {
      this.stallNowUs = this.stallPending * 1000;
      this.stallPending = 0;
    }
  }

  setState(state: number): void {
    Atomics.store(this.cells, this.cell(A.STATE), state);
  }

  emit(action: number, value = 0, aux = 0, aux2 = 0, aux3 = 0): void {
    if (Atomics.load(this.cells, G.TRACE) === 1) this.shared.emit(this.me, action, value, aux, aux2, aux3);
  }

  /** Idles between transactions; a stop (or pause) interrupts it. */
  idle(us: number): void | Promise<void> {
    if (us <= 0) return;
    this.setState(S.idle);
    return this.sleeper.waitOn(this.cells, G.CONTROL, CONTROL.RUNNING, (us * this.config.timeScale) / 1000);
  }
}

export interface AgentParts {
  shared: Shared;
  /** Agents in the run (all of them meet at each trial state of a stride). */
  agents: number;
  me: number;
  role: Role;
  config: SimConfig;
  store: Store & { slot: number; releaseAll(): void | Promise<void> };
  host: SharedHost;
  sleeper: Sleeper;
}

/**
 * The agent's whole life: announce itself, then for each round the controller starts, run
 * its transactions on every slot of the round and report done; leave when the run stops.
 */
export async function agentLoop(p: AgentParts): Promise<void> {
  const { shared, me, config, store, host, sleeper } = p;
  const c = shared.cells;
  const cell = (field: number): number => shared.agent(me, field);
  host.setState(S.idle);
  Atomics.add(c, G.ONLINE, 1);
  Atomics.notify(c, G.ONLINE);
  let round = 0;
  for (;;) {
    // Start barrier: every agent starts the round at once, or the first would finish before the last began.
    while (Atomics.load(c, G.ROUND) === round) {
      if (Atomics.load(c, G.CONTROL) === CONTROL.STOPPING) return;
      const slept = sleeper.waitOn(c, G.ROUND, round, 100);
      if (slept) await slept;
    }
    round = Atomics.load(c, G.ROUND);
    const slots = Atomics.load(c, G.SLOTS);
    for (let slot = 0; slot < slots; slot++) {
      if (slots > 1) alignAt(shared, slot, p.agents);
      store.slot = slot;
      Atomics.store(c, cell(A.SLOT), slot);
      // The same inputs in every trial, drawn from the one source (model/inputs.ts).
      const inputs = inputsOf(config, me);
      try {
        for (let op = 1; op <= config.ops; op++) {
          host.crashPending = config.crashAt && config.crashAt.agent === me && config.crashAt.op === op ? op : 0;
          host.stallPending = config.pauseAt && config.pauseAt.agent === me && config.pauseAt.op === op && slot === 0 ? config.pauseAt.ms : 0;
          const tx = inputs.nextTx();
          const ran = interpret(transaction(config.sync, config.order, tx), store, host);
          if (ran instanceof Promise) await ran;
          Atomics.add(c, cell(A.TX), 1);
          Atomics.add(c, cell(A.MOVED), tx.amount);
          Atomics.add(c, shared.slot(slot, SLOT.TRANSACTIONS), 1);
          if (op < config.ops) {
            const idled = host.idle(inputs.nextIdleUs());
            if (idled) await idled;
          }
          if (Atomics.load(c, G.CONTROL) === CONTROL.STOPPING || Atomics.load(c, G.ABORT) === 1) throw new Abandoned();
        }
      } catch (error) {
        if (!(error instanceof Abandoned)) {
          host.setState(S.dead);
          host.emit(ACT.crash);
          throw error;
        }
        const released = store.releaseAll();
        if (released) await released;
        host.emit(ACT['gave up']);
        break; // the round is over for this agent
      }
    }
    host.setState(S.done);
    Atomics.add(c, G.DONE, 1);
    Atomics.notify(c, G.DONE);
  }
}

const SPINS_BEFORE_SLEEP = 2_000;

/**
 * Lines the agents up at the start of one trial state of a stride, so that they run it at the
 * same moment (a race with no window needs them to overlap within nanoseconds, and a wake-up
 * from one barrier per round comes tens of microseconds apart). A spin barrier: the last to
 * arrive releases the others; one that spins too long (more agents than cores) sleeps instead.
 */
function alignAt(shared: Shared, slot: number, agents: number): void {
  const c = shared.cells;
  const cell = shared.slot(slot, SLOT.ARRIVED);
  if (Atomics.add(c, cell, 1) + 1 >= agents) {
    Atomics.notify(c, cell);
    return;
  }
  for (let spin = 0; ; spin++) {
    const arrived = Atomics.load(c, cell);
    if (arrived >= agents) return;
    // Asleep, it is woken by the last arrival's notify (the timeout only re-checks for a stop).
    if (spin > SPINS_BEFORE_SLEEP) Atomics.wait(c, cell, arrived, 20);
    if (Atomics.load(c, G.ABORT) === 1 || Atomics.load(c, G.CONTROL) === CONTROL.STOPPING) return;
  }
}
