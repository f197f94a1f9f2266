/**
 * RedisStore: performs the steps of src/sim/steps.ts on Redis, for one agent. Each agent has its
 * own connection, because WATCH state and blocking commands (BLPOP) belong to a connection.
 *
 *   read       WATCH (if `watch`) + a read-only script: GET balance and its bookkeeping
 *   write      SET via a script that also records staleness (the race stays real: it writes
 *              whatever is there; the read and the write are separate round trips)
 *   cas        after a watched read: MULTI / SET / EXEC (an abort is counted, returns false);
 *              without WATCH: a Lua compare-and-set on the commit counter
 *   add        INCRBY in MULTI with its bookkeeping; with `floor` (or addVia 'script') a Lua
 *              check-and-write that never goes below the floor
 *   lock       SET lock token NX PX lockTtl (token: agent + random part); waiters block in BLPOP
 *              on a wake list an unlock pushes to, bounded by the lock's remaining TTL (no
 *              polling loop), and are recorded in lockWaits meanwhile (the wait-for graph)
 *   unlock     compare-and-delete script (an expired holder releases nothing: counted lockLost)
 *   fenced     lock also takes a fencing token (INCR, same script); every access under the lock,
 *              reads included, carries the newest token the agent holds, and the store refuses
 *              a token older than the newest it has seen on that account (a read or a write)
 *   acquire    counting semaphore = a list of K permits: BLPOP takes one, release RPUSHes it
 *              back (simple and blocking; a holder that dies keeps its permit: no lease)
 *   wait       condition wait: one script registers the agent as a waiter and releases lock 0,
 *              then BLPOP on the agent's wake list, then lock 0 again; notifyAll pushes to
 *              every registered waiter's list
 *   enter/leave INCR/DECR of the serving counter, with the maximum tracked
 *   move       transfer: one Lua script (lua), or WATCH both keys + MULTI/EXEC with retry (watch)
 *   window     not a step: the interpreter sleeps; perform() returns at once
 */
import { WatchError } from 'redis';
import type { Step, StepResults, WriteResult } from '../../model/steps.js';
import { Abandoned } from '../memory/thread-store.js';
import { connectRedis, disconnect, displayUrl, translateLost, type ConnectOptions, type RedisConn } from './connect.js';
import { RedisConnectionLostError, RedisWaitTimeoutError } from './errors.js';
import type { RunKeys } from './keys.js';
import { lockToken } from './protocol.js';
import { ADD, CAS, ENTER, LEAVE, LOCK, MOVE, NOTIFY_ALL, READ, UNLOCK, WAIT, WRITE } from './scripts.js';

export interface RedisStoreOptions {
  /** Index of the agent (recorded as last writer; names its wake list). */
  agent: number;
  keys: RunKeys;
  /** Lease of a lock (--lock-ttl), default 5000 ms. */
  lockTtlMs?: number;
  /** `fenced` strategy: locks hand out fencing tokens and writes carry them. */
  fenced?: boolean;
  /** How `add` without a floor is done: INCRBY (default) or the Lua check-and-write script. */
  addVia?: 'incrby' | 'script';
  /** Longest a lock, permit or condition wait blocks before RedisWaitTimeoutError (default 10 s). */
  blockTimeoutMs?: number;
  /** Longest any one step may take before the connection is dropped (default blockTimeoutMs + 5 s). */
  stepTimeoutMs?: number;
  /** How `move` is done: one Lua script (default) or WATCH + MULTI/EXEC with retry. */
  moveVia?: 'script' | 'watch';
  /** Condition scenario: every committed deposit wakes the withdrawers waiting for funds. */
  wakeOnDeposit?: boolean;
  /**
   * Apply each job at most once (default true): the update steps check the run's applied ledger
   * for the transaction's job id in the same atomic step. Off for `none`, whose updates are only
   * recorded (so a double application shows in appliedJobs).
   */
  dedupe?: boolean;
}

