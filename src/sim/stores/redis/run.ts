/**
 * RedisRun: the coordinator's side of one run on Redis. It writes the initial state under the
 * run's prefix (every key with a TTL), reads back the final balances and counters, reads the
 * event stream the agents publish to, and deletes the run's keys at the end.
 */
import { connectRedis, disconnect, translateLost, type ConnectOptions, type RedisConn } from './connect.js';
import type { RunKeys } from './keys.js';
import { beat, coordinatorAlive, renewLeases, type Renewal } from './lease.js';
import { lockHolder } from './protocol.js';

export interface RunInit {
  /** Opening balance of each account, in integer cents. */
  balances: readonly number[];
  /** Teller permits of the counting semaphore (tellers scenario); 0 = none. */
  permits?: number;
}

export interface AccountSnapshot {
  balance: number;
  /** Opening balance + every committed update's delta: what the balance should be. */
  expected: number;
  /** Committed updates, and how many of them the balance still reflects. */
  commits: number;
  reflected: number;
  /** Committed updates whose effect vanished (= commits - reflected). */
  lostUpdates: number;
  /** Writes that overwrote a commit they never read. */
  staleWrites: number;
  /** Writes refused because their fencing token was older than the newest the account had seen. */
  fencedRejects: number;
  /** Reads refused for the same reason (a newer holder had already read or written). */
  fencedReadRejects: number;
}

export interface RunSnapshot {
  accounts: AccountSnapshot[];
  balance: number;
  expected: number;
  lostUpdates: number;
  staleWrites: number;
  fencedRejects: number;
  fencedReadRejects: number;
  /** EXECs aborted because a WATCHed key changed. */
  aborts: number;
  /** Withdrawals refused by a floor (never overdraw). */
  denied: number;
  /** Unlocks that found their lock expired (another agent may have held it meanwhile). */
  lockLost: number;
  /** Most customers at a teller window at once, and how many are there now. */
  maxServing: number;
  serving: number;
  /** Free permits of the counting semaphore. */
  permitsFree: number;
  /** Per lock (one per account): the agent holding it (read from its token), or null. */
  lockHolders: (number | null)[];
  /** Agents blocked on a lock right now: agent -> lock index (the lock script's record). */
  lockWaits: Map<number, number>;
}

/** What the applied ledger says about one job (see RedisStore.job). */
export interface AppliedJob {
  /** Most times any of its updates was applied: 1 exactly once, > 1 applied twice (or more). */
  count: number;
  /** Cents it moved per application (a deposit's or withdrawal's amount, a transfer's amount). */
  amount: number;
  /** Per account it updated: times applied, and the signed cents all those applications moved. */
  accounts: Map<number, { count: number; cents: number }>;
}

export interface StoredEvent<T = unknown> {
  /** Stream entry id (ms-seq). */
  id: string;
  event: T;
}

const int = (v: unknown) => Number(v ?? 0) || 0;

export class RedisRun {
  readonly keys: RunKeys;
  readonly #client: RedisConn;
  readonly #url: string;
  #accounts = 0;

  static async open(url: string, keys: RunKeys, connect: ConnectOptions = {}): Promise<RedisRun> {
    const client = await connectRedis(url, { name: `bank-sim-${keys.runId}-run`, ...connect });
    return new RedisRun(client, url, keys);
  }

  constructor(client: RedisConn, url: string, keys: RunKeys) {
    this.#client = client;
    this.#url = url;
    this.keys = keys;
  }

