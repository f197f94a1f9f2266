/**
 * The transactions, written once as step programs (see steps.ts). Each scenario gives every
 * agent a role; each strategy is a way of guarding the same steps. Real threads, the async
 * event loop, Redis, trials, the explorer and replay all run these same generators.
 */
import type { LockOrder, SimConfig, Strategy } from './config.js';
import { between } from './rng.js';
import type { Program, Seen, Step, StepResults, WriteResult } from './steps.js';

export type Role = 'depositor' | 'withdrawer' | 'transfer' | 'customer';

/** One transaction's inputs, drawn from the agent's seeded generator. */
export interface Tx {
  role: Role;
  amount: number;
  /** Transfers: the accounts money moves between. */
  from: number;
  to: number;
}

type Sub<T> = Generator<Step, T, unknown>;

// Each step is a plain `yield`, its result cast to what that step gives back (StepResults):
// every helper generator is one more frame that each of its steps resumes, on a path that runs
// millions of times a second in trials. So `transaction` hands out the role's generator itself,
// and a guard is a list of steps, not a generator.

/** Strategies that guard a transaction with lock 0 (a Mutex, a Redis lock, async-mutex, ...). */
export const LOCKING: ReadonlySet<Strategy> = new Set<Strategy>(['mutex', 'condition', 'async-mutex', 'lock', 'fenced']);

/** read -> window -> write: the unprotected read-modify-write. False if the store refused the write (fencing). */
function* readWindowWrite(account: number, delta: number): Sub<boolean> {
  const seen = (yield { op: 'read', account }) as Seen;
  yield { op: 'window' };
  return !((yield { op: 'write', account, seen, value: seen.value + delta }) as WriteResult).rejected;
}

/** Optimistic: read -> window -> compare-and-set; a failed CAS means someone wrote: retry. */
function* casLoop(account: number, delta: number, watch: boolean): Sub<void> {
  for (;;) {
    const seen = (yield watch ? { op: 'read', account, watch } : { op: 'read', account }) as Seen;
    yield { op: 'window' };
    if ((yield { op: 'cas', account, seen, value: seen.value + delta }) as boolean) return;
  }
}

/** A strategy's guard: the steps that take it, and the steps that let go of it. */
interface Guard {
  take: readonly Step[];
  give: readonly Step[];
}
const LOCK_0: Step = { op: 'lock', lock: 0 };
const UNLOCK_0: Step = { op: 'unlock', lock: 0 };
const GUARDS = {
  none: { take: [], give: [] },
  lock: { take: [LOCK_0], give: [UNLOCK_0] },
  // The deposit re-enters the lock through a nested "audit" step: fine for an RLock.
  rlock: { take: [LOCK_0, LOCK_0], give: [UNLOCK_0, UNLOCK_0] },
  permit: { take: [{ op: 'acquire' }], give: [{ op: 'release' }] },
} satisfies Record<string, Guard>;

/** Lock 0, the RLock twice, a semaphore permit, or nothing. */
function guardOf(strategy: Strategy): Guard {
  if (LOCKING.has(strategy)) return GUARDS.lock;
  if (strategy === 'rlock') return GUARDS.rlock;
  if (strategy === 'semaphore' || strategy === 'permits') return GUARDS.permit;
  return GUARDS.none;
}

function* deposit(strategy: Strategy, amount: number): Sub<number> {
  switch (strategy) {
    case 'atomic':
    case 'watch':
      yield* casLoop(0, amount, strategy === 'watch');
      return amount;
    case 'incrby':
    case 'lua':
      yield { op: 'add', account: 0, delta: amount };
      return amount;
    default: {
      const guard = guardOf(strategy);
      // A write refused by fencing (its lock expired while it stalled) is tried again.
      for (;;) {
        for (const step of guard.take) yield step;
        const written = yield* readWindowWrite(0, amount);
        if (strategy === 'condition') yield { op: 'notifyAll' }; // withdrawers re-check
        for (const step of guard.give) yield step;
        if (written) return amount;
      }
    }
  }
}

/** Check-then-act: withdraw only if the balance covers it. */
function* withdraw(strategy: Strategy, amount: number): Sub<number> {
  switch (strategy) {
    case 'condition':
    case 'lock':
    case 'fenced':
      // The monitor pattern: hold the lock, wait on the Condition until the funds are there
      // (on Redis: the lock, and a wake list the deposits push to). A fenced-out write retries.
      for (;;) {
        yield { op: 'lock', lock: 0 };
        let seen = (yield { op: 'read', account: 0 }) as Seen;
        while (seen.value < amount) {
          yield { op: 'wait', account: 0, amount };
          seen = (yield { op: 'read', account: 0 }) as Seen;
        }
        yield { op: 'window' };
        const w = (yield { op: 'write', account: 0, seen, value: seen.value - amount }) as WriteResult;
        yield { op: 'unlock', lock: 0 };
        if (!w.rejected) return amount;
      }
    case 'lua':
      // One script checks and writes: it never overdraws. Short: wait for a deposit, retry.
      while (!((yield { op: 'add', account: 0, delta: -amount, floor: 0 }) as StepResults['add']).ok) yield { op: 'wait', account: 0, amount };
      return amount;
    case 'watch':
      for (;;) {
        const seen = (yield { op: 'read', account: 0, watch: true }) as Seen;
        if (seen.value < amount) {
          yield { op: 'wait', account: 0, amount };
          continue;
        }
        yield { op: 'window' };
        if ((yield { op: 'cas', account: 0, seen, value: seen.value - amount }) as boolean) return amount;
      }
    default: {
      // none / mutex / Redis locks: nothing to sleep on until funds arrive, so check, and if
      // short, let go and poll. The act is a fresh read-modify-write after the window.
      const locked = strategy !== 'none' && strategy !== 'incrby';
      for (;;) {
        if (locked) yield { op: 'lock', lock: 0 };
        const check = (yield { op: 'read', account: 0 }) as Seen;
        if (check.value >= amount) {
          yield { op: 'window' }; // between the check and the act
          if (strategy === 'incrby') {
            yield { op: 'add', account: 0, delta: -amount };
          } else {
            const now = (yield { op: 'read', account: 0 }) as Seen;
            yield { op: 'write', account: 0, seen: now, value: now.value - amount };
          }
          if (locked) yield { op: 'unlock', lock: 0 };
          return amount;
        }
        if (locked) yield { op: 'unlock', lock: 0 };
        yield { op: 'backoff', reason: 'poll' };
      }
    }
  }
}

