/**
 * What the coordinator and its agents tell each other through Redis (every key under the run's
 * prefix, see keys.ts):
 *
 *   config      the RunSpec below (JSON), written before any agent is asked to join
 *   tickets     `bank-sim agent` processes BLPOP the global TICKETS_KEY list; a ticket names a
 *               run and an agent index (threads and processes are handed their index directly)
 *   joined      each agent RPUSHes {agent, pid, host} once its connections are open
 *   go:i        the coordinator RPUSHes {start} to every agent at once (or 'cancel')
 *   control     hash c (0 running, 1 paused, 2 stopping, 3 abandon the round), step, w (window µs);
 *               agents read it every FLUSH_MS, and the condition-wait script reads it too
 *   grants:i    step mode: one entry per step the agent may take
 *   agent:i     the agent's live figures (state, tx, moved, retries, beat), written every FLUSH_MS
 *   events      stream of event batches (JSON arrays of EventTuple), one entry per flush
 *   done        each agent RPUSHes its AgentEnd when it leaves the run
 *   jobs        --dispatch queue: one entry per transaction, read by the consumer group `agents`
 *   lock:n      the lock's value is its holder's token `AGENT:RANDOM` (lockToken): who holds it is
 *               read from the lock itself, so it vanishes with the lease, and the random part
 *               keeps compare-and-delete safe against an expired holder
 *   lockwaits   hash agent -> lock: the lock script records a blocked agent there and removes it
 *               when the agent gets the lock or stops waiting; with the holders it is the
 *               wait-for graph the coordinator reads in one MULTI to find deadlocks
 */
import type { SimConfig } from '../../model/config.js';
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../model/programs.js';

/** The environment variable that carries the Redis URL to agent processes and every command (not argv: `ps` shows argv). */
export const REDIS_URL_ENV = 'BANK_SIM_REDIS_URL';

export type AgentsOn = 'threads' | 'processes' | 'remote';
export type Dispatch = 'agents' | 'queue';
/** What the coordinator does about a deadlock: give the run up (as on shared memory), or let the lock TTL break it. */
export type OnDeadlock = 'stop' | 'expire';

export interface RunSpec {
  runId: string;
  keyTtlMs: number;
  config: SimConfig;
  lockTtlMs: number;
  dispatch: Dispatch;
  /** --dispatch queue: a transaction pending this long on a silent agent is claimed by another. */
  claimIdleMs: number;
}

/** A ticket on TICKETS_KEY: one agent place in one run. */
export interface Ticket {
  run: string;
  agent: number;
  keyTtlMs: number;
  /** Epoch ms after which the coordinator has stopped waiting: the ticket is void. */
  until: number;
}

export interface Joined {
  agent: number;
  pid: number;
  host: string;
}

export interface AgentEnd {
  agent: number;
  ok: boolean;
  /** The agent crashed on purpose (--crash): it let go of nothing, its lock expires with its TTL. */
  crashed?: boolean;
  error?: string;
}

/** A queued transaction (--dispatch queue): drawn by the coordinator from agent `origin`'s inputs. */
export interface Job {
  tx: Tx;
  origin: number;
  op: number;
}

/**
 * The id of a transaction: the agent whose inputs drew it and its number there ('2:17' is agent
 * 2's 17th). The same in both dispatches (a queued Job keeps its origin and op), so the
 * coordinator's ledger of what it dispatched and the store's ledger of what was applied
 * (RedisRun.appliedJobs) name jobs alike.
 */
export function jobId(origin: number, op: number): string {
  return `${origin}:${op}`;
}

/** One trace event as published: [timeUs, agent, action, value, aux, aux2, aux3]. */
export type EventTuple = [number, number, number, number, number, number, number];

export const CTRL = { RUNNING: 0, PAUSED: 1, STOPPING: 2, ABANDON: 3 } as const;

/** How often an agent publishes its events and figures and re-reads the control hash. */
export const FLUSH_MS = 50;
export const GROUP = 'agents';

/** A lock token: the holder's agent index, then a random part (unique per acquisition). */
export function lockToken(agent: number): string {
  return `${agent}:${randomUUID()}`;
}

/** The agent holding a lock, from its value (null: free, or a value that is no lock token). */
export function lockHolder(value: string | null | undefined): number | null {
  const m = value ? /^(\d+):/.exec(value) : null;
  return m ? Number(m[1]) : null;
}
