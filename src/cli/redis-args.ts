/**
 * The Redis options of the command line (--store, --redis-url, --lock-ttl, --key-ttl, --agents-on,
 * --dispatch, --pause-holder, --join-timeout, --on-deadlock): parsed and checked here, so
 * args.ts only declares them and calls `parseRedisOptions`.
 */
import type { CommandName } from './options.js';
import { duration, UsageError } from './values.js';
import { STRATEGIES, type SimConfig, type StoreKind, type Strategy } from '../sim/model/config.js';
import { agentIndexOf } from './agent-names.js';
import { parseRedisUrl } from '../sim/stores/redis/url.js';
import { RedisUrlError } from '../sim/stores/redis/errors.js';
import { REDIS_URL_ENV, type AgentsOn, type Dispatch, type OnDeadlock } from '../sim/stores/redis/protocol.js';
import { DEFAULT_KEY_TTL_MS } from '../sim/stores/redis/keys.js';

/** The shortest and longest --key-ttl (renewals every third of it must stay far apart). */
const MIN_KEY_TTL_MS = 1000;
const MAX_KEY_TTL_MS = 24 * 3_600_000;

/** The Redis options (declared in the option table, src/options.ts). */
const REDIS_OPTIONS = ['store', 'redis-url', 'lock-ttl', 'key-ttl', 'agents-on', 'dispatch', 'pause-holder', 'join-timeout', 'on-deadlock'] as const;

const AGENTS_ON = ['threads', 'processes', 'remote'] as const;
const DISPATCH = ['agents', 'queue'] as const;
const ON_DEADLOCK = ['stop', 'expire'] as const;

/** What a command on Redis needs beyond the SimConfig. */
export interface RedisCommandOptions {
  /** null: start a private redis-server. */
  url: string | null;
  lockTtlMs: number;
  /** --key-ttl: the lease of every key of the run (renewed by the coordinator while it runs). */
  keyTtlMs: number;
  agentsOn: AgentsOn;
  dispatch: Dispatch;
  joinTimeoutMs: number;
  onDeadlock: OnDeadlock;
}

type Values = Partial<Record<(typeof REDIS_OPTIONS)[number], string>>;

/** The store the command line asks for (before the strategies are checked against it). */
export function storeOf(v: Values): StoreKind {
  if (v.store !== undefined && v.store !== 'memory' && v.store !== 'redis') throw new UsageError(`--store must be memory or redis (got '${v.store}')`);
  if (v.store) return v.store;
  // Options that only make sense on Redis imply it.
  return v['redis-url'] !== undefined || v['agents-on'] === 'processes' || v['agents-on'] === 'remote' || v.dispatch !== undefined ? 'redis' : 'memory';
}

/** A Redis or process option given, other than the ones that name the default (--store memory, --agents-on threads). */
function storeOptionGiven(v: Values): string | null {
  for (const name of REDIS_OPTIONS) {
    const value = v[name];
    if (value === undefined || (name === 'store' && value === 'memory') || (name === 'agents-on' && value === 'threads')) continue;
    return `--${name} ${value}`;
  }
  return null;
}

/**
 * explore and --replay take no store or process option: the explorer models the programs (the
 * same steps on every store), and a replay drives worker threads on shared memory. Refused
 * here, so no such command reaches a runner that would run something else.
 */
export function refuseStoreOptions(v: Values, command: CommandName, replay: boolean): void {
  const given = storeOptionGiven(v);
  if (given === null) return;
  const how = 'to watch a witness on real threads, run the replay command explore prints (npx bank-sim run ... --replay A,B,..), without store options';
  if (command === 'explore') {
    throw new UsageError(
      `explore models the programs, not a store: its steps are the same on shared memory and on Redis, so it takes no store or process options (got ${given}); ${how}`,
    );
  }
  if (replay) throw new UsageError(`--replay drives worker threads on shared memory: it takes no store or process options (got ${given}); leave them out`);
}

/** Processes cannot share a SharedArrayBuffer: the lesson, as an error message. */
function sharedAcrossProcesses(sync: Strategy, where: string): UsageError {
  return new UsageError(
    `--sync ${sync} cannot run with --agents-on ${where}: it guards a balance in a SharedArrayBuffer, and a SharedArrayBuffer ` +
      'cannot cross processes (fork() + send(sab) throws "could not be cloned"; each process has its own memory). ' +
      'Threads of one process share memory; processes share nothing but what they put somewhere common. ' +
      'Use --store redis with one of: none, incrby, watch, lua, lock, fenced (or --agents-on threads).',
  );
}

/** Refuses a shared-memory strategy (or --store memory) with agents that are not threads, first of all. */
export function refuseSharedAcrossProcesses(v: Values, sync: string | undefined): void {
  const where = v['agents-on'];
  if (where !== 'processes' && where !== 'remote') return;
  const shared = (sync ?? '')
    .split(',')
    .map((s) => s.trim())
    .find((s) => s !== 'none' && (STRATEGIES as readonly string[]).includes(s));
  if (shared) throw sharedAcrossProcesses(shared as Strategy, where);
  if (v.store === 'memory') throw sharedAcrossProcesses((sync ?? 'none') as Strategy, where);
}

/**
 * Checks the Redis options against the command and fills config.store, config.pauseAt and the
 * transfer lock order (global on Redis unless given). Returns null for a shared-memory command.
 */