/** What the last `write` step did, for lost-update stories and the fenced report. */
export interface WriteOutcome {
  account: number;
  /** 'stale': wrote over a commit it never read; 'rejected': fencing token older than the last accepted. */
  status: 'ok' | 'stale' | 'rejected';
  /** Balance it overwrote, and the agent that wrote it (-1 unknown). */
  overwrote: number;
  overwroteBy: number;
  /** Updates this write erased (reflected before, not after). */
  erased: number;
}

interface Held {
  token: string;
  fence: number;
}

export class RedisStore {
  readonly agent: number;
  readonly keys: RunKeys;
  lastWrite: WriteOutcome | undefined;
  readonly #client: RedisConn;
  readonly #url: string;
  readonly #lockTtlMs: number;
  readonly #fenced: boolean;
  readonly #addVia: 'incrby' | 'script';
  readonly #blockMs: number;
  readonly #stepMs: number;
  readonly #moveVia: 'script' | 'watch';
  readonly #wakeOnDeposit: boolean;
  readonly #dedupe: boolean;
  /**
   * The job id of the transaction in flight (e.g. '0:3', agent 0's 3rd; see protocol.ts jobId),
   * set by the agent before each transaction. Every update it applies is recorded under it in
   * the run's applied ledger, and with dedupe an update already recorded is not applied again.
   * Undefined: nothing is recorded or checked.
   */
  job: string | undefined;
  /** Updates skipped because their job had already applied them (a re-delivered job). */
  duplicatesSkipped = 0;
  /** Teller permits this agent holds (given back by releaseAll). */
  #permits = 0;
  /** Per account, the commit count seen by this agent's last read (exact stale detection). */
  readonly #seen = new Map<number, { r: number; c: number }>();
  readonly #watching = new Set<number>();
  readonly #held = new Map<number, Held>();
  #lost: Error | undefined;
  /** Reads refused by fencing (`fenced`: a newer holder had already accessed the account). */
  readsRefused = 0;
  /** Waits that blocked (a lock held elsewhere, no teller permit free, funds short) and the time they took, counted as the thread store counts them. */
  readonly waits = { count: 0, us: 0 };
  /** The step in flight, if any (see perform). */
  #busy: Step['op'] | undefined;

  /** Opens the agent's own connection. */
  static async open(url: string, options: RedisStoreOptions, connect: ConnectOptions = {}): Promise<RedisStore> {
    const client = await connectRedis(url, { name: `bank-sim-${options.keys.runId}-agent-${options.agent}`, ...connect });
    return new RedisStore(client, url, options);
  }

  constructor(client: RedisConn, url: string, options: RedisStoreOptions) {
    this.#client = client;
    this.#url = url;
    this.agent = options.agent;
    this.keys = options.keys;
    this.#lockTtlMs = options.lockTtlMs ?? 5000;
    this.#fenced = options.fenced ?? false;
    this.#addVia = options.addVia ?? 'incrby';
    this.#blockMs = options.blockTimeoutMs ?? 10_000;
    this.#stepMs = options.stepTimeoutMs ?? this.#blockMs + 5000;
    this.#moveVia = options.moveVia ?? 'script';
    this.#wakeOnDeposit = options.wakeOnDeposit ?? false;
    this.#dedupe = options.dedupe ?? true;
  }

  /** Script arguments naming the job: id ('' none) and whether to dedupe. */
  #jobArgs(): [string, number] {
    return [this.job ?? '', this.#dedupe ? 1 : 0];
  }

