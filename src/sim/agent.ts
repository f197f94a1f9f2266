/**
 * An agent: one worker thread that performs transactions on the shared bank. Every
 * transaction is read -> race window -> write; the strategy decides what guards it. All that
 * the agent does is visible in shared memory (state, counters, events); it never messages the
 * controller per event.
 */
import { threadId, workerData } from 'node:worker_threads';
import { Condition, Mutex, RLock, Semaphore, type ConditionHandle, type MutexHandle, type RLockHandle, type SemaphoreHandle } from '../sync/index.js';
import type { SimConfig } from './config.js';
import { A, ACCOUNT, CONTROL, G, S, Shared, type Layout } from './layout.js';
import { agentSeed, between, rng } from './rng.js';
import { ACT } from './trace.js';

export type Role = 'depositor' | 'withdrawer' | 'transfer' | 'customer';

export interface SyncHandles {
  locks: MutexHandle[]; // one per account
  rlock: RLockHandle;
  semaphore: SemaphoreHandle;
  funds: ConditionHandle;
}

export interface AgentData {
  layout: Layout;
  index: number;
  role: Role;
  config: SimConfig;
  sync: SyncHandles;
}

const data = workerData as AgentData;
const { index: me, role, config } = data;
const shared = new Shared(data.layout);
const c = shared.cells;
const next = rng(agentSeed(config.seed, me));
const locks = data.sync.locks.map((h) => Mutex.from(h));
const rlock = RLock.from(data.sync.rlock);
const semaphore = Semaphore.from(data.sync.semaphore);
const funds = Condition.from(data.sync.funds);
const nap = new Int32Array(new SharedArrayBuffer(4)); // a private cell to sleep on
const LOCK_POLL_MS = 50; // blocked agents re-check for stop this often

const cell = (field: number): number => shared.agent(me, field);
const setState = (state: number): void => {
  Atomics.store(c, cell(A.STATE), state);
};
const stopping = (): boolean => Atomics.load(c, G.CONTROL) === CONTROL.STOPPING;
const balanceCell = (account: number): number => shared.account(account, ACCOUNT.BALANCE);

class Stopped extends Error {}

/** Fault injection (--crash): the op number during which this agent dies, mid-transaction. */
let crashPending = 0;

// A hard death inside the critical section, as a native crash would be: no finally block runs,
// so the lock is still held when the thread ends; only the robust-lock recovery releases it.
function die(): never {
  shared.emit(me, ACT.crash, crashPending);
  setState(S.dead);
  process.exit(70);
}

/** Sleeps `us` microseconds, or busy-spins in spin mode (the CPU-bound race window). */
function windowPause(): void {
  const us = Atomics.load(c, G.WINDOW_US);
  if (us <= 0) return;
  if (config.windowMode === 'spin') {
    const end = performance.now() + us / 1000;
    while (performance.now() < end);
  } else {
    Atomics.wait(nap, 0, 0, us / 1000);
  }
}

/** Pause between transactions; a stop (or pause) interrupts it. */
function idle(us: number): void {
  if (us <= 0) return;
  setState(S.idle);
  Atomics.wait(c, G.CONTROL, CONTROL.RUNNING, (us * config.timeScale) / 1000);
}

/** Run control before each step: wait while paused; in step mode wait for a grant. */
function gate(action: number): void {
  for (;;) {
    const control = Atomics.load(c, G.CONTROL);
    if (control === CONTROL.STOPPING) throw new Stopped();
    if (control === CONTROL.PAUSED) {
      Atomics.wait(c, G.CONTROL, CONTROL.PAUSED, 100);
      continue;
    }
    if (Atomics.load(c, G.STEP_MODE) === 0) return;
    const grants = cell(A.GRANTS);
    const granted = Atomics.load(c, grants);
    if (granted > 0) {
      if (Atomics.compareExchange(c, grants, granted, granted - 1) === granted) return;
      continue;
    }
    const before = Atomics.load(c, cell(A.STATE));
    Atomics.store(c, cell(A.NEXT_STEP), action + 1);
    setState(S['waiting for step']);
    Atomics.wait(c, grants, 0, 100);
    setState(before);
  }
}

