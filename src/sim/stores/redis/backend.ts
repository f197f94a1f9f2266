/**
 * The Redis store under a Run. It publishes the run (protocol.ts), has its agents started as
 * async tasks, OS processes or remote `bank-sim agent`s, starts them together, and on every
 * refresh reads Redis: balances and bookkeeping (RedisRun.snapshot), each agent's figures, the
 * event stream. Status, clock, commands, the watchdog, the verdict and the report are the Run's
 * (engine/run.ts), as on shared memory.
 *
 * The wait-for graph comes from the same reading: who holds each lock (its token names the
 * holder) and who waits for which (the lock script's record), read in one MULTI.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { STEP_NAMES } from '../../engine/interpreter.js';
import type { AgentReading, Backend, Control, DeadlockHistory, Reading, Status } from '../../engine/run.js';
import { siblingModule } from '../../engine/spawn-worker.js';
import { stateAt } from '../../engine/states.js';
import { ACTIONS, type TraceEvent } from '../../engine/trace.js';
import type { SimConfig } from '../../model/config.js';
import { inputsOf } from '../../model/inputs.js';
import { agentName, type Role, rolesOf } from '../../model/programs.js';
import type { WaitEdge } from '../../model/verdict.js';
import { Crashed, serveRun } from './agent.js';
import { connectRedis, disconnect, displayUrl, newRunId, translateLost, type RedisConn } from './connect.js';
import { RedisConnectionLostError, RedisJoinTimeoutError } from './errors.js';
import { RunKeys, TICKETS_KEY } from './keys.js';
import { CTRL, GROUP, type AgentEnd, type AgentsOn, type Dispatch, type EventTuple, type Job, type Joined, type OnDeadlock, type RunSpec, type Ticket } from './protocol.js';
import { RedisRun, type RunSnapshot } from './run.js';
import { NOTIFY_ALL } from './scripts.js';

/** How often the store is read (the Run's watchdog looks at every reading). */
const POLL_MS = 50;
/** Events are put in time order once this old (agents flush every 50 ms). */
const ORDER_LAG_US = 300_000;
/** A remote agent whose figures stop changing for this long is counted dead. */
const SILENT_MS = 5000;
const STOP_GRACE_MS = 3000;

export interface RedisRunOptions {
  url: string;
  lockTtlMs: number;
  agentsOn: AgentsOn;
  dispatch: Dispatch;
  /** How long to wait for the agents to join (default 10 s). */
  joinTimeoutMs?: number;
  collectTrace?: boolean;
  keyTtlMs?: number;
  claimIdleMs?: number;
}

/** What a report on Redis adds: where it ran, and the store's own counters. */
export interface RedisFacts {
  url: string;
  runId: string;
  agentsOn: AgentsOn;
  dispatch: Dispatch;
  lockTtlMs: number;
  onDeadlock: OnDeadlock;
  /** Deadlocks seen (wait-for cycles, each seen on two polls in a row): at most 1 with --on-deadlock stop. */
  deadlocks: number;
  /** EXECs aborted because a WATCHed key changed (watch retries). */
  aborts: number;
  /** Writes refused because their fencing token was older than one already accepted. */
  fencedRejects: number;
  /** Unlocks that found their lock expired: the TTL had freed it while the holder still worked (or was dead). */
  lockLost: number;
  /** Withdrawals refused by the Lua floor check. */
  denied: number;
  /** Per agent: transactions it ran (--dispatch queue: its share). */
  shares: { agent: string; transactions: number; pid: number | null; host: string | null }[];
  /** Lines the report prints under the figures (crashes and the TTL, stalls, failures). */
  notes: string[];
  /** The run ended because of this error (a lost connection): the figures are the last ones read. */
  failure: string | null;
}

interface Figures {
  state: number;
  tx: number;
  moved: number;
  retries: number;
  lockWaits: number;
  waitUs: number;
  nextStep: number;
  beat: number;
  /** The lowest balance this agent committed (single-account runs), and its overdrafts. */
  low: number;
  over: number;
}

const CTRL_OF: Record<Control, number> = { running: CTRL.RUNNING, paused: CTRL.PAUSED, stopping: CTRL.STOPPING, abandon: CTRL.ABANDON };