  async #do<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translateLost(error, this.#url);
    }
  }

  /** Writes the opening state (and the stream's first entry), every key with the run's TTL. */
  async init(init: RunInit): Promise<void> {
    const k = this.keys;
    const ttl = k.ttlMs;
    this.#accounts = init.balances.length;
    const multi = this.#client.multi();
    init.balances.forEach((cents, i) => {
      if (!Number.isSafeInteger(cents)) throw new RangeError(`balance ${cents} is not integer cents`);
      multi.set(k.account(i), String(cents), { PX: ttl });
      multi.del(k.meta(i));
      multi.hSet(k.meta(i), { c: 0, r: 0, e: cents, s: 0, x: 0, xr: 0, f: -1, a: -1 });
      multi.pExpire(k.meta(i), ttl);
    });
    multi.del([k.stats, k.permits, k.waiters]);
    multi.hSet(k.stats, { aborts: 0, denied: 0, lockLost: 0, maxServing: 0 });
    multi.pExpire(k.stats, ttl);
    multi.set(k.serving, '0', { PX: ttl });
    multi.set(k.fence, '0', { PX: ttl });
    const permits = init.permits ?? 0;
    if (permits > 0) {
      multi.rPush(
        k.permits,
        Array.from({ length: permits }, (_, i) => String(i)),
      );
      multi.pExpire(k.permits, ttl);
    }
    multi.xAdd(k.events, '*', { e: JSON.stringify({ kind: 'init', accounts: init.balances.length, permits }) });
    multi.pExpire(k.events, ttl);
    await this.#do(() => multi.exec());
  }

  /**
   * Balances, expected money, counters, lock holders and lock waits, read in one MULTI so they
   * agree with each other (the wait-for graph it gives is a real instant, not a torn read).
   */
  async snapshot(accounts = this.#accounts): Promise<RunSnapshot> {
    const k = this.keys;
    const multi = this.#client.multi();
    // Per account: balance, bookkeeping, and its lock (lock n guards account n).
    for (let i = 0; i < accounts; i++) multi.get(k.account(i)).hGetAll(k.meta(i)).get(k.lock(i));
    multi.hGetAll(k.stats).get(k.serving).lLen(k.permits).hGetAll(k.lockWaits);
    const replies = (await this.#do(() => multi.exec())) as unknown[];
    const list: AccountSnapshot[] = [];
    const lockHolders: (number | null)[] = [];
    for (let i = 0; i < accounts; i++) {
      const meta = (replies[3 * i + 1] ?? {}) as Record<string, string>;
      lockHolders.push(lockHolder(replies[3 * i + 2] as string | null));
      const commits = int(meta.c);
      const reflected = int(meta.r);
      list.push({
        balance: int(replies[3 * i]),
        expected: int(meta.e),
        commits,
        reflected,
        lostUpdates: commits - reflected,
        staleWrites: int(meta.s),
        fencedRejects: int(meta.x),
        fencedReadRejects: int(meta.xr),
      });
    }
    const [stats, serving, permitsFree, waits] = replies.slice(3 * accounts) as [Record<string, string> | null, unknown, unknown, Record<string, string> | null];
    const sum = (f: (a: AccountSnapshot) => number) => list.reduce((t, a) => t + f(a), 0);
    return {
      accounts: list,
      balance: sum((a) => a.balance),
      expected: sum((a) => a.expected),
      lostUpdates: sum((a) => a.lostUpdates),
      staleWrites: sum((a) => a.staleWrites),
      fencedRejects: sum((a) => a.fencedRejects),
      fencedReadRejects: sum((a) => a.fencedReadRejects),
      aborts: int(stats?.aborts),
      denied: int(stats?.denied),
      lockLost: int(stats?.lockLost),
      maxServing: int(stats?.maxServing),
      serving: int(serving),
      permitsFree: int(permitsFree),
      lockHolders,
      lockWaits: new Map(Object.entries(waits ?? {}).map(([agent, lock]) => [Number(agent), Number(lock)])),
    };
  }

  /** Appends an event (any JSON value) to the run's stream. */
  async publish(event: unknown): Promise<string> {
    const [id] = await this.#do(() =>
      this.#client
        .multi()
        .xAdd(this.keys.events, '*', { e: JSON.stringify(event) })
        .pExpire(this.keys.events, this.keys.ttlMs)
        .exec(),
    );
    return String(id);
  }

  /**
   * The applied ledger: job id -> how many times it was applied and what it moved. Compare it
   * with what was dispatched: a job missing was never applied, count > 1 was applied twice.
   */
  async appliedJobs(): Promise<Map<string, AppliedJob>> {
    const k = this.keys;
    const [counts, cents] = await this.#do(() => this.#client.multi().hGetAll(k.applied).hGetAll(k.appliedCents).exec());
    return groupApplied(toFields(counts), toFields(cents));
  }

  /** Re-PEXPIREs every key of the run (see lease.ts); call it every keys.ttlMs / 3 or so. */
  async renewLeases(): Promise<Renewal> {
    return this.#do(() => renewLeases(this.#client, this.keys));
  }

  /** The coordinator's heartbeat: call it every HEARTBEAT_EVERY_MS (500 ms). */
  async beat(ttlMs?: number): Promise<void> {
    await this.#do(() => beat(this.#client, this.keys, ttlMs));
  }

  async coordinatorAlive(): Promise<boolean> {
    return this.#do(() => coordinatorAlive(this.#client, this.keys));
  }

  /** Events after stream id `after` (exclusive; default: from the start), oldest first. */
  async readEvents<T = unknown>(after = '-', count = 10_000): Promise<Array<StoredEvent<T>>> {
    const start = after === '-' ? '-' : `(${after}`;
    const entries = await this.#do(() => this.#client.xRange(this.keys.events, start, '+', { COUNT: count }));
    return (entries ?? []).map((entry) => ({ id: entry.id, event: JSON.parse(String(entry.message.e)) as T }));
  }

  /** Every key of the run (SCAN by prefix). */
  async runKeys(): Promise<string[]> {
    const found: string[] = [];
    for await (const batch of this.#client.scanIterator({ MATCH: this.keys.pattern, COUNT: 500 })) found.push(...batch);
    return found;
  }

  /** Deletes the run's keys (the TTL would remove them anyway). Returns how many were deleted. */
  async cleanup(): Promise<number> {
    const keys = await this.#do(() => this.runKeys());
    if (keys.length === 0) return 0;
    return this.#do(() => this.#client.unlink(keys));
  }

  close(): void {
    disconnect(this.#client);
  }
}

/** A HGETALL reply as string fields (anything else: none). */
function toFields(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (reply && typeof reply === 'object') for (const [f, v] of Object.entries(reply)) fields.set(f, String(v));
  return fields;
}

/** Groups the ledger's JOB@ACCOUNT fields by job. */
export function groupApplied(counts: Map<string, string>, cents: Map<string, string>): Map<string, AppliedJob> {
  const jobs = new Map<string, AppliedJob>();
  for (const [field, n] of counts) {
    const at = field.lastIndexOf('@');
    const id = field.slice(0, at);
    const account = Number(field.slice(at + 1));
    const job = jobs.get(id) ?? { count: 0, amount: 0, accounts: new Map() };
    jobs.set(id, job);
    job.accounts.set(account, { count: int(n), cents: int(cents.get(field)) });
  }
  for (const job of jobs.values()) {
    let applications = 0;
    let moved = 0;
    for (const a of job.accounts.values()) {
      job.count = Math.max(job.count, a.count);
      applications += a.count;
      moved += Math.abs(a.cents);
    }
    job.amount = applications > 0 ? Math.round(moved / applications) : 0;
  }
  return jobs;
}
