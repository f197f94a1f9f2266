/**
 * The run's shared memory: one SharedArrayBuffer that agents write and the controller (and
 * through it the UI) reads without any message passing. All cells are Int32 so agents can
 * update them with Atomics and sleep on them.
 *
 *   [0, 8)         Float64: run start, epoch ms (performance.timeOrigin + now())
 *   header         GLOBAL cells below
 *   accounts       per account: BALANCE, EXPECTED (the truth, kept with Atomics.add), LAST_WRITER
 *   agents         per agent: the AGENT cells below
 *   events         a ring of EVENT_SIZE-cell records (see trace.ts)
 */
export const G = {
  CONTROL: 0, // RUNNING / PAUSED / STOPPING
  STEP_MODE: 1, // 1: agents wait for a grant before every micro-step
  GO: 2, // start barrier: agents spin-wait until the controller sets it
  WINDOW_US: 3, // race window, live-adjustable
  LOST_UPDATES: 4,
  OVERDRAFTS: 5,
  MIN_BALANCE: 6,
  TRANSACTIONS: 7,
  SERVING_NOW: 8,
  SERVING_MAX: 9,
  EVENT_NEXT: 10, // index of the next event to write
  RETRIES: 11,
  ONLINE: 12, // agents that reached the start barrier
} as const;
const GLOBAL_CELLS = 16;

export const CONTROL = { RUNNING: 0, PAUSED: 1, STOPPING: 2 } as const;

export const A = {
  STATE: 0,
  TX: 1,
  MOVED: 2, // cents moved
  LOCK_WAITS: 3,
  WAIT_US: 4, // time spent waiting for locks or funds, µs
  RETRIES: 5,
  LAST_READ: 6,
  GRANTS: 7, // step-mode grants not yet used
  WAITING_FOR: 8, // lock index + 1 the agent is blocked on, 0 if none
  THREAD_ID: 9,
  NEXT_STEP: 10, // the micro-step it will take next (Action), for step mode
} as const;
export const AGENT_CELLS = 12;

export const ACCOUNT = { BALANCE: 0, EXPECTED: 1, LAST_WRITER: 2 } as const;
export const ACCOUNT_CELLS = 3;

export const EVENT_SIZE = 7; // SEQ, TIME_US, AGENT, ACTION, VALUE, AUX, AUX2

/** Agent states, as stored in A.STATE. */
export const STATES = [
  'idle',
  'reading',
  'in window',
  'writing',
  'waiting for lock',
  'waiting for funds',
  'holding lock',
  'done',
  'dead',
  'serving',
  'waiting for step',
] as const;
export type AgentState = (typeof STATES)[number];
export const S = indexOf(STATES);

/** Name -> index for a list of names stored as their index in shared memory. */
export function indexOf<T extends string>(names: readonly T[]): Record<T, number> {
  return Object.fromEntries(names.map((name, i) => [name, i])) as Record<T, number>;
}

export interface Layout {
  buffer: SharedArrayBuffer;
  accounts: number;
  agents: number;
  traceCapacity: number;
}

export class Shared {
  readonly cells: Int32Array;
  readonly start: Float64Array;
  private readonly accountBase: number;
  private readonly agentBase: number;
  readonly eventBase: number;

  constructor(readonly layout: Layout) {
    this.start = new Float64Array(layout.buffer, 0, 1);
    this.cells = new Int32Array(layout.buffer, 8);
    this.accountBase = GLOBAL_CELLS;
    this.agentBase = this.accountBase + layout.accounts * ACCOUNT_CELLS;
    this.eventBase = this.agentBase + layout.agents * AGENT_CELLS;
  }

  static create(accounts: number, agents: number, traceCapacity: number): Shared {
    const cells = GLOBAL_CELLS + accounts * ACCOUNT_CELLS + agents * AGENT_CELLS + traceCapacity * EVENT_SIZE;
    return new Shared({ buffer: new SharedArrayBuffer(8 + cells * 4), accounts, agents, traceCapacity });
  }

  g(cell: number): number {
    return Atomics.load(this.cells, cell);
  }

  account(i: number, cell: number): number {
    return this.accountBase + i * ACCOUNT_CELLS + cell;
  }

  agent(i: number, cell: number): number {
    return this.agentBase + i * AGENT_CELLS + cell;
  }

  /** Microseconds since the run started, on a clock shared by all threads. */
  nowUs(): number {
    return Math.round((performance.timeOrigin + performance.now() - this.start[0]!) * 1000);
  }

  /** Appends an event to the ring (lock-free: each writer claims its own slot). */
  emit(agent: number, action: number, value = 0, aux = 0, aux2 = 0): void {
    const seq = Atomics.add(this.cells, G.EVENT_NEXT, 1);
    const base = this.eventBase + (seq % this.layout.traceCapacity) * EVENT_SIZE;
    const c = this.cells;
    Atomics.store(c, base, -1); // mark the slot as being written
    c[base + 1] = this.nowUs();
    c[base + 2] = agent;
    c[base + 3] = action;
    c[base + 4] = value;
    c[base + 5] = aux;
    c[base + 6] = aux2;
    Atomics.store(c, base, seq); // publish: readers accept the record only when SEQ matches
  }

  /** Keeps the global minimum balance with a CAS loop. */
  noteBalance(balance: number): void {
    let seen = Atomics.load(this.cells, G.MIN_BALANCE);
    while (balance < seen) {
      const before = Atomics.compareExchange(this.cells, G.MIN_BALANCE, seen, balance);
      if (before === seen) break;
      seen = before;
    }
    if (balance < 0) Atomics.add(this.cells, G.OVERDRAFTS, 1);
  }
}
