/**
 * The run's shared memory: one SharedArrayBuffer that agents write and the controller (and
 * through it the UI) reads without any message passing.
 *
 *   header        Int32 GLOBAL cells (read before every step), the run start (Float64, epoch
 *                 ms: performance.timeOrigin + now()), and G.EVENT_NEXT on a line of its own
 *   slots         per slot: its balance words (BigInt64, one per account, see below), the SLOT
 *                 cells, then per account the ACCOUNT cells
 *   agents        Int32, per agent: the AGENT cells
 *   events        Int32, a ring of EVENT_SIZE-cell records (see trace.ts)
 *
 * Every cell is addressed in one Int32Array (`cells`) and every word in one BigInt64Array
 * (`words`) over the whole buffer.
 *
 * Cache lines. Each region starts LINE bytes apart from the others, and so does each slot and
 * each agent: a cell that one core writes often never shares a 64-byte line with one that
 * another core reads or writes (false sharing would turn every such access into a cache miss:
 * the gate's control cells, read before every step, once sat on the line of the balance word
 * and of the event counter that every step writes). The buffer itself is only 16-byte aligned,
 * so LINE leaves at least 64 bytes between regions however it lands.
 *
 * A *slot* is one independent copy of the bank. A run uses slot 0. Trials run many slots per
 * round (a jcstress "stride"): every agent performs its transactions on slot 0, then slot 1,
 * ..., so one start barrier serves many trials.
 *
 * The balance word packs the balance (cents) with its *version*: how many committed updates
 * the balance reflects. One 64-bit Atomics operation reads or writes both, so a write knows
 * exactly what it overwrote. A write of `seen.value + delta` carries `seen.version + 1`; the
 * updates that vanished are the committed ones minus the final version, exactly.
 */
import { performance } from 'node:perf_hooks';

export const G = {
  CONTROL: 0, // RUNNING / PAUSED / STOPPING
  STEP_MODE: 1, // 1: agents wait for a grant before every step
  ROUND: 2, // start barrier: agents wait until the controller raises it to the next round
  WINDOW_US: 3, // race window, live-adjustable
  EVENT_NEXT: 32, // index of the next event to write: every event bumps it, so it has a line of its own
  ONLINE: 5, // agents that reached the start barrier (first round)
  DONE: 6, // agents that finished the current round
  TRACE: 7, // 1: agents emit events (runs); 0: they do not (fast trials)
  ABORT: 8, // 1: the current round is being abandoned (deadlock, Ctrl-C): blocked agents give up
  SLOTS: 9, // slots in use this round
} as const;
/** Bytes between regions written by different threads (see the cache lines above). */
const LINE = 128;
const START_BYTE = 56; // the run start (Float64): cells 14-15, read-mostly like cells 0-13
const HEADER_BYTES = 2 * LINE; // bytes 0-63: G cells and the start; EVENT_NEXT at byte 128

export const CONTROL = { RUNNING: 0, PAUSED: 1, STOPPING: 2 } as const;

/** Per-slot cells: what the verdict judges. */
export const SLOT = {
  MIN_BALANCE: 0,
  OVERDRAFTS: 1,
  SERVING_NOW: 2,
  SERVING_MAX: 3,
  STALE_WRITES: 4, // writes that overwrote changes they never read
  RETRIES: 5,
  TRANSACTIONS: 6,
  ARRIVED: 7, // agents lined up to start this slot (strides: see agent-host.ts)
} as const;
const SLOT_CELLS = 8;

/** Per-slot, per-account cells. */
export const ACCOUNT = {
  EXPECTED: 0, // the truth, kept with Atomics.add: what the balance would be without races
  COMMITS: 1, // updates committed to this account (each write, add or successful cas)
  LAST_WRITER: 2, // agent index + 1 of the last write
} as const;
const ACCOUNT_CELLS = 3;

/** Per-agent cells (at most 16: 64 bytes, in a row of LINE bytes per agent). */
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
  NEXT_STEP: 10, // the step it will take next (index in STEP_NAMES + 1), for step mode
  PERMITS: 11, // teller permits it holds (given back for it if it dies)
  SLOT: 12, // the slot it is working on
  SERVING: 13, // 1 while it is at a teller window (taken off the count for it if it dies there)
} as const;

export const EVENT_SIZE = 8; // SEQ, TIME_US, AGENT, ACTION, VALUE, AUX, AUX2, AUX3

// Agent states (A.STATE) are the engine's (engine/states.ts).
export { type AgentState, indexOf, S, STATES } from '../../engine/states.js';

export interface Layout {
  buffer: SharedArrayBuffer;
  accounts: number;
  agents: number;
  slots: number;
  traceCapacity: number;
}

const OFFSET = 2 ** 31; // balances are stored offset-binary in the low 32 bits of the word
const LOW = 0xffff_ffffn;

export function packWord(balance: number, version: number): bigint {
  return (BigInt(version) << 32n) | BigInt(balance + OFFSET);
}
export function balanceOf(word: bigint): number {
  return Number(word & LOW) - OFFSET;
}
export function versionOf(word: bigint): number {
  return Number(word >> 32n);
}
/** What to add to a word for an atomic `delta` that counts as one more committed update. */
export function addend(delta: number): bigint {
  return (1n << 32n) + BigInt(delta);
}