export class RedisBackend implements Backend<RedisFacts> {
  readonly names: string[];
  readonly roles: Role[];
  readonly keys: RunKeys;
  readonly crashed: { agent: string; message: string }[] = [];
  private run_: RedisRun | null = null;
  private ctl: RedisConn | null = null;
  private last: RunSnapshot | null = null;
  private figures: Figures[];
  private joined: (Joined | null)[];
  private readonly ended = new Map<number, AgentEnd>();
  private endsRead = 0;
  private readonly children: ChildProcess[] = [];
  private readonly tasks: Promise<unknown>[] = [];
  /** The control the agents are told (written at set-up, then on every change). */
  private controlNow: Control = 'running';
  private stepMode = false;
  private windowUs: number;
  private lastId = '0-0';
  private pending: TraceEvent[] = [];
  private log: TraceEvent[] = [];
  private logBase = 0;
  private nextSeq = 0;
  private startEpoch = 0;
  private silentSince = new Map<number, { beat: number; at: number }>();
  private jobs = 0;
  /** --dispatch queue: the id of the last job added, and whether the stream says every job is done. */
  private lastJobId = '';
  private queueDrained = false;
  /** Polls in flight: refresh() resolves with the next one (so each look of the watchdog sees a new reading). */
  private polling = false;
  private pollWaiters: (() => void)[] = [];
  /** The run is over: in-process agents still serving leave. */
  private closed = false;

  constructor(
    private readonly config: SimConfig,
    readonly options: RedisRunOptions,
  ) {
    this.roles = rolesOf(config);
    this.names = this.roles.map((role, i) => agentName(config, role, i));
    this.keys = new RunKeys(newRunId(), options.keyTtlMs);
    this.figures = this.roles.map(() => ({ state: 0, tx: 0, moved: 0, retries: 0, lockWaits: 0, waitUs: 0, nextStep: 0, beat: 0, low: config.initialCents, over: 0 }));
    this.joined = this.roles.map(() => null);
    this.windowUs = config.windowUs;
  }

  private get spec(): RunSpec {
    return {
      runId: this.keys.runId,
      keyTtlMs: this.keys.ttlMs,
      config: this.config,
      lockTtlMs: this.options.lockTtlMs,
      dispatch: this.options.dispatch,
      // A live agent's transaction may wait out a lock's TTL: claim only after that (at least once:
      // a transaction claimed from a live but slow agent runs twice, each run a committed update).
      claimIdleMs: this.options.claimIdleMs ?? (this.locking ? this.options.lockTtlMs + 1000 : 1000),
    };
  }

  async start(): Promise<void> {
    const c = this.config;
    const k = this.keys;
    this.run_ = await RedisRun.open(this.options.url, k);
    this.ctl = await connectRedis(this.options.url, { name: `bank-sim-${k.runId}-coordinator` });
    await this.run_.init({ balances: Array.from({ length: c.accounts }, () => c.initialCents), permits: c.scenario === 'tellers' ? c.permits : 0 });
    const setup = this.ctl.multi();
    setup.set(k.config, JSON.stringify(this.spec), { PX: k.ttlMs });
    setup.hSet(k.control, { c: CTRL_OF[this.controlNow], step: this.stepMode ? 1 : 0, w: this.windowUs }).pExpire(k.control, k.ttlMs);
    await setup.exec();
    if (this.options.dispatch === 'queue') await this.queueJobs();
    this.launch();
    await this.awaitJoined();
  }

  async go(): Promise<void> {
    const k = this.keys;
    const start = performance.timeOrigin + performance.now();
    this.startEpoch = start;
    const go = this.ctl!.multi();
    this.roles.forEach((_, i) => {
      go.rPush(k.go(i), JSON.stringify({ start })).pExpire(k.go(i), k.ttlMs);
    });
    await go.exec();
    this.polling = true;
    try {
      for (;;) {
        await this.poll();
        if (this.ended.size >= this.roles.length) break;
        await sleep(POLL_MS);
      }
      await settle(this.tasks, STOP_GRACE_MS);
      await this.poll();
    } finally {
      this.polling = false;
      this.wakePollWaiters();
    }
  }

  refresh(): Promise<void> {
    if (!this.polling) return Promise.resolve();
    return new Promise<void>((resolve) => this.pollWaiters.push(resolve));
  }

  private wakePollWaiters(): void {
    const waiters = this.pollWaiters;
    this.pollWaiters = [];
    for (const wake of waiters) wake();
  }

  failure(error: unknown): Error | null {
    const lost = translateLost(error, this.options.url);
    return lost instanceof RedisConnectionLostError ? lost : null;
  }