/** A customer: waits for a teller window (or not), is served, leaves. */
function* visitTeller(strategy: Strategy, amount: number): Sub<number> {
  const guard = guardOf(strategy);
  for (const step of guard.take) yield step;
  yield { op: 'enter' };
  yield { op: 'window' }; // being served
  yield { op: 'add', account: 0, delta: amount };
  yield { op: 'leave' };
  for (const step of guard.give) yield step;
  return amount;
}

/** Reads both balances, then writes both (a window between them when nothing guards them). */
function* move(from: number, to: number, amount: number, windowed: boolean): Sub<void> {
  const a = (yield { op: 'read', account: from }) as Seen;
  const b = (yield { op: 'read', account: to }) as Seen;
  if (windowed) yield { op: 'window' };
  yield { op: 'write', account: from, seen: a, value: a.value - amount };
  yield { op: 'write', account: to, seen: b, value: b.value + amount };
}

/** Moves money between two accounts, holding both accounts' locks (or none). */
function* transfer(strategy: Strategy, order: LockOrder, from: number, to: number, amount: number): Sub<number> {
  if (strategy === 'lua' || strategy === 'watch') {
    // One atomic action moves the money (a script, or MULTI/EXEC); no lock to order.
    yield { op: 'move', from, to, amount };
    return amount;
  }
  if (strategy === 'none') {
    yield* move(from, to, amount, true);
    return amount;
  }
  const [first, second] = order === 'global' ? [Math.min(from, to), Math.max(from, to)] : [from, to];
  for (;;) {
    yield { op: 'lock', lock: first };
    yield { op: 'window' }; // holding one lock while we go for the other: the deadlock window
    if (order === 'trylock') {
      if (!((yield { op: 'tryLock', lock: second }) as boolean)) {
        yield { op: 'unlock', lock: first }; // let go of everything, wait a random while, retry
        yield { op: 'backoff', reason: 'contention' };
        continue;
      }
    } else {
      yield { op: 'lock', lock: second };
    }
    yield* move(from, to, amount, false);
    yield { op: 'unlock', lock: second };
    yield { op: 'unlock', lock: first };
    return amount;
  }
}

/** The program of one transaction: its role's generator, which returns the cents it moved. */
export function transaction(strategy: Strategy, order: LockOrder, tx: Tx): Program {
  switch (tx.role) {
    case 'depositor':
      return deposit(strategy, tx.amount);
    case 'withdrawer':
      return withdraw(strategy, tx.amount);
    case 'customer':
      return visitTeller(strategy, tx.amount);
    case 'transfer':
      return transfer(strategy, order, tx.from, tx.to, tx.amount);
  }
}

/** Draws one transaction's inputs for an agent of `role` from its seeded generator. */
export function drawTx(role: Role, next: () => number, c: SimConfig): Tx {
  if (role === 'withdrawer') return { role, amount: between(next, c.withdraw[0], c.withdraw[1]), from: 0, to: 0 };
  if (role === 'transfer') {
    const from = between(next, 0, c.accounts - 1);
    const to = (from + between(next, 1, c.accounts - 1)) % c.accounts;
    return { role, amount: between(next, c.deposit[0], c.deposit[1]), from, to };
  }
  return { role, amount: between(next, c.deposit[0], c.deposit[1]), from: 0, to: 0 };
}

/** Every agent's role, in agent order: the scenario's main role, then the withdrawers. */
export function rolesOf(c: SimConfig): Role[] {
  const main: Role = c.scenario === 'transfer' ? 'transfer' : c.scenario === 'tellers' ? 'customer' : 'depositor';
  return [...Array.from({ length: c.depositors }, () => main), ...Array.from({ length: c.withdrawers }, (): Role => 'withdrawer')];
}

/** Agent names: A, B, C... in the race; D1.., W1.., T1.., C1.. elsewhere. */
export function agentName(c: SimConfig, role: Role, i: number): string {
  if (c.scenario === 'race' || c.scenario === 'async') return i < 26 ? String.fromCharCode(65 + i) : `A${i + 1}`;
  const n = role === 'withdrawer' ? i - c.depositors + 1 : i + 1;
  return `${{ depositor: 'D', withdrawer: 'W', transfer: 'T', customer: 'C' }[role]}${n}`;
}