// Read for every event, so the clock is taken the cheapest way: the global `performance` is a
// lazy getter (imported, it is a plain binding), and timeOrigin, a getter too, is fixed per
// thread. Together they added about 25 ns to a clock read of about 60 ns on the 2-core bench VM.
const TIME_ORIGIN = performance.timeOrigin;

/** Bytes of one slot: its words and cells, rounded up to whole LINEs with at least 64 bytes to spare. */
function slotBytes(accounts: number): number {
  const used = accounts * 8 + (SLOT_CELLS + accounts * ACCOUNT_CELLS) * 4;
  return Math.ceil((used + 64) / LINE) * LINE;
}

export class Shared {
  readonly words: BigInt64Array;
  readonly cells: Int32Array;
  readonly start: Float64Array;
  private readonly slotBytes: number;
  private readonly agentBase: number;
  readonly eventBase: number;

  constructor(readonly layout: Layout) {
    const { accounts, slots, agents, buffer } = layout;
    this.start = new Float64Array(buffer, START_BYTE, 1);
    this.words = new BigInt64Array(buffer);
    this.cells = new Int32Array(buffer);
    this.slotBytes = slotBytes(accounts);
    this.agentBase = (HEADER_BYTES + slots * this.slotBytes) / 4;
    this.eventBase = this.agentBase + (agents * LINE) / 4;
  }

  static create(accounts: number, agents: number, traceCapacity: number, slots = 1): Shared {
    const buffer = new SharedArrayBuffer(HEADER_BYTES + slots * slotBytes(accounts) + agents * LINE + traceCapacity * EVENT_SIZE * 4);
    return new Shared({ buffer, accounts, agents, slots, traceCapacity });
  }

  g(cell: number): number {
    return Atomics.load(this.cells, cell);
  }

  /** Index in `words` of an account's balance word. */
  word(slot: number, account: number): number {
    return (HEADER_BYTES + slot * this.slotBytes) / 8 + account;
  }

  balance(slot: number, account: number): number {
    return balanceOf(Atomics.load(this.words, this.word(slot, account)));
  }

  version(slot: number, account: number): number {
    return versionOf(Atomics.load(this.words, this.word(slot, account)));
  }

  /** Index in `cells` of a slot cell: after the slot's words. */
  slot(slot: number, cell: number): number {
    return (HEADER_BYTES + slot * this.slotBytes + this.layout.accounts * 8) / 4 + cell;
  }

  account(slot: number, account: number, cell: number): number {
    return this.slot(slot, SLOT_CELLS + account * ACCOUNT_CELLS + cell);
  }

  agent(i: number, cell: number): number {
    return this.agentBase + (i * LINE) / 4 + cell;
  }

  /** Puts a slot back to the opening state: every account at `initial`, counters cleared. */
  reset(slot: number, initial: number): void {
    const c = this.cells;
    for (let a = 0; a < this.layout.accounts; a++) {
      Atomics.store(this.words, this.word(slot, a), packWord(initial, 0));
      Atomics.store(c, this.account(slot, a, ACCOUNT.EXPECTED), initial);
      Atomics.store(c, this.account(slot, a, ACCOUNT.COMMITS), 0);
      Atomics.store(c, this.account(slot, a, ACCOUNT.LAST_WRITER), 0);
    }
    for (let i = 0; i < SLOT_CELLS; i++) Atomics.store(c, this.slot(slot, i), 0);
    Atomics.store(c, this.slot(slot, SLOT.MIN_BALANCE), initial);
  }

  /** Microseconds since the run started, on a clock shared by all threads. */
  nowUs(): number {
    return Math.round((TIME_ORIGIN + performance.now() - this.start[0]!) * 1000);
  }

  /** Appends an event to the ring (lock-free: each writer claims its own slot). */
  emit(agent: number, action: number, value = 0, aux = 0, aux2 = 0, aux3 = 0): void {
    const seq = Atomics.add(this.cells, G.EVENT_NEXT, 1);
    const base = this.eventBase + (seq % this.layout.traceCapacity) * EVENT_SIZE;
    const c = this.cells;
    Atomics.store(c, base, -1); // mark the record as being written
    c[base + 1] = this.nowUs();
    c[base + 2] = agent;
    c[base + 3] = action;
    c[base + 4] = value;
    c[base + 5] = aux;
    c[base + 6] = aux2;
    c[base + 7] = aux3;
    Atomics.store(c, base, seq); // publish: readers accept the record only when SEQ matches
  }

  /** Keeps the slot's minimum balance with a CAS loop; counts overdrafts. */
  noteBalance(slot: number, balance: number): void {
    const cell = this.slot(slot, SLOT.MIN_BALANCE);
    let seen = Atomics.load(this.cells, cell);
    while (balance < seen) {
      const before = Atomics.compareExchange(this.cells, cell, seen, balance);
      if (before === seen) break;
      seen = before;
    }
    if (balance < 0) Atomics.add(this.cells, this.slot(slot, SLOT.OVERDRAFTS), 1);
  }

  /** Raises a slot cell to `value` if it is higher (the most customers served at once). */
  noteMax(cell: number, value: number): void {
    let max = Atomics.load(this.cells, cell);
    while (value > max) {
      const seen = Atomics.compareExchange(this.cells, cell, max, value);
      if (seen === max) break;
      max = seen;
    }
  }
}