/** Acquires a lock for the agent, recording the wait; loops so that a stop can end the wait. */
function acquire(lock: Mutex | RLock, lockIndex: number): void {
  gate(ACT.lock);
  if (!lock.tryLock()) {
    setState(S['waiting for lock']);
    Atomics.store(c, cell(A.WAITING_FOR), lockIndex + 1);
    Atomics.add(c, cell(A.LOCK_WAITS), 1);
    shared.emit(me, ACT.wait, lockIndex);
    const t0 = performance.now();
    try {
      while (!lock.lock(LOCK_POLL_MS)) if (stopping()) throw new Stopped();
    } finally {
      Atomics.store(c, cell(A.WAITING_FOR), 0);
      Atomics.add(c, cell(A.WAIT_US), Math.round((performance.now() - t0) * 1000));
    }
  }
  setState(S['holding lock']);
  shared.emit(me, ACT.lock, lockIndex, lock.ownerDied ? 1 : 0);
}

function release(lock: Mutex | RLock, lockIndex: number): void {
  lock.unlock();
  shared.emit(me, ACT.unlock, lockIndex);
}

/** read -> window -> write on one account: the unprotected read-modify-write. */
function readWindowWrite(account: number, delta: number): void {
  gate(ACT.read);
  setState(S.reading);
  const seen = Atomics.load(c, balanceCell(account));
  Atomics.store(c, cell(A.LAST_READ), seen);
  shared.emit(me, ACT.read, seen, account);
  setState(S['in window']);
  if (crashPending) die();
  windowPause();
  gate(ACT.write);
  setState(S.writing);
  write(account, seen, seen + delta);
  Atomics.add(c, shared.account(account, ACCOUNT.EXPECTED), delta); // the truth, always exact
}

/** Writes `value`; if the balance is no longer what we read, we just destroyed an update. */
function write(account: number, seen: number, value: number): void {
  const overwritten = Atomics.exchange(c, balanceCell(account), value);
  const previousWriter = Atomics.exchange(c, shared.account(account, ACCOUNT.LAST_WRITER), me + 1) - 1;
  shared.emit(me, ACT.write, value, overwritten);
  if (overwritten !== seen) {
    Atomics.add(c, G.LOST_UPDATES, 1);
    shared.emit(me, ACT.lost, seen, overwritten, previousWriter);
  }
  shared.noteBalance(value);
}

/** Lock-free: read -> window -> CAS; a CAS that fails means someone wrote meanwhile: retry. */
function atomicUpdate(delta: number): void {
  for (;;) {
    gate(ACT.read);
    setState(S.reading);
    const seen = Atomics.load(c, balanceCell(0));
    shared.emit(me, ACT.read, seen, 0);
    setState(S['in window']);
    windowPause();
    gate(ACT.write);
    setState(S.writing);
    if (Atomics.compareExchange(c, balanceCell(0), seen, seen + delta) === seen) {
      shared.emit(me, ACT.write, seen + delta, seen);
      Atomics.add(c, shared.account(0, ACCOUNT.EXPECTED), delta);
      shared.noteBalance(seen + delta);
      return;
    }
    Atomics.add(c, cell(A.RETRIES), 1);
    Atomics.add(c, G.RETRIES, 1);
    shared.emit(me, ACT.retry, seen);
  }
}

function deposit(amount: number): void {
  switch (config.sync) {
    case 'none':
      return readWindowWrite(0, amount);
    case 'mutex':
      acquire(locks[0]!, 0);
      try {
        return readWindowWrite(0, amount);
      } finally {
        release(locks[0]!, 0);
      }
    case 'rlock':
      // The deposit re-enters the lock through a nested "audit" step: fine for an RLock.
      acquire(rlock, 0);
      try {
        acquire(rlock, 0);
        try {
          return readWindowWrite(0, amount);
        } finally {
          release(rlock, 0);
        }
      } finally {
        release(rlock, 0);
      }
    case 'semaphore':
      waitForPermit();
      try {
        return readWindowWrite(0, amount);
      } finally {
        semaphore.release();
        shared.emit(me, ACT.unlock, 0);
      }
    case 'condition':
      acquire(funds.mutex, 0);
      try {
        readWindowWrite(0, amount);
        funds.notifyAll(); // withdrawers re-check their predicate
        shared.emit(me, ACT.notify, amount);
        return;
      } finally {
        release(funds.mutex, 0);
      }
    case 'atomic':
      return atomicUpdate(amount);
    default:
      throw new Error(`strategy ${config.sync} is not run by thread agents`);
  }
}