  /** The applied-ledger field of this job's update of `account`. */
  #appliedField(account: number): string {
    return `${this.job}@${account}`;
  }

  /**
   * In a WATCH transaction: has this job already updated `account`? Safe without a script: the
   * account is WATCHed, and any application of this job writes it, so one landing between this
   * check and our EXEC aborts the EXEC.
   */
  async #alreadyApplied(account: number): Promise<boolean> {
    if (this.job === undefined || !this.#dedupe) return false;
    if (!(await this.#client.hExists(this.keys.applied, this.#appliedField(account)))) return false;
    await this.#client.unwatch();
    this.#skipped();
    await this.#client.multi().hIncrBy(this.keys.stats, 'dups', 1).pExpire(this.keys.stats, this.keys.ttlMs).exec();
    return true;
  }

  #skipped(): void {
    this.duplicatesSkipped++;
  }

  /** Adds the applied-ledger record of this job's update of `account` to a MULTI. */
  #recordIn(multi: ReturnType<RedisConn['multi']>, account: number, delta: number): void {
    if (this.job === undefined) return;
    const k = this.keys;
    const field = this.#appliedField(account);
    multi.hIncrBy(k.applied, field, 1).hIncrBy(k.appliedCents, field, delta).pExpire(k.applied, k.ttlMs).pExpire(k.appliedCents, k.ttlMs);
  }

  /** Gives back what an abandoned transaction held (locks, permits); a lost connection gives back nothing. */
  async releaseAll(): Promise<void> {
    if (this.#lost) return;
    for (const n of [...this.#held.keys()]) await this.#unlock(n);
    for (; this.#permits > 0; this.#permits--) await this.#client.multi().rPush(this.keys.permits, '1').pExpire(this.keys.permits, this.keys.ttlMs).exec();
  }

  /** Drops the connection without releasing anything, as a crashed agent would. */
  crash(): void {
    this.#lost = new RedisConnectionLostError('this agent crashed');
    disconnect(this.#client);
  }

  /** The fencing token of each lock this agent believes it holds. */
  get fencingTokens(): ReadonlyMap<number, number> {
    return new Map([...this.#held].map(([n, h]) => [n, h.fence]));
  }

  /**
   * Performs one step. Connection trouble becomes RedisConnectionLostError; a step that takes
   * longer than stepTimeoutMs drops the connection (so no late reply can be mistaken for
   * another's) and throws the same.
   */
  async perform<S extends Step>(step: S): Promise<StepResults[S['op']]> {
    if (this.#lost) throw this.#lost;
    // One agent, one connection, one step at a time: WATCH state belongs to the connection, so a
    // second program interleaved on it would abort (or, worse, validate) the first one's EXEC.
    if (this.#busy)
      throw new Error(`RedisStore of agent ${this.agent}: step '${step.op}' started while step '${this.#busy}' is still running; give each concurrent program its own store`);
    this.#busy = step.op;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#lost = new RedisConnectionLostError(`Redis at ${displayUrl(this.#url)} did not answer step '${step.op}' within ${this.#stepMs} ms`);
        disconnect(this.#client);
        reject(this.#lost);
      }, this.#stepMs);
    });
    try {
      return (await Promise.race([this.#perform(step), deadline])) as StepResults[S['op']];
    } catch (error) {
      const translated = translateLost(error, this.#url);
      if (translated instanceof RedisConnectionLostError) this.#lost = translated;
      throw translated;
    } finally {
      clearTimeout(timer);
      this.#busy = undefined;
    }
  }

  /** Appends an event (any JSON value) to the run's stream. */
  async publish(event: unknown): Promise<string> {
    try {
      const [id] = await this.#client
        .multi()
        .xAdd(this.keys.events, '*', { e: JSON.stringify(event) })
        .pExpire(this.keys.events, this.keys.ttlMs)
        .exec();
      return String(id);
    } catch (error) {
      throw translateLost(error, this.#url);
    }
  }

  close(): void {
    disconnect(this.#client);
  }

  async #perform(step: Step): Promise<unknown> {
    const k = this.keys;
    switch (step.op) {
      case 'read':
        return this.#read(step.account, step.watch ?? false);
      case 'write': {
        const w = await this.#write(step.account, step.seen.value, step.seen.version, step.value);
        if (!w.rejected && step.value > step.seen.value) await this.#wake();
        return w;
      }
      case 'cas': {
        const ok = await this.#cas(step.account, step.seen.value, step.seen.version, step.value);
        if (ok && step.value > step.seen.value) await this.#wake();
        return ok;
      }
      case 'add': {
        const r = await this.#add(step.account, step.delta, step.floor);
        if (r.ok && step.delta > 0) await this.#wake();
        return r;
      }
      case 'move':
        return this.#move(step.from, step.to, step.amount);
      case 'lock':
        await this.#lock(step.lock, true);
        return undefined;
      case 'tryLock':
        return this.#lock(step.lock, false);
      case 'unlock':
        await this.#unlock(step.lock);
        return undefined;
      case 'acquire': {
        // A free permit costs one LPOP; only a customer who finds none blocks (and counts a wait).
        if ((await this.#client.lPop(k.permits)) === null) {
          const t0 = performance.now();
          try {
            const got = await this.#client.blPop(k.permits, this.#blockMs / 1000);
            if (!got) throw new RedisWaitTimeoutError(`agent ${this.agent}: no teller permit free within ${this.#blockMs} ms`);
          } finally {
            this.#waited(t0);
          }
        }
        this.#permits++;
        return undefined;
      }
      case 'release':
        this.#permits = Math.max(0, this.#permits - 1);
        await this.#client.multi().rPush(k.permits, '1').pExpire(k.permits, k.ttlMs).exec();
        return undefined;
      case 'wait': {
        // One wait, as on threads, although a monitor's waiter also waits to take its lock back.
        const t0 = performance.now();
        const { count, us } = this.waits;
        try {
          await this.#wait(step.account, step.amount);
        } finally {
          Object.assign(this.waits, { count, us });
          this.#waited(t0);
        }
        return undefined;
      }
      case 'notifyAll':
        await NOTIFY_ALL.run(this.#client, [k.waiters], [k.ttlMs]);
        return undefined;
      case 'enter':
        await ENTER.run(this.#client, [k.serving, k.stats], [k.ttlMs]);
        return undefined;
      case 'leave':
        await LEAVE.run(this.#client, [k.serving], [k.ttlMs]);
        return undefined;
      case 'window':
      case 'backoff':
        return undefined;
    }
  }

  /** Wakes the withdrawers waiting for funds (condition scenario), after a deposit committed. */
  async #wake(): Promise<void> {
    if (this.#wakeOnDeposit) await NOTIFY_ALL.run(this.#client, [this.keys.waiters], [this.keys.ttlMs]);
  }

  async #move(from: number, to: number, amount: number): Promise<boolean> {
    const k = this.keys;
    if (this.#moveVia === 'script') {
      const keys = [k.account(from), k.meta(from), k.account(to), k.meta(to), k.applied, k.appliedCents, k.stats];
      const [job, dedupe] = this.#jobArgs();
      return (await MOVE.run(this.#client, keys, [amount, k.ttlMs, this.agent, job, dedupe, from, to])) === 1;
    }
    // Optimistic: WATCH both balances, check, MULTI/EXEC; an abort (someone wrote) retries.
    for (;;) {
      await this.#client.watch([k.account(from), k.account(to)]);
      if (await this.#alreadyApplied(from)) return true;
      const [a, b] = (await this.#client.mGet([k.account(from), k.account(to)])).map((v) => Number(v ?? 0));
      if (a! < amount) {
        await this.#client.unwatch();
        return false;
      }
      const multi = this.#client.multi();
      for (const [i, value, d] of [
        [from, a! - amount, -amount],
        [to, b! + amount, amount],
      ] as const) {
        multi
          .set(k.account(i), String(value), { PX: k.ttlMs })
          .hIncrBy(k.meta(i), 'r', 1)
          .hIncrBy(k.meta(i), 'c', 1)
          .hIncrBy(k.meta(i), 'e', d)
          .hSet(k.meta(i), 'a', this.agent)
          .pExpire(k.meta(i), k.ttlMs);
        this.#recordIn(multi, i, d);
      }
      try {
        await multi.exec();
        return true;
      } catch (error) {
        if (!(error instanceof WatchError)) throw error;
        await this.#abort();
      }
    }
  }

  /** Counts one EXEC aborted by a WATCHed key that changed. */
  async #abort(): Promise<void> {
    await this.#client.multi().hIncrBy(this.keys.stats, 'aborts', 1).pExpire(this.keys.stats, this.keys.ttlMs).exec();
  }

  async #read(account: number, watch: boolean): Promise<StepResults['read']> {
    const k = this.keys;
    if (watch) {
      await this.#client.watch(k.account(account));
      this.#watching.add(account);
    }
    // With `fenced`, the read carries the newest token this agent holds (see READ): a refused read
    // is remembered only for the report; the write that follows carries the same, older token
    // and is refused by the store, so the program retries the whole transaction.
    const [value, r, c, refused] = (await READ.run(this.#client, [k.account(account), k.meta(account)], [this.#fenceToken(), k.ttlMs])) as [number, number, number, number];
    this.#seen.set(account, { r, c });
    if (refused === 1) this.readsRefused++;
    return { value, version: r };
  }

  #seenCommits(account: number, version: number): number {
    const seen = this.#seen.get(account);
    return seen && seen.r === version ? seen.c : -1;
  }

  /** The newest fencing token this agent holds (it may not know its lease has expired). */
  #fenceToken(): number {
    if (!this.#fenced) return -1;
    let token = -1;
    for (const h of this.#held.values()) token = Math.max(token, h.fence);
    return token;
  }

  async #write(account: number, seenValue: number, seenR: number, value: number): Promise<WriteResult> {
    const k = this.keys;
    const args = [value, seenValue, seenR, this.#seenCommits(account, seenR), k.ttlMs, this.agent, this.#fenceToken(), ...this.#jobArgs(), account];
    const [status, overwrote, overwroteBy, erased] = (await WRITE.run(this.#client, [k.account(account), k.meta(account), k.applied, k.appliedCents, k.stats], args)) as number[];
    if (status === 2) {
      // The job had already applied this update (a re-delivery): nothing written, the job is done.
      this.#skipped();
      return { overwritten: overwrote ?? 0, stale: false, erased: 0, previousWriter: -1 };
    }
    this.lastWrite = {
      account,
      status: status === -1 ? 'rejected' : status === 1 ? 'stale' : 'ok',
      overwrote: overwrote ?? 0,
      overwroteBy: overwroteBy ?? -1,
      erased: Math.max(0, erased ?? 0),
    };
    const w = this.lastWrite;
    return { overwritten: w.overwrote, stale: w.status === 'stale', erased: w.erased, previousWriter: w.overwroteBy, ...(w.status === 'rejected' ? { rejected: true } : {}) };
  }

  async #cas(account: number, seenValue: number, seenR: number, value: number): Promise<boolean> {
    const k = this.keys;
    const watched = this.#watching.has(account);
    // EXEC ends every WATCH of the connection, successful or not.
    this.#watching.clear();
    if (!watched) {
      const args = [value, seenValue, seenR, this.#seenCommits(account, seenR), k.ttlMs, this.agent, ...this.#jobArgs(), account];
      return (await CAS.run(this.#client, [k.account(account), k.meta(account), k.applied, k.appliedCents, k.stats], args)) === 1;
    }
    if (await this.#alreadyApplied(account)) return true;
    const meta = k.meta(account);
    const multi = this.#client
      .multi()
      .set(k.account(account), String(value), { PX: k.ttlMs })
      .hSet(meta, { r: seenR + 1, a: this.agent })
      .hIncrBy(meta, 'c', 1)
      .hIncrBy(meta, 'e', value - seenValue)
      .pExpire(meta, k.ttlMs);
    this.#recordIn(multi, account, value - seenValue);
    try {
      await multi.exec();
      return true;
    } catch (error) {
      if (!(error instanceof WatchError)) throw error;
      // EXEC returned nil: a watched key changed after our WATCH.
      await this.#abort();
      return false;
    }
  }

  async #add(account: number, delta: number, floor: number | undefined): Promise<StepResults['add']> {
    const k = this.keys;
    // With a job id, the INCRBY runs inside the script that checks and records the job, so a
    // re-delivered job cannot add twice (a MULTI cannot make its INCRBY depend on that check).
    if (floor !== undefined || this.#addVia === 'script' || this.job !== undefined) {
      const args = [delta, floor ?? '', k.ttlMs, this.agent, ...this.#jobArgs(), account];
      const [ok, value, dup] = (await ADD.run(this.#client, [k.account(account), k.meta(account), k.stats, k.applied, k.appliedCents], args)) as [number, number, number];
      if (dup === 1) this.#skipped();
      return { ok: ok === 1, value };
    }
    const meta = k.meta(account);
    // INCRBY is the atomic update; the bookkeeping rides in the same MULTI so it never disagrees.
    const [value] = await this.#client
      .multi()
      .incrBy(k.account(account), delta)
      .pExpire(k.account(account), k.ttlMs)
      .hIncrBy(meta, 'r', 1)
      .hIncrBy(meta, 'c', 1)
      .hIncrBy(meta, 'e', delta)
      .hSet(meta, 'a', this.agent)
      .pExpire(meta, k.ttlMs)
      .exec();
    return { ok: true, value: Number(value) };
  }

  async #lock(n: number, blocking: boolean): Promise<boolean> {
    const k = this.keys;
    const token = lockToken(this.agent);
    const deadline = Date.now() + this.#blockMs;
    let blockedSince: number | null = null; // set once the lock was found held: from then on this is a wait
    try {
      for (;;) {
        const registered = blockedSince !== null;
        const args = [token, this.#lockTtlMs, k.ttlMs, this.#fenced ? 1 : 0, this.agent, blocking ? n : '', registered ? 1 : 0];
        const [ok, x] = (await LOCK.run(this.#client, [k.lock(n), k.fence, k.lockWaits, k.control], args)) as [number, number];
        if (ok === 1) {
          this.#held.set(n, { token, fence: x });
          return true;
        }
        if (ok === -1) throw new Abandoned(); // the run is stopping (or gave up on a deadlock): do not wait
        if (!blocking) return false;
        blockedSince ??= performance.now(); // the script recorded "this agent waits for lock n" (lockWaits)
        const left = deadline - Date.now();
        if (left <= 0) {
          await this.#client.hDel(k.lockWaits, String(this.agent));
          throw new RedisWaitTimeoutError(`agent ${this.agent}: lock ${n} not free within ${this.#blockMs} ms`);
        }
        // Sleep in BLPOP until an unlock pushes to the wake list, or at most until the holder's
        // lease runs out (x = its PTTL), then try again.
        const ms = Math.max(1, Math.min(x > 0 ? x : 1, left, 1000));
        await this.#client.blPop(k.lockWake(n), ms / 1000);
      }
    } finally {
      if (blockedSince !== null) this.#waited(blockedSince);
    }
  }

  /** Counts one wait that blocked since t0 (figures as on threads: lockWaits, waitUs). */
  #waited(t0: number): void {
    this.waits.count++;
    this.waits.us += Math.round((performance.now() - t0) * 1000);
  }

  async #unlock(n: number): Promise<void> {
    const held = this.#held.get(n);
    this.#held.delete(n);
    if (!held) return;
    await UNLOCK.run(this.#client, [this.keys.lock(n), this.keys.lockWake(n), this.keys.stats], [held.token, this.keys.ttlMs]);
  }

  async #wait(account: number, amount: number): Promise<void> {
    const k = this.keys;
    const held = this.#held.get(0);
    const keys = [k.waiters, k.lock(0), k.lockWake(0), k.wake(this.agent), k.stats, k.account(account), k.control];
    const r = (await WAIT.run(this.#client, keys, [held?.token ?? '', k.ttlMs, amount])) as number;
    if (r === -2) throw new Abandoned(); // the run is stopping: do not sleep
    if (r === -1) return; // the funds came meanwhile: still holding the lock (if any), check again
    this.#held.delete(0);
    const woke = await this.#client.blPop(k.wake(this.agent), this.#blockMs / 1000);
    if (!woke) throw new RedisWaitTimeoutError(`agent ${this.agent}: waited ${this.#blockMs} ms for funds and nobody notified`);
    if (held) await this.#lock(0, true); // a monitor holds its lock again on return
  }
}
