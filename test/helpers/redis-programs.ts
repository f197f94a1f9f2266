/**
 * Transaction programs for the Redis tests, written against the step model as the engine's
 * scenarios will be: a deposit per strategy, a bounded withdraw, a teller visit.
 */
import type { Program, Seen, StepResults } from '../../src/sim/model/steps.js';

export type RedisStrategy = 'none' | 'incrby' | 'watch' | 'lua' | 'lock' | 'fenced';

/** One deposit of `cents` into account 0 under a strategy. */
export function* deposit(strategy: RedisStrategy, cents: number): Program {
  switch (strategy) {
    case 'incrby':
    case 'lua': // the store runs `add` through INCRBY or the Lua script, per its addVia option
      yield { op: 'add', account: 0, delta: cents };
      return cents;
    case 'watch':
      for (;;) {
        const seen = (yield { op: 'read', account: 0, watch: true }) as Seen;
        yield { op: 'window' };
        const ok = (yield { op: 'cas', account: 0, seen, value: seen.value + cents }) as boolean;
        if (ok) return cents;
      }
    case 'lock':
    case 'fenced': {
      yield { op: 'lock', lock: 0 };
      const seen = (yield { op: 'read', account: 0 }) as Seen;
      yield { op: 'window' };
      yield { op: 'write', account: 0, seen, value: seen.value + cents };
      yield { op: 'unlock', lock: 0 };
      return cents;
    }
    case 'none': {
      const seen = (yield { op: 'read', account: 0 }) as Seen;
      yield { op: 'window' };
      yield { op: 'write', account: 0, seen, value: seen.value + cents };
      return cents;
    }
  }
}

/** Withdraws `cents` from account 0 unless that would overdraw (Lua check-and-write). */
export function* boundedWithdraw(cents: number): Program {
  const r = (yield { op: 'add', account: 0, delta: -cents, floor: 0 }) as StepResults['add'];
  return r.ok ? -cents : 0;
}

/** Unsafe withdraw: read, check, window, then an atomic DECRBY. The check is stale: can overdraw. */
export function* checkThenWithdraw(cents: number): Program {
  const seen = (yield { op: 'read', account: 0 }) as Seen;
  if (seen.value < cents) return 0;
  yield { op: 'window' };
  yield { op: 'add', account: 0, delta: -cents };
  return -cents;
}

/** A customer at the tellers: take a permit (or not), be served for a window, leave. */
export function* tellerVisit(guarded: boolean): Program {
  if (guarded) yield { op: 'acquire' };
  yield { op: 'enter' };
  yield { op: 'window' };
  yield { op: 'leave' };
  if (guarded) yield { op: 'release' };
  return 0;
}

/** Condition scenario: withdraw `cents` once the balance covers it, waiting for deposits. */
export function* waitingWithdraw(cents: number): Program {
  yield { op: 'lock', lock: 0 };
  let seen = (yield { op: 'read', account: 0 }) as Seen;
  while (seen.value < cents) {
    yield { op: 'wait', account: 0, amount: cents };
    seen = (yield { op: 'read', account: 0 }) as Seen;
  }
  yield { op: 'write', account: 0, seen, value: seen.value - cents };
  yield { op: 'unlock', lock: 0 };
  return -cents;
}

/** Condition scenario: deposit under lock 0 and wake the waiters. */
export function* notifyingDeposit(cents: number): Program {
  yield { op: 'lock', lock: 0 };
  const seen = (yield { op: 'read', account: 0 }) as Seen;
  yield { op: 'write', account: 0, seen, value: seen.value + cents };
  yield { op: 'notifyAll' };
  yield { op: 'unlock', lock: 0 };
  return cents;
}