function waitForPermit(): void {
  gate(ACT.lock);
  if (!semaphore.tryAcquire()) {
    setState(S['waiting for lock']);
    Atomics.add(c, cell(A.LOCK_WAITS), 1);
    shared.emit(me, ACT.wait, 0);
    const t0 = performance.now();
    try {
      while (!semaphore.acquireSync(1, LOCK_POLL_MS)) if (stopping()) throw new Stopped();
    } finally {
      Atomics.add(c, cell(A.WAIT_US), Math.round((performance.now() - t0) * 1000));
    }
  }
  setState(S['holding lock']);
  shared.emit(me, ACT.lock, 0);
}

/** Check-then-act: withdraw only if the balance covers it. */
function withdraw(amount: number): void {
  if (config.sync === 'condition') {
    acquire(funds.mutex, 0);
    try {
      const enough = (): boolean => Atomics.load(c, balanceCell(0)) >= amount;
      if (!enough()) {
        setState(S['waiting for funds']);
        shared.emit(me, ACT.wait, -1, amount);
        const t0 = performance.now();
        try {
          while (!funds.waitFor(enough, LOCK_POLL_MS)) if (stopping()) throw new Stopped();
        } finally {
          Atomics.add(c, cell(A.WAIT_US), Math.round((performance.now() - t0) * 1000));
        }
        shared.emit(me, ACT.woke, Atomics.load(c, balanceCell(0)));
      }
      readWindowWrite(0, -amount);
    } finally {
      release(funds.mutex, 0);
    }
    return;
  }
  // none / mutex: no way to sleep until funds arrive, so poll: check, and if short, back off.
  const t0 = performance.now();
  let waited = false;
  for (;;) {
    const guarded = config.sync === 'mutex';
    if (guarded) acquire(locks[0]!, 0);
    try {
      gate(ACT.read);
      setState(S.reading);
      const seen = Atomics.load(c, balanceCell(0));
      shared.emit(me, ACT.read, seen, 0);
      if (seen >= amount) {
        setState(S['in window']);
        windowPause(); // between the check and the act
        gate(ACT.write);
        setState(S.writing);
        const now = Atomics.load(c, balanceCell(0)); // the act: a fresh read-modify-write
        write(0, now, now - amount);
        Atomics.add(c, shared.account(0, ACCOUNT.EXPECTED), -amount);
        break;
      }
    } finally {
      if (guarded) release(locks[0]!, 0);
    }
    if (!waited) shared.emit(me, ACT.wait, -1, amount);
    waited = true;
    setState(S['waiting for funds']);
    Atomics.add(c, cell(A.RETRIES), 1);
    Atomics.wait(c, G.CONTROL, CONTROL.RUNNING, Math.max(1, (config.depositEveryUs * config.timeScale) / 4000));
    if (stopping()) throw new Stopped();
  }
  if (waited) Atomics.add(c, cell(A.WAIT_US), Math.round((performance.now() - t0) * 1000));
}

/** Moves money between two accounts, holding both accounts' locks (or none). */
function transfer(from: number, to: number, amount: number): void {
  const move = (): void => {
    gate(ACT.read);
    setState(S.reading);
    const a = Atomics.load(c, balanceCell(from));
    const b = Atomics.load(c, balanceCell(to));
    shared.emit(me, ACT.read, a, from);
    if (config.sync === 'none') {
      setState(S['in window']);
      windowPause();
    }
    gate(ACT.write);
    setState(S.writing);
    write(from, a, a - amount);
    write(to, b, b + amount);
    Atomics.add(c, shared.account(from, ACCOUNT.EXPECTED), -amount);
    Atomics.add(c, shared.account(to, ACCOUNT.EXPECTED), amount);
  };
  if (config.sync === 'none') return move();
  const [first, second] = config.order === 'global' ? [Math.min(from, to), Math.max(from, to)] : [from, to];
  for (;;) {
    acquire(locks[first]!, first);
    try {
      setState(S['in window']);
      windowPause(); // holding one lock while we go for the other: the deadlock window
      let holdsSecond = true;
      if (config.order === 'trylock') {
        gate(ACT.lock);
        holdsSecond = locks[second]!.tryLock();
        if (holdsSecond) {
          shared.emit(me, ACT.lock, second);
        } else {
          Atomics.add(c, cell(A.RETRIES), 1);
          Atomics.add(c, G.RETRIES, 1);
          shared.emit(me, ACT.retry, second);
        }
      } else {
        acquire(locks[second]!, second);
      }
      if (holdsSecond) {
        try {
          move();
          return;
        } finally {
          release(locks[second]!, second);
        }
      }
    } finally {
      release(locks[first]!, first);
    }
    backoff(); // only after a failed tryLock: let go of everything, wait a random while, retry
  }
}

