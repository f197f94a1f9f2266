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

// Typed one-step helpers: `const seen = yield* read(0)`.
function* step<K extends Step['op']>(s: Extract<Step, { op: K }>): Sub<StepResults[K]> {
  return (yield s) as StepResults[K];
}
const read = (account: number, watch = false): Sub<Seen> => step({ op: 'read', account, ...(watch ? { watch } : {}) });
const write = (account: number, seen: Seen, value: number): Sub<WriteResult> => step({ op: 'write', account, seen, value });
const lock = (n: number): Sub<void> => step({ op: 'lock', lock: n });
const unlock = (n: number): Sub<void> => step({ op: 'unlock', lock: n });
const window = (): Sub<void> => step({ op: 'window' });

/** Strategies that guard a transaction with lock 0 (a Mutex, a Redis lock, async-mutex, ...). */
const LOCKING: readonly Strategy[] = ['mutex', 'condition', 'async-mutex', 'lock', 'fenced'];

/** read -> window -> write: the unprotected read-modify-write. */
function* readWindowWrite(account: number, delta: number): Sub<void> {
  const seen = yield* read(account);
  yield* window();
  yield* write(account, seen, seen.value + delta);
}

/** Optimistic: read -> window -> compare-and-set; a failed CAS means someone wrote: retry. */
function* casLoop(account: number, delta: number, watch: boolean): Sub<void> {
  for (;;) {
    const seen = yield* read(account, watch);
    yield* window();
    if (yield* step({ op: 'cas', account, seen, value: seen.value + delta })) return;
  }
}

/** Runs `body` under the strategy's guard. */
function* guarded(strategy: Strategy, body: () => Sub<void>): Sub<void> {
  if (LOCKING.includes(strategy)) {
    yield* lock(0);
    yield* body();
    yield* unlock(0);
  } else if (strategy === 'rlock') {
    // The deposit re-enters the lock through a nested "audit" step: fine for an RLock.
    yield* lock(0);
    yield* lock(0);
    yield* body();
    yield* unlock(0);
    yield* unlock(0);
  } else if (strategy === 'semaphore') {
    yield* step({ op: 'acquire' });
    yield* body();
    yield* step({ op: 'release' });
  } else {
    yield* body();
  }
}

function* deposit(strategy: Strategy, amount: number): Sub<void> {
  switch (strategy) {
    case 'atomic':
    case 'watch':
      return yield* casLoop(0, amount, strategy === 'watch');
    case 'incrby':
    case 'lua':
      yield* step({ op: 'add', account: 0, delta: amount });
      return;
    default:
      yield* guarded(strategy, function* () {
        yield* readWindowWrite(0, amount);
        if (strategy === 'condition') yield* step({ op: 'notifyAll' }); // withdrawers re-check
      });
  }
}

/** Check-then-act: withdraw only if the balance covers it. */
function* withdraw(strategy: Strategy, amount: number): Sub<void> {
  switch (strategy) {
    case 'condition': {
      // The monitor pattern: hold the lock, wait on the Condition until the funds are there.
      yield* lock(0);
      let seen = yield* read(0);
      while (seen.value < amount) {
        yield* step({ op: 'wait', account: 0, amount });
        seen = yield* read(0);
      }
      yield* window();
      yield* write(0, seen, seen.value - amount);
      yield* unlock(0);
      return;
    }
    case 'lua':
      // One script checks and writes: it never overdraws. Short: wait for a deposit, retry.
      while (!(yield* step({ op: 'add', account: 0, delta: -amount, floor: 0 })).ok) yield* step({ op: 'wait', account: 0, amount });
      return;
    case 'watch':
      for (;;) {
        const seen = yield* read(0, true);
        if (seen.value < amount) {
          yield* step({ op: 'wait', account: 0, amount });
          continue;
        }
        yield* window();
        if (yield* step({ op: 'cas', account: 0, seen, value: seen.value - amount })) return;
      }
    default: {
      // none / mutex / Redis locks: nothing to sleep on until funds arrive, so check, and if
      // short, let go and poll. The act is a fresh read-modify-write after the window.
      const locked = strategy !== 'none' && strategy !== 'incrby';
      for (;;) {
        if (locked) yield* lock(0);
        const check = yield* read(0);
        if (check.value >= amount) {
          yield* window(); // between the check and the act
          if (strategy === 'incrby') {
            yield* step({ op: 'add', account: 0, delta: -amount });
          } else {
            const now = yield* read(0);
            yield* write(0, now, now.value - amount);
          }
          if (locked) yield* unlock(0);
          return;
        }
        if (locked) yield* unlock(0);
        yield* step({ op: 'backoff', reason: 'poll' });
      }
    }
  }
}

/** A customer: waits for a teller window (or not), is served, leaves. */
function* visitTeller(strategy: Strategy, amount: number): Sub<void> {
  yield* guarded(strategy, function* () {
    yield* step({ op: 'enter' });
    yield* window(); // being served
    yield* step({ op: 'add', account: 0, delta: amount });
    yield* step({ op: 'leave' });
  });
}

/** Moves money between two accounts, holding both accounts' locks (or none). */
function* transfer(strategy: Strategy, order: LockOrder, from: number, to: number, amount: number): Sub<void> {
  const move = function* (): Sub<void> {
    const a = yield* read(from);
    const b = yield* read(to);
    if (strategy === 'none') yield* window();
    yield* write(from, a, a.value - amount);
    yield* write(to, b, b.value + amount);
  };
  if (strategy === 'lua' || strategy === 'watch') {
    // One atomic action moves the money (a script, or MULTI/EXEC); no lock to order.
    yield* step({ op: 'move', from, to, amount });
    return;
  }
  if (strategy === 'none') return yield* move();
  const [first, second] = order === 'global' ? [Math.min(from, to), Math.max(from, to)] : [from, to];
  for (;;) {
    yield* lock(first);
    yield* window(); // holding one lock while we go for the other: the deadlock window
    if (order === 'trylock') {
      if (!(yield* step({ op: 'tryLock', lock: second }))) {
        yield* unlock(first); // let go of everything, wait a random while, retry
        yield* step({ op: 'backoff', reason: 'contention' });
        continue;
      }
    } else {
      yield* lock(second);
    }
    yield* move();
    yield* unlock(second);
    yield* unlock(first);
    return;
  }
}

/** The program of one transaction. */
export function* transaction(strategy: Strategy, order: LockOrder, tx: Tx): Program {
  switch (tx.role) {
    case 'depositor':
      yield* deposit(strategy, tx.amount);
      break;
    case 'withdrawer':
      yield* withdraw(strategy, tx.amount);
      break;
    case 'customer':
      yield* visitTeller(strategy, tx.amount);
      break;
    case 'transfer':
      yield* transfer(strategy, order, tx.from, tx.to, tx.amount);
      break;
  }
  return tx.amount;
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
