/**
 * The key names of one run. Everything lives under `bank-sim:{RUNID}:` (the braces are a Redis
 * Cluster hash tag, so a run's keys share one slot and its scripts may touch them together),
 * and every key is written with a TTL (`ttlMs`), so a shared server keeps nothing after a run,
 * even one that was killed before it could clean up.
 */
export const DEFAULT_KEY_TTL_MS = 15 * 60_000;

export class RunKeys {
  readonly prefix: string;

  constructor(
    readonly runId: string,
    readonly ttlMs: number = DEFAULT_KEY_TTL_MS,
  ) {
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`run id '${runId}' must be letters, digits, _ or -`);
    this.prefix = `bank-sim:{${runId}}:`;
  }

  /** SCAN pattern for all keys of the run (the braces are escaped for glob matching). */
  get pattern(): string {
    return `bank-sim:\\{${this.runId}\\}:*`;
  }

  /** Balance in integer cents (a string key, so GET/SET/INCRBY apply). */
  account(i: number): string {
    return `${this.prefix}acct:${i}`;
  }
  /** Bookkeeping hash of an account: c commits, r updates reflected in the balance, e expected cents,
   *  s stale writes, x fenced rejects, f last accepted fencing token, a last writer. */
  meta(i: number): string {
    return `${this.prefix}meta:${i}`;
  }
  /** Lock n (SET NX PX); its value is the holder's token, which names the holder (protocol.ts lockToken). */
  lock(n: number): string {
    return `${this.prefix}lock:${n}`;
  }
  /** Hash agent -> lock it is blocked on right now (set by the lock script while it waits, cleared when it stops). */
  get lockWaits(): string {
    return `${this.prefix}lockwaits`;
  }
  /** One-element list an unlock pushes to, so a waiter blocks in BLPOP instead of polling. */
  lockWake(n: number): string {
    return `${this.prefix}lockwake:${n}`;
  }
  /** The fencing-token counter (INCR), shared by all locks so tokens are globally ordered. */
  get fence(): string {
    return `${this.prefix}fence`;
  }
  /** The counting semaphore: a list of free permits. */
  get permits(): string {
    return `${this.prefix}permits`;
  }
  /** Customers at a teller window right now. */
  get serving(): string {
    return `${this.prefix}serving`;
  }
  /** Run-wide counters: aborts, denied, lockLost, maxServing. */
  get stats(): string {
    return `${this.prefix}stats`;
  }
  /** Set of the wake lists of the agents in a condition wait. */
  get waiters(): string {
    return `${this.prefix}waiters`;
  }
  /** An agent's own wake list for condition waits. */
  wake(agent: number): string {
    return `${this.prefix}wake:${agent}`;
  }
  /** Exactly-once ledger: field JOB@ACCOUNT -> how many times that job's update of the account was applied. */
  get applied(): string {
    return `${this.prefix}applied`;
  }
  /** Field JOB@ACCOUNT -> the cents those applications moved (signed, summed). */
  get appliedCents(): string {
    return `${this.prefix}appliedcents`;
  }
  /** The coordinator's heartbeat (a key with a short PX, refreshed by beat()): gone = coordinator gone. */
  get heartbeat(): string {
    return `${this.prefix}heartbeat`;
  }
  /** The run's event stream (XADD), read back by the views. */
  get events(): string {
    return `${this.prefix}events`;
  }

  // --- the run's coordination (see src/sim/redis/protocol.ts) ---------------------------

  /** The run's config (JSON), read by the agents that join it. */
  get config(): string {
    return `${this.prefix}config`;
  }
  /** Run control hash: c (0 running, 1 paused, 2 stopping, 3 abandon), step (1: step mode), w (window µs). */
  get control(): string {
    return `${this.prefix}control`;
  }
  /** One agent's live figures (state, tx, moved, retries, pid, host, heartbeat). */
  agent(i: number): string {
    return `${this.prefix}agent:${i}`;
  }
  /** List an agent pushes to when it has joined (its pid and host). */
  get joined(): string {
    return `${this.prefix}joined`;
  }
  /** An agent's start signal ('go' with the start time, or 'cancel'). */
  go(i: number): string {
    return `${this.prefix}go:${i}`;
  }
  /** An agent's step-mode grants. */
  grants(i: number): string {
    return `${this.prefix}grants:${i}`;
  }
  /** List each agent pushes its end to (JSON: ok, error, crashed). */
  get done(): string {
    return `${this.prefix}done`;
  }
  /** --dispatch queue: the stream of transactions, read by a consumer group. */
  get jobs(): string {
    return `${this.prefix}jobs`;
  }
}

/** The list idle `bank-sim agent` processes wait on for tickets (one ticket = one agent of one run). */
export const TICKETS_KEY = 'bank-sim:tickets';