function backoff(): void {
  const us = Atomics.load(c, G.WINDOW_US);
  Atomics.wait(nap, 0, 0, (between(next, 0, Math.max(1, 2 * us)) + 50) / 1000);
}

/** A customer at the bank: waits for a teller window (or not), is served, leaves. */
function visitTeller(amount: number): void {
  const enter = (): void => {
    setState(S.serving);
    const now = Atomics.add(c, G.SERVING_NOW, 1) + 1;
    shared.emit(me, ACT.enter, now);
    let max = Atomics.load(c, G.SERVING_MAX);
    while (now > max) {
      const seen = Atomics.compareExchange(c, G.SERVING_MAX, max, now);
      if (seen === max) break;
      max = seen;
    }
    windowPause(); // being served
    const balance = Atomics.add(c, balanceCell(0), amount) + amount;
    Atomics.add(c, shared.account(0, ACCOUNT.EXPECTED), amount);
    shared.noteBalance(balance);
    Atomics.sub(c, G.SERVING_NOW, 1);
    shared.emit(me, ACT.leave, balance);
  };
  if (config.sync === 'none') return enter();
  if (config.sync === 'mutex') {
    acquire(locks[0]!, 0);
    try {
      return enter();
    } finally {
      release(locks[0]!, 0);
    }
  }
  waitForPermit();
  try {
    enter();
  } finally {
    semaphore.release();
    shared.emit(me, ACT.unlock, 0);
  }
}

function transaction(): number {
  switch (role) {
    case 'depositor': {
      const amount = between(next, config.deposit[0], config.deposit[1]);
      deposit(amount);
      return amount;
    }
    case 'withdrawer': {
      const amount = between(next, config.withdraw[0], config.withdraw[1]);
      withdraw(amount);
      return amount;
    }
    case 'transfer': {
      const from = between(next, 0, config.accounts - 1);
      const to = (from + between(next, 1, config.accounts - 1)) % config.accounts;
      const amount = between(next, config.deposit[0], config.deposit[1]);
      transfer(from, to, amount);
      return amount;
    }
    case 'customer': {
      const amount = between(next, config.deposit[0], config.deposit[1]);
      visitTeller(amount);
      return amount;
    }
  }
}

function main(): void {
  Atomics.store(c, cell(A.THREAD_ID), threadId);
  setState(S.idle);
  Atomics.add(c, G.ONLINE, 1);
  Atomics.notify(c, G.ONLINE);
  // Start barrier: every agent starts at once, or the first would finish before the last began.
  while (Atomics.load(c, G.GO) === 0) {
    Atomics.wait(c, G.GO, 0, 100);
    if (stopping()) return;
  }
  const every = role === 'withdrawer' ? config.withdrawEveryUs : config.depositEveryUs;
  try {
    for (let op = 1; op <= config.ops; op++) {
      if (config.crashAt && config.crashAt.agent === me && config.crashAt.op === op) crashPending = op;
      const amount = transaction();
      Atomics.add(c, cell(A.TX), 1);
      Atomics.add(c, cell(A.MOVED), amount);
      Atomics.add(c, G.TRANSACTIONS, 1);
      if (op < config.ops) idle(between(next, Math.floor(every / 2), every));
      if (stopping()) break;
    }
  } catch (error) {
    if (!(error instanceof Stopped)) {
      setState(S.dead);
      shared.emit(me, ACT.crash);
      throw error;
    }
    shared.emit(me, ACT['gave up']);
  }
  setState(S.done);
}

main();
