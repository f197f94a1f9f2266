/**
 * Scenarios, strategies and run configuration, with validation that refuses (before anything
 * starts) every config that makes no sense or could overflow the Int32 money cells.
 */
export const SCENARIOS = ['race', 'condition', 'tellers', 'transfer', 'async'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const STRATEGIES = ['none', 'mutex', 'rlock', 'semaphore', 'condition', 'atomic', 'async', 'async-mutex'] as const;
/** Strategies that guard the account on Redis (the step programs know them; see steps.ts). */
export const REDIS_STRATEGIES = ['incrby', 'watch', 'lua', 'lock', 'fenced', 'permits'] as const;
export type Strategy = (typeof STRATEGIES)[number] | (typeof REDIS_STRATEGIES)[number];

/** Where the balance lives: one SharedArrayBuffer (threads of one process), or a Redis server. */
export const STORES = ['memory', 'redis'] as const;
export type StoreKind = (typeof STORES)[number];

export const LOCK_ORDERS = ['naive', 'global', 'trylock'] as const;
export type LockOrder = (typeof LOCK_ORDERS)[number];

export type WindowMode = 'sleep' | 'spin';

export interface SimConfig {
  scenario: ScenarioName;
  sync: Strategy;
  /** Depositors (race: all agents deposit). */
  depositors: number;
  withdrawers: number;
  /** Transactions per agent. */
  ops: number;
  /** Race window between read and write, microseconds. */
  windowUs: number;
  windowMode: WindowMode;
  /** Deposit / withdrawal / transfer amounts in cents, inclusive ranges. */
  deposit: [number, number];
  withdraw: [number, number];
  /** Pause between an agent's transactions, microseconds (before time scaling), per role. */
  depositEveryUs: number;
  withdrawEveryUs: number;
  /** Multiplies every scheduled pause (0.01 = 100x faster). */
  timeScale: number;
  initialCents: number;
  /** Semaphore permits (strategy semaphore) and teller windows (scenario tellers). */
  permits: number;
  accounts: number;
  order: LockOrder;
  seed: number;
  /** Fault injection: agent index that throws before transaction number `crashAt.op`. */
  crashAt: { agent: number; op: number } | null;
  /** Event ring capacity. */
  traceCapacity: number;
  /** Where the balance lives (default memory). */
  store?: StoreKind;
  /** Fault injection (--pause-holder): agent stalls `ms` in transaction `op`, after its read, before its write. */
  pauseAt?: { agent: number; op: number; ms: number } | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Which strategies each scenario can run, the first being its default. */
export const APPLICABLE: Record<ScenarioName, readonly Strategy[]> = {
  race: ['none', 'mutex', 'rlock', 'semaphore', 'condition', 'atomic', 'async', 'async-mutex'],
  condition: ['condition', 'none', 'mutex'],
  tellers: ['semaphore', 'none', 'mutex'],
  transfer: ['mutex', 'none'],
  async: ['async', 'async-mutex'],
};

/**
 * The same table for the Redis store (the first is the default). `none` is GET/SET with the
 * window between; `permits` is a Redis counting semaphore (a list of K permits, BLPOP/RPUSH).
 */
export const REDIS_APPLICABLE: Record<ScenarioName, readonly Strategy[]> = {
  race: ['none', 'incrby', 'watch', 'lua', 'lock', 'fenced'],
  condition: ['lua', 'watch', 'lock', 'fenced', 'none'],
  tellers: ['permits', 'none', 'lock'],
  transfer: ['lua', 'watch', 'lock', 'fenced', 'none'],
  async: [],
};

/** The strategies a scenario can run on a store. */
export function applicableOn(store: StoreKind | undefined, scenario: ScenarioName): readonly Strategy[] {
  return (store ?? 'memory') === 'redis' ? REDIS_APPLICABLE[scenario] : APPLICABLE[scenario];
}

/** Why a strategy cannot run on a store (or null when it can). */
export function storeMismatch(store: StoreKind | undefined, scenario: ScenarioName, sync: Strategy): string | null {
  const on = store ?? 'memory';
  if (on === 'redis' && scenario === 'async') return 'the async scenario is tasks of one event loop sharing memory; it has no Redis form: use --scenario race --store redis';
  if (on === 'redis' && (STRATEGIES as readonly string[]).includes(sync) && sync !== 'none') {
    return `--sync ${sync} is a shared-memory strategy (a SharedArrayBuffer lock or atomic): it cannot guard a balance kept in Redis; on Redis use one of: ${REDIS_APPLICABLE[scenario].join(', ')}`;
  }
  if (on === 'memory' && (REDIS_STRATEGIES as readonly string[]).includes(sync)) {
    return `--sync ${sync} is a Redis strategy: add --store redis (shared-memory strategies: ${APPLICABLE[scenario].join(', ')})`;
  }
  return null;
}

const MS = 1000;

/** The scenario presets: every field can be overridden. */
export function preset(scenario: ScenarioName): SimConfig {
  const base: SimConfig = {
    scenario,
    sync: APPLICABLE[scenario][0]!,
    depositors: 10,
    withdrawers: 0,
    ops: 10,
    windowUs: 1 * MS,
    windowMode: 'sleep',
    deposit: [100, 100],
    withdraw: [100, 100],
    depositEveryUs: 0,
    withdrawEveryUs: 0,
    timeScale: 1,
    initialCents: 0,
    permits: 1,
    accounts: 1,
    order: 'naive',
    seed: 42,
    crashAt: null,
    traceCapacity: 4096,
  };
  switch (scenario) {
    case 'race': // the lesson's first program: 10 agents x 10 deposits of $1
      return base;
    case 'condition': // 5 depositors +$5-10 every 0.5 s, 10 withdrawers -$10-30 every 1 s
      return {
        ...base,
        depositors: 5,
        withdrawers: 10,
        ops: 20,
        deposit: [500, 1000],
        withdraw: [1000, 3000],
        depositEveryUs: 500 * MS,
        withdrawEveryUs: 1000 * MS,
      };
    case 'tellers': // 12 customers, 3 teller windows; being served takes 5 ms
      return { ...base, depositors: 12, ops: 5, permits: 3, windowUs: 5 * MS };
    case 'transfer': // 4 agents moving $1-5 between 3 accounts holding $100 each
      return { ...base, depositors: 4, ops: 50, accounts: 3, initialCents: 10_000, deposit: [100, 500] };
    case 'async': // the same race on one event loop, with an await in the window
      return base;
  }
}

const INT32_MAX = 0x7fff_ffff;

export function agentCount(c: SimConfig): number {
  return c.depositors + c.withdrawers;
}

/** Throws ConfigError naming what is wrong and what is allowed. */
export function validate(c: SimConfig): SimConfig {
  const intIn = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got ${v})`);
    }
  };
  const mismatch = storeMismatch(c.store, c.scenario, c.sync);
  if (mismatch) throw new ConfigError(mismatch);
  const applicable = applicableOn(c.store, c.scenario);
  if (!applicable.includes(c.sync)) {
    throw new ConfigError(`--sync ${c.sync} does not apply to the ${c.scenario} scenario${c.store === 'redis' ? ' on Redis' : ''}; use one of: ${applicable.join(', ')}`);
  }
  intIn('--agents (depositors)', c.depositors, c.scenario === 'condition' ? 1 : 1, 64);
  intIn('--withdrawers', c.withdrawers, 0, 64);
  if (agentCount(c) > 64) throw new ConfigError(`at most 64 agents in all (got ${agentCount(c)})`);
  intIn('--ops', c.ops, 1, 1_000_000);
  intIn('--window (µs)', c.windowUs, 0, 10_000_000);
  intIn('--permits', c.permits, 1, 64);
  intIn('--accounts', c.accounts, 1, 16);
  intIn('--initial (cents)', c.initialCents, 0, INT32_MAX);
  intIn('--seed', c.seed, 0, 0xffff_ffff);
  if (!(c.timeScale > 0 && c.timeScale <= 100)) throw new ConfigError(`--time-scale must be a number above 0 and at most 100 (got ${c.timeScale})`);
  for (const [name, [lo, hi]] of [
    ['deposit', c.deposit],
    ['withdraw', c.withdraw],
  ] as const) {
    intIn(`${name} amount (cents)`, lo, 1, INT32_MAX);
    intIn(`${name} amount (cents)`, hi, lo, INT32_MAX);
  }
  if (c.scenario === 'transfer' && c.accounts < 2) throw new ConfigError('the transfer scenario needs --accounts 2 or more');
  if (c.scenario === 'condition' && c.withdrawers < 1) throw new ConfigError('the condition scenario needs --withdrawers 1 or more');
  if (c.crashAt && (c.crashAt.agent >= agentCount(c) || c.crashAt.op < 1)) {
    throw new ConfigError(`--crash names agent ${c.crashAt.agent + 1}, but there are only ${agentCount(c)} agents (ops count from 1)`);
  }
  if (c.crashAt && c.crashAt.op > c.ops) {
    throw new ConfigError(`--crash names transaction ${c.crashAt.op}, but each agent makes only ${c.ops} (--ops)`);
  }
  if (c.crashAt && (c.sync === 'async' || c.sync === 'async-mutex')) {
    throw new ConfigError(`--crash does not apply to --sync ${c.sync}: its agents are tasks on one thread, and a crash would take them all down`);
  }
  if (c.pauseAt && (c.pauseAt.agent >= agentCount(c) || c.pauseAt.op < 1 || c.pauseAt.op > c.ops)) {
    throw new ConfigError(
      `--pause-holder names agent ${c.pauseAt.agent + 1} in transaction ${c.pauseAt.op}, but there are ${agentCount(c)} agents making ${c.ops} transactions each`,
    );
  }
  // No silent overflow: the most money that can ever be in one account must fit an Int32.
  const mostIn = c.initialCents * c.accounts + c.depositors * c.ops * c.deposit[1];
  const mostOut = c.withdrawers * c.ops * c.withdraw[1];
  if (mostIn > INT32_MAX || mostOut > INT32_MAX) {
    throw new ConfigError(`amounts could overflow: up to ${mostIn} cents could accumulate, above the ${INT32_MAX}-cent limit; lower --ops, --agents or the amounts`);
  }
  return c;
}