export function parseRedisOptions(given: Values, command: CommandName, config: SimConfig, orderGiven: boolean, env: NodeJS.ProcessEnv = process.env): RedisCommandOptions | null {
  // BANK_SIM_REDIS_URL stands in for an absent --redis-url (a URL with a password then stays out
  // of argv, where `ps` shows it). It does not by itself move a command to Redis.
  const fromEnv = env[REDIS_URL_ENV] || undefined;
  const store = storeOf(given);
  const v: Values = given['redis-url'] === undefined && fromEnv !== undefined && (store === 'redis' || command === 'agent') ? { ...given, 'redis-url': fromEnv } : given;
  const agentsOn = (v['agents-on'] ?? 'threads') as AgentsOn;
  if (!(AGENTS_ON as readonly string[]).includes(agentsOn)) throw new UsageError(`--agents-on must be one of ${AGENTS_ON.join(', ')} (got '${agentsOn}')`);
  const dispatch = (v.dispatch ?? 'agents') as Dispatch;
  if (!(DISPATCH as readonly string[]).includes(dispatch)) throw new UsageError(`--dispatch must be one of ${DISPATCH.join(', ')} (got '${dispatch}')`);
  const onDeadlock = (v['on-deadlock'] ?? 'stop') as OnDeadlock;
  if (!(ON_DEADLOCK as readonly string[]).includes(onDeadlock)) throw new UsageError(`--on-deadlock must be one of ${ON_DEADLOCK.join(', ')} (got '${onDeadlock}')`);
  if (v['pause-holder'] !== undefined) config.pauseAt = pauseHolder(v['pause-holder'], config);
  if (command === 'agent') {
    if (v['redis-url'] === undefined) throw new UsageError(`bank-sim agent needs --redis-url URL (or ${REDIS_URL_ENV}): the server its coordinator uses`);
    checkUrl(v['redis-url']);
    return { url: v['redis-url'], lockTtlMs: 5000, keyTtlMs: DEFAULT_KEY_TTL_MS, agentsOn: 'remote', dispatch: 'agents', joinTimeoutMs: 0, onDeadlock };
  }
  if (store === 'memory') {
    for (const flag of ['lock-ttl', 'key-ttl', 'join-timeout', 'on-deadlock'] as const) {
      if (v[flag] !== undefined) throw new UsageError(`--${flag} applies to runs on Redis: add --store redis`);
    }
    return null;
  }
  config.store = 'redis';
  if (config.scenario === 'transfer' && !orderGiven) config.order = 'global'; // Redis locks: taken in one global order
  if (v['redis-url'] !== undefined) checkUrl(v['redis-url']);
  if (agentsOn === 'remote' && v['redis-url'] === undefined) {
    throw new UsageError(
      `--agents-on remote needs --redis-url URL (or ${REDIS_URL_ENV}): agents on other hosts must reach the same server (a private one listens on loopback only)`,
    );
  }
  if (command === 'trials' && agentsOn !== 'threads') throw new UsageError("'trials' on Redis runs its agents as threads (async tasks): leave out --agents-on");
  const lockTtlMs = v['lock-ttl'] !== undefined ? Math.max(1, Math.round(duration('--lock-ttl', v['lock-ttl']) / 1000)) : 5000;
  const joinTimeoutMs = v['join-timeout'] !== undefined ? Math.round(duration('--join-timeout', v['join-timeout']) / 1000) : 10_000;
  if (joinTimeoutMs < 100) throw new UsageError(`--join-timeout must be at least 100ms (got '${v['join-timeout']}')`);
  const keyTtlMs = v['key-ttl'] !== undefined ? leaseMs('--key-ttl', v['key-ttl']) : DEFAULT_KEY_TTL_MS;
  return { url: v['redis-url'] ?? null, lockTtlMs, keyTtlMs, agentsOn, dispatch, joinTimeoutMs, onDeadlock };
}

function checkUrl(raw: string): void {
  try {
    parseRedisUrl(raw);
  } catch (error) {
    if (error instanceof RedisUrlError) throw new UsageError(error.message);
    throw error;
  }
}

function pauseHolder(raw: string, config: SimConfig): NonNullable<SimConfig['pauseAt']> {
  const m = /^([A-Za-z]+\d*)@(\d+):(.+)$/.exec(raw);
  if (!m) throw new UsageError(`--pause-holder must be AGENT@OP:DURATION, e.g. A@2:300ms (got '${raw}')`);
  const ms = Math.round(duration('--pause-holder', m[3]!) / 1000);
  const name = m[1]!.toUpperCase();
  const agent = agentIndexOf(name, config);
  if (agent === null) throw new UsageError(`--pause-holder: no agent named ${name} in the ${config.scenario} scenario`);
  return { agent, op: Number(m[2]), ms };
}

const LEASE_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A lease such as 1s, 90s, 15m or 2h, in ms (--key-ttl: from 1s to 24h). */
function leaseMs(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 30s, 15m or 1h (got '${raw}')`);
  const ms = Math.round(Number(m[1]) * LEASE_UNITS[m[2]!]!);
  if (ms < MIN_KEY_TTL_MS || ms > MAX_KEY_TTL_MS) throw new UsageError(`${flag} must be from 1s to 24h (got '${raw}')`);
  return ms;
}