  /** --dispatch queue: every agent's transactions, interleaved, into the jobs stream and its group. */
  private async queueJobs(): Promise<void> {
    const c = this.config;
    const k = this.keys;
    const inputs = this.roles.map((_, i) => inputsOf(c, i));
    const multi = this.ctl!.multi();
    for (let op = 1; op <= c.ops; op++) {
      this.roles.forEach((_, i) => {
        const job: Job = { tx: inputs[i]!.nextTx(), origin: i, op };
        multi.xAdd(k.jobs, '*', { job: JSON.stringify(job) });
        this.jobs++;
      });
    }
    multi.xGroupCreate(k.jobs, GROUP, '0').pExpire(k.jobs, k.ttlMs);
    const replies = await multi.exec();
    this.lastJobId = String(replies[this.jobs - 1] ?? '');
  }

  private launch(): void {
    const { url } = this.options;
    const k = this.keys;
    const n = this.roles.length;
    if (this.options.agentsOn === 'threads') {
      for (let i = 0; i < n; i++) {
        this.tasks.push(
          serveRun(url, k, i, { left: () => this.closed }).catch((error: unknown) => {
            if (!(error instanceof Crashed)) this.agentDied(i, error instanceof Error ? error.message : String(error));
          }),
        );
      }
    } else if (this.options.agentsOn === 'processes') {
      const entry = siblingModule(import.meta.url, 'agent-process');
      const execArgv = entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
      for (let i = 0; i < n; i++) {
        const child = fork(entry, [url, k.runId, String(i), String(k.ttlMs)], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('exit', (code, signal) => {
          // 0: served the run (its end is in the done list); 3: the run was cancelled; 70: --crash,
          // reported by the agent itself before it exited.
          if (code === 0 || code === 3 || code === 70) return;
          this.agentDied(i, stderr.trim().split('\n').pop() || `process ${child.pid} ended (${signal ?? `exit code ${code}`})`);
        });
        this.children.push(child);
      }
    } else {
      const until = Date.now() + (this.options.joinTimeoutMs ?? 10_000);
      const tickets = this.roles.map((_, i): string => JSON.stringify({ run: k.runId, agent: i, keyTtlMs: k.ttlMs, until } satisfies Ticket));
      void this.ctl!.multi().rPush(TICKETS_KEY, tickets).pExpire(TICKETS_KEY, k.ttlMs).exec();
    }
  }

  private agentDied(i: number, message: string): void {
    if (this.crashed.some((x) => x.agent === this.names[i])) return;
    this.crashed.push({ agent: this.names[i]!, message });
    if (!this.ended.has(i)) this.ended.set(i, { agent: i, ok: false, error: message });
  }

  /** Waits until every agent has joined; on timeout, voids the tickets, cancels the joined, and explains. */
  private async awaitJoined(): Promise<void> {
    const k = this.keys;
    const n = this.roles.length;
    const timeout = this.options.joinTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeout;
    let count = 0;
    while (count < n) {
      if (this.controlNow === 'stopping') break;
      const left = deadline - Date.now();
      const dead = this.crashed.length > 0 && this.options.agentsOn !== 'remote';
      if (left <= 0 || dead) {
        const cancel = this.ctl!.multi();
        for (let i = 0; i < this.roles.length; i++) cancel.rPush(k.go(i), 'cancel').pExpire(k.go(i), k.ttlMs);
        await cancel.exec();
        if (this.options.agentsOn === 'remote') {
          const all = await this.ctl!.lRange(TICKETS_KEY, 0, -1);
          const ours = all.filter((t) => (JSON.parse(t) as Ticket).run === k.runId);
          for (const t of ours) await this.ctl!.lRem(TICKETS_KEY, 0, t);
          throw new RedisJoinTimeoutError(
            `only ${count} of ${n} agents joined within ${timeout / 1000} s. Start ${n - count} more on any host that reaches the server: ` +
              `bank-sim agent --redis-url ${displayUrl(this.options.url)} (or lower --agents, or raise --join-timeout)`,
          );
        }
        const why = this.crashed.map((x) => `${x.agent}: ${x.message}`).join('; ');
        throw new RedisJoinTimeoutError(`only ${count} of ${n} agents started within ${timeout / 1000} s${why ? `: ${why}` : ''}`);
      }
      const got = await this.ctl!.blPop(k.joined, Math.min(left, 200) / 1000);
      if (!got) continue;
      const j = JSON.parse(got.element) as Joined;
      this.joined[j.agent] = j;
      count++;
    }
  }

  private async poll(): Promise<void> {
    const k = this.keys;
    const ctl = this.ctl!;
    // The end list first: whatever an agent flushed before announcing its end is read below.
    const ends = await ctl.lRange(k.done, this.endsRead, -1);
    for (const raw of ends) {
      const end = JSON.parse(raw) as AgentEnd;
      this.endsRead++;
      this.ended.set(end.agent, end);
      if (end.crashed) this.crashed.push({ agent: this.names[end.agent]!, message: end.error ?? 'crashed' });
      else if (!end.ok) this.agentDied(end.agent, end.error ?? 'failed');
    }
    const multi = ctl.multi();
    this.roles.forEach((_, i) => {
      multi.hGetAll(k.agent(i));
    });
    const figs = (await multi.exec()) as unknown as Record<string, string>[];
    figs.forEach((f, i) => {
      if (!f || Object.keys(f).length === 0) return;
      const n = (v: string | undefined, fallback = 0): number => (v === undefined || Number.isNaN(Number(v)) ? fallback : Number(v));
      this.figures[i] = {
        state: n(f.state),
        tx: n(f.tx),
        moved: n(f.moved),
        retries: n(f.retries),
        lockWaits: n(f.lockWaits),
        waitUs: n(f.waitUs),
        nextStep: n(f.nextStep),
        beat: n(f.beat),
        low: n(f.low, this.config.initialCents),
        over: n(f.over),
      };
    });
    for (;;) {
      const entries = (await ctl.xRange(k.events, `(${this.lastId}`, '+', { COUNT: 500 })) ?? [];
      for (const e of entries) {
        this.lastId = e.id;
        if (!e.message.b) continue;
        for (const t of JSON.parse(e.message.b) as EventTuple[]) this.pending.push(toEvent(t));
      }
      if (entries.length < 500) break;
    }
    this.order(false);
    if (this.options.dispatch === 'queue' && !this.queueDrained) this.queueDrained = await this.drained();
    this.last = await this.run_!.snapshot(this.config.accounts);
    this.checks();
    this.wakePollWaiters();
  }

  /** Puts the events older than ORDER_LAG_US (all of them at the end) in time order and numbers them. */
  private order(all: boolean): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => a.timeUs - b.timeUs || a.agent - b.agent);
    const horizon = all ? Infinity : (performance.timeOrigin + performance.now() - this.startEpoch) * 1000 - ORDER_LAG_US;
    let cut = 0;
    while (cut < this.pending.length && this.pending[cut]!.timeUs < horizon) cut++;
    for (const e of this.pending.splice(0, cut)) {
      e.seq = this.nextSeq++;
      this.log.push(e);
    }
    const keep = this.options.collectTrace ? Infinity : this.config.traceCapacity;
    if (this.log.length > keep * 2) {
      const drop = this.log.length - keep;
      this.log.splice(0, drop);
      this.logBase += drop;
    }
  }

  /**
   * The stream, not the agents' counters, says when a queue run is done: every job delivered (the
   * group's last delivered id is the last job's) and none pending (every delivery acknowledged).
   * Agents publish their counters every 50 ms and a dead one never again, so counting those could
   * wait for ever for a job a dead agent had applied.
   */
  private async drained(): Promise<boolean> {
    const groups = await this.ctl!.xInfoGroups(this.keys.jobs);
    const group = groups.find((g) => String(g.name) === GROUP);
    return group !== undefined && String(group['last-delivered-id']) === this.lastJobId && Number(group.pending) === 0;
  }

  /** Silent remote agents; a drained queue ends the run. */
  private checks(): void {
    if (this.controlNow !== 'running' && this.controlNow !== 'paused') return;
    const now = Date.now();
    this.figures.forEach((f, i) => {
      if (this.ended.has(i)) return;
      const seen = this.silentSince.get(i);
      if (!seen || seen.beat !== f.beat) this.silentSince.set(i, { beat: f.beat, at: now });
      else if (now - seen.at > SILENT_MS && this.controlNow === 'running') this.agentDied(i, `stopped answering (no news for ${SILENT_MS / 1000} s)`);
    });
    if (this.queueDrained) void this.setControl(CTRL.STOPPING);
  }

  control(control: Control): void {
    this.controlNow = control;
    void this.setControl(CTRL_OF[control]);
  }

  setStepMode(on: boolean): void {
    this.stepMode = on;
    void this.ctl?.hSet(this.keys.control, 'step', on ? 1 : 0).catch(() => undefined);
  }

  grant(agent: number): void {
    void this.ctl
      ?.multi()
      .rPush(this.keys.grants(agent), '1')
      .pExpire(this.keys.grants(agent), this.keys.ttlMs)
      .exec()
      .catch(() => undefined);
  }

  setWindow(us: number): void {
    this.windowUs = us;
    void this.ctl?.hSet(this.keys.control, 'w', us).catch(() => undefined);
  }

  private async setControl(c: number): Promise<void> {
    if (!this.ctl) return;
    await this.ctl.hSet(this.keys.control, 'c', c).catch(() => undefined);
    if (c < CTRL.STOPPING) return;
    // Wake whoever sleeps in a condition wait or a lock wait, so it sees the news (the lock script
    // reads the control hash and gives up). One wake per agent: a BLPOP takes one each.
    const k = this.keys;
    if (this.locking) {
      const wake = this.ctl.multi();
      for (let n = 0; n < this.config.accounts; n++) {
        wake
          .rPush(
            k.lockWake(n),
            this.roles.map(() => '1'),
          )
          .lTrim(k.lockWake(n), 0, this.roles.length - 1)
          .pExpire(k.lockWake(n), k.ttlMs);
      }
      await wake.exec().catch(() => undefined);
    }
    await NOTIFY_ALL.run(this.ctl, [k.waiters], [k.ttlMs]).catch(() => undefined);
  }

  async kill(): Promise<void> {
    this.killChildren();
  }

  private killChildren(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }

  async close(failed: boolean): Promise<void> {
    this.order(true);
    const exits = this.children.map((ch) => (ch.exitCode !== null || ch.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => ch.once('exit', () => r()))));
    if (failed || this.controlNow === 'stopping' || this.crashed.length) {
      const timer = setTimeout(() => this.killChildren(), failed ? 0 : STOP_GRACE_MS);
      await Promise.all(exits);
      clearTimeout(timer);
    } else {
      await Promise.all(exits);
    }
    this.closed = true;
    await settle(this.tasks, STOP_GRACE_MS);
    if (!failed) await this.run_?.cleanup().catch(() => 0);
    this.run_?.close();
    if (this.ctl) disconnect(this.ctl);
  }

  /** The strategy takes Redis locks (lock n guards account n). */
  private get locking(): boolean {
    return this.config.sync === 'lock' || this.config.sync === 'fenced';
  }

  // --- reading --------------------------------------------------------------------------

  events(from: number, max: number): TraceEvent[] {
    const start = Math.max(0, from - this.logBase, this.log.length - max);
    return this.log.slice(start);
  }

  trace(): { events: TraceEvent[]; dropped: number } {
    return { events: this.log, dropped: this.logBase };
  }

  waitsFor(): Map<number, WaitEdge> {
    const waitsFor = new Map<number, WaitEdge>();
    const last = this.last;
    if (!last) return waitsFor;
    for (const [agent, lock] of last.lockWaits) {
      // An agent that ended cannot clear its record (a killed process): it waits for nothing.
      if (agent >= this.roles.length || this.ended.has(agent)) continue;
      const holder = last.lockHolders[lock];
      if (holder != null && holder !== agent && holder < this.roles.length) waitsFor.set(agent, { lock, holder });
    }
    return waitsFor;
  }

  read(): Reading {
    const c = this.config;
    const last = this.last;
    const accounts = last
      ? last.accounts.map((a) => ({ balance: a.balance, expected: a.expected, commits: a.commits, version: a.reflected }))
      : Array.from({ length: c.accounts }, () => ({ balance: c.initialCents, expected: c.initialCents, commits: 0, version: 0 }));
    const agents = this.roles.map((_, i): AgentReading => {
      const f = this.figures[i]!;
      const j = this.joined[i];
      const end = this.ended.get(i);
      // The lock script's record is newer than the figures (flushed every FLUSH_MS) and agrees with the holders.
      const waitingFor = end ? undefined : last?.lockWaits.get(i);
      const state = end ? (end.ok ? 'done' : 'dead') : waitingFor !== undefined ? 'waiting for lock' : stateAt(f.state);
      return {
        state,
        transactions: f.tx,
        movedCents: f.moved,
        lockWaits: f.lockWaits,
        waitMs: f.waitUs / 1000,
        retries: f.retries,
        waitingFor: waitingFor ?? null,
        nextStep: this.stepMode && f.nextStep > 0 ? (STEP_NAMES[f.nextStep - 1] ?? null) : null,
        ...(j ? { pid: j.pid, host: j.host } : {}),
      };
    });
    return {
      accounts,
      minBalance: Math.min(c.initialCents, ...this.figures.map((f) => f.low)),
      overdrafts: this.figures.reduce((a, f) => a + f.over, 0),
      staleWrites: last?.staleWrites ?? 0,
      transactions: agents.reduce((a, x) => a + x.transactions, 0),
      retries: agents.reduce((a, x) => a + x.retries, 0) + (last?.aborts ?? 0),
      servingNow: last?.serving ?? 0,
      servingMax: last?.maxServing ?? 0,
      lockHolders: last?.lockHolders ?? Array.from({ length: c.accounts }, () => null),
      agents,
      windowUs: this.windowUs,
    };
  }

  facts(history: DeadlockHistory, _status: Status, failure: string | null): RedisFacts {
    const last = this.last;
    return {
      url: displayUrl(this.options.url),
      runId: this.keys.runId,
      agentsOn: this.options.agentsOn,
      dispatch: this.options.dispatch,
      lockTtlMs: this.options.lockTtlMs,
      onDeadlock: history.onDeadlock,
      deadlocks: history.seen,
      aborts: last?.aborts ?? 0,
      fencedRejects: last?.fencedRejects ?? 0,
      lockLost: last?.lockLost ?? 0,
      denied: last?.denied ?? 0,
      shares: this.roles.map((_, i) => ({ agent: this.names[i]!, transactions: this.figures[i]!.tx, pid: this.joined[i]?.pid ?? null, host: this.joined[i]?.host ?? null })),
      notes: this.notes(history),
      failure,
    };
  }

  /** The faults' story, in the store's terms (a lease, a fencing token, a claimed job). */
  private notes(history: DeadlockHistory): string[] {
    const c = this.config;
    const ttl = this.options.lockTtlMs;
    const notes: string[] = [];
    if (history.first && history.onDeadlock === 'stop') {
      notes.push(
        `on Redis the lock TTL (${ttl} ms) would have broken this deadlock in the end: a lock expires with its lease, the agent waiting for it takes it, ` +
          `and its old holder goes on to write without it (lost updates, money from nowhere). To watch: --on-deadlock expire (add --lock-ttl 200ms to wait less)`,
      );
    } else if (history.first) {
      if (history.broken > 0) {
        notes.push(
          `${history.broken} deadlock${history.broken === 1 ? ' was' : 's were'} broken only by the lock TTL (${ttl} ms): each time a lease ran out, another agent took the lock ` +
            `and its old holder went on to write without it, then found its unlock had nothing left to release`,
        );
      }
      if (history.standing) notes.push(`the run ended while a deadlock stood: the lock TTL (${ttl} ms) had not broken it yet`);
    }
    for (const x of this.crashed) {
      if (this.locking && /--crash/.test(x.message)) {
        notes.push(`${x.agent} crashed holding its lock; nobody released it: Redis freed it when its TTL ran out (--lock-ttl ${ttl} ms), then the others went on`);
      }
    }
    if (c.pauseAt) {
      const who = this.names[c.pauseAt.agent];
      const rejects = this.last?.fencedRejects ?? 0;
      const lost = this.last?.lockLost ?? 0;
      notes.push(
        `${who} stalled ${c.pauseAt.ms} ms in its transaction ${c.pauseAt.op}, after its read and before its write` +
          (lost > 0 ? `; its lock expired meanwhile (TTL ${ttl} ms) and another agent took it` : '') +
          (rejects > 0 ? `; its late write carried an old fencing token and was refused (${rejects}), then retried` : ''),
      );
    }
    if (this.options.dispatch === 'queue' && this.crashed.length) {
      notes.push(`the transaction a dead agent had taken stayed pending in the consumer group and was claimed again (XAUTOCLAIM after ${this.spec.claimIdleMs} ms idle)`);
    }
    return notes;
  }
}
/** Waits for the promises, at most `ms` (without a timer left behind to keep the process alive). */
async function settle(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(promises), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function toEvent(t: EventTuple): TraceEvent {
  return { seq: 0, timeUs: t[0], agent: t[1], action: ACTIONS[t[2]] ?? 'read', value: t[3], aux: t[4], aux2: t[5], aux3: t[6] };
}
