/**
 * One agent's part in a run on Redis, wherever it runs (an async task of the coordinator, its
 * own OS process, or a `bank-sim agent` on another host): open its own connections, announce
 * itself, wait for the start, run its transactions - the same programs (programs.ts) through
 * the same interpreter (interpreter.ts) as thread agents, on a RedisStore - and publish its
 * events and figures back to the run's keys (see protocol.ts).
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { interpret, STEP_NAMES, type Host } from '../../engine/interpreter.js';
import { S } from '../../engine/states.js';
import { inputsOf } from '../../model/inputs.js';
import { rolesOf, transaction, type Tx } from '../../model/programs.js';
import { agentSeed, between, rng } from '../../model/rng.js';
import type { Step } from '../../model/steps.js';
import { Abandoned } from '../memory/thread-store.js';
import { ACT } from '../../engine/trace.js';
import { connectRedis, disconnect, type RedisConn } from './connect.js';
import { RedisLayerError } from './errors.js';
import type { RunKeys } from './keys.js';
import { CTRL, FLUSH_MS, GROUP, jobId, type AgentEnd, type EventTuple, type Job, type Joined, type RunSpec } from './protocol.js';
import { RedisStore } from './store.js';

/** Thrown at --crash: the agent dies where it stands, holding what it holds. */
export class Crashed extends Error {
  override name = 'Crashed';
}

/** The interpreter's host on Redis: run control from the control hash, events and figures buffered and flushed. */
export class RedisHost implements Host {
  state: number = S.idle;
  control = { c: CTRL.RUNNING as number, step: 0, w: 0 };
  readonly figures = { tx: 0, moved: 0, retries: 0, lockWaits: 0, waitUs: 0, nextStep: 0, beat: 0, low: 0, over: 0 };
  events: EventTuple[] = [];
  /** The store's count of blocking waits and their time, published with the figures. */
  waits: { count: number; us: number } | null = null;
  crashPending = 0;
  stallPending = 0;
  private stallNow = 0;
  private readonly jitter: () => number;

  constructor(
    private readonly me: number,
    private readonly spec: RunSpec,
    private readonly startEpoch: number,
    private readonly ctl: RedisConn,
    private readonly keys: RunKeys,
    private readonly left: () => boolean,
  ) {
    this.control.w = spec.config.windowUs;
    this.figures.low = spec.config.initialCents;
    this.jitter = rng(agentSeed(spec.config.seed, me) ^ 0x5bd1e995);
  }

  private halted(): boolean {
    return this.control.c === CTRL.STOPPING || this.control.c === CTRL.ABANDON || this.left();
  }

  gate(step: Step): void | Promise<void> {
    if (this.halted()) throw new Abandoned();
    if (this.control.c === CTRL.RUNNING && this.control.step === 0) return;
    return this.waitGate(step);
  }

  private async waitGate(step: Step): Promise<void> {
    const before = this.state;
    for (;;) {
      if (this.halted()) throw new Abandoned();
      if (this.control.c === CTRL.PAUSED) {
        await sleep(FLUSH_MS);
        continue;
      }
      if (this.control.step === 0) break;
      this.figures.nextStep = STEP_NAMES.indexOf(step.op) + 1;
      this.state = S['waiting for step'];
      if (await this.ctl.blPop(this.keys.grants(this.me), 0.1)) break;
    }
    this.figures.nextStep = 0;
    this.state = before;
  }

  pause(step: Extract<Step, { op: 'window' | 'backoff' }>): void | Promise<void> {
    const c = this.spec.config;
    if (step.op === 'window') {
      const ms = this.control.w / 1000 + this.stallNow;
      this.stallNow = 0;
      return ms > 0 ? sleep(ms).then(() => undefined) : undefined;
    }
    this.figures.retries++;
    if (step.reason === 'poll') {
      this.state = S['waiting for funds'];
      return sleep(Math.max(1, (c.depositEveryUs * c.timeScale) / 4000)).then(() => undefined);
    }
    return sleep((between(this.jitter, 0, Math.max(1, 2 * this.control.w)) + 50) / 1000).then(() => undefined);
  }

  midTransaction(): void {
    if (this.crashPending) {
      this.emit(ACT.crash, this.crashPending);
      this.state = S.dead;
      throw new Crashed(`crashed on purpose in transaction ${this.crashPending} (--crash)`);
    }
    if (this.stallPending) {
      // --pause-holder: a GC pause after the read, before the write, once.
      this.stallNow = this.stallPending;
      this.stallPending = 0;
    }
  }

  setState(state: number): void {
    this.state = state;
  }

  emit(action: number, value = 0, aux = 0, aux2 = 0, aux3 = 0): void {
    // A write's value is the balance it committed: the low-water mark at commit time, as the
    // shared-memory store keeps it (one account only: a transfer's balances are two).
    if (action === ACT.write && this.spec.config.accounts === 1) {
      if (value < this.figures.low) this.figures.low = value;
      if (value < 0) this.figures.over++;
    }
    const timeUs = Math.round((performance.timeOrigin + performance.now() - this.startEpoch) * 1000);
    this.events.push([timeUs, this.me, action, value, aux, aux2, aux3]);
  }

  /** Publishes the buffered events and the figures, and re-reads the control hash. */
  async flush(): Promise<void> {
    const batch = this.events;
    this.events = [];
    this.figures.beat++;
    if (this.waits) Object.assign(this.figures, { lockWaits: this.waits.count, waitUs: this.waits.us });
    const multi = this.ctl.multi();
    if (batch.length) multi.xAdd(this.keys.events, '*', { b: JSON.stringify(batch) }).pExpire(this.keys.events, this.keys.ttlMs);
    multi.hSet(this.keys.agent(this.me), { state: this.state, ...this.figures });
    multi.pExpire(this.keys.agent(this.me), this.keys.ttlMs);
    multi.hGetAll(this.keys.control);
    const replies = (await multi.execAsPipeline()) as unknown[];
    const ctl = replies[replies.length - 1] as Record<string, string> | undefined;
    if (ctl) this.control = { c: Number(ctl.c ?? 0), step: Number(ctl.step ?? 0), w: Number(ctl.w ?? this.control.w) };
  }
}

export interface ServeOptions {
  /** The agent should leave (the agent process is stopping): it abandons the run at its next step. */
  left?: () => boolean;
  /** How long to wait for the start signal after joining (default 60 s). */
  goTimeoutMs?: number;
  /** Called once the run started (for the agent command's messages). */
  onStart?: (name: string, agents: number) => void;
}

/**
 * Serves one run as agent `me`: returns how it ended (also pushed to the run's done list).
 * A crash (--crash) is rethrown as Crashed after the end is published, so a process can exit.
 */
export async function serveRun(url: string, keys: RunKeys, me: number, options: ServeOptions = {}): Promise<AgentEnd | null> {
  const ctl = await connectRedis(url, { name: `bank-sim-${keys.runId}-ctl-${me}` });
  let store: RedisStore | undefined;
  let timer: NodeJS.Timeout | undefined;
  let crashed: Crashed | undefined;
  try {
    const raw = await ctl.get(keys.config);
    if (!raw) return null; // the run is gone (its coordinator stopped, or its keys expired)
    const spec = JSON.parse(raw) as RunSpec;
    const c = spec.config;
    store = await RedisStore.open(url, {
      agent: me,
      keys,
      lockTtlMs: spec.lockTtlMs,
      fenced: c.sync === 'fenced',
      addVia: c.sync === 'lua' ? 'script' : 'incrby',
      moveVia: c.sync === 'watch' ? 'watch' : 'script',
      wakeOnDeposit: c.scenario === 'condition',
      // The safe strategies apply a job at most once; `none` only records what it applied.
      dedupe: c.sync !== 'none',
      // A lock wait outlasts the lease of the lock it waits for (--lock-ttl goes up to 10 s): a
      // holder that never lets go (a deadlock, a crash) is undone by its TTL, not by a timeout.
      blockTimeoutMs: Math.max(10_000, spec.lockTtlMs + 5000),
    });
    const joined: Joined = { agent: me, pid: process.pid, host: hostname() };
    await ctl.multi().rPush(keys.joined, JSON.stringify(joined)).pExpire(keys.joined, keys.ttlMs).exec();
    const go = await ctl.blPop(keys.go(me), (options.goTimeoutMs ?? 60_000) / 1000);
    if (!go || go.element === 'cancel') return null;
    const { start } = JSON.parse(go.element) as { start: number };
    const host = new RedisHost(me, spec, start, ctl, keys, options.left ?? (() => false));
    host.waits = store.waits;
    const roles = rolesOf(c);
    options.onStart?.(`agent ${me + 1}`, roles.length);
    await host.flush();
    let flushing: Promise<void> | null = null;
    let flushError: unknown;
    timer = setInterval(() => {
      flushing ??= host
        .flush()
        .catch((error: unknown) => {
          flushError = error;
        })
        .finally(() => (flushing = null));
    }, FLUSH_MS);
    const end: AgentEnd = { agent: me, ok: true };
    try {
      const run = async (tx: Tx, op: number, id: string): Promise<void> => {
        if (flushError) throw flushError;
        store!.job = id;
        host.crashPending = c.crashAt && c.crashAt.agent === me && c.crashAt.op === op ? op : 0;
        host.stallPending = c.pauseAt && c.pauseAt.agent === me && c.pauseAt.op === op ? c.pauseAt.ms : 0;
        await interpret(transaction(c.sync, c.order, tx), store!, host);
        host.figures.tx++;
        host.figures.moved += tx.amount;
        host.state = S.idle;
      };
      if (spec.dispatch === 'queue') await fromQueue(ctl, keys, spec, me, host, run);
      else await ownTransactions(spec, me, host, roles[me]!, run);
      host.state = S.done;
    } catch (error) {
      if (error instanceof Crashed) {
        crashed = error;
        store.crash(); // dies holding its lock: only the lock's TTL frees it
        Object.assign(end, { ok: false, crashed: true, error: error.message });
      } else if (error instanceof Abandoned) {
        await store.releaseAll().catch(() => undefined);
        host.emit(ACT['gave up']);
        host.state = S.done;
      } else {
        host.state = S.dead;
        host.emit(ACT.crash);
        Object.assign(end, { ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
    clearInterval(timer);
    await flushing;
    await host.flush().catch(() => undefined);
    await ctl
      .multi()
      .rPush(keys.done, JSON.stringify(end))
      .pExpire(keys.done, keys.ttlMs)
      .exec()
      .catch(() => undefined);
    if (crashed) throw crashed;
    return end;
  } finally {
    clearInterval(timer);
    store?.close();
    disconnect(ctl);
  }
}

/** The agent's own transactions, drawn from its seeded generator (the same inputs as on threads). */
async function ownTransactions(
  spec: RunSpec,
  me: number,
  host: RedisHost,
  role: ReturnType<typeof rolesOf>[number],
  run: (tx: Tx, op: number, id: string) => Promise<void>,
): Promise<void> {
  const c = spec.config;
  const inputs = inputsOf(c, me);
  for (let op = 1; op <= c.ops; op++) {
    await run(inputs.nextTx(), op, jobId(me, op));
    if (op < c.ops) {
      const us = inputs.nextIdleUs() * c.timeScale;
      if (us > 0) await sleep(us / 1000);
    }
    if (host.control.c >= CTRL.STOPPING) throw new Abandoned();
  }
}

/**
 * --dispatch queue: transactions come from the run's stream through the consumer group; one
 * left pending by a silent (dead) agent for claimIdleMs is claimed (XAUTOCLAIM) and run again.
 * The coordinator sets control c = stopping once every transaction is acknowledged.
 */
async function fromQueue(ctl: RedisConn, keys: RunKeys, spec: RunSpec, me: number, host: RedisHost, run: (tx: Tx, op: number, id: string) => Promise<void>): Promise<void> {
  const consumer = `agent-${me}`;
  let op = 0;
  for (;;) {
    if (host.control.c >= CTRL.STOPPING) return;
    let entry: { id: string; message: Record<string, string> } | undefined;
    const claimed = await ctl.xAutoClaim(keys.jobs, GROUP, consumer, spec.claimIdleMs, '0-0', { COUNT: 1 });
    entry = claimed.messages.find((m) => m !== null) as typeof entry;
    if (!entry) {
      const read = await ctl.xReadGroup(GROUP, consumer, { key: keys.jobs, id: '>' }, { COUNT: 1, BLOCK: 200 });
      const streams = read as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
      entry = streams?.[0]?.messages[0];
    }
    if (!entry) continue;
    const job = JSON.parse(entry.message.job!) as Job;
    await run(job.tx, ++op, jobId(job.origin, job.op));
    await ctl.xAck(keys.jobs, GROUP, entry.id);
  }
}

/** Why an agent could not serve: the message for its log. */
export function describeAgentError(error: unknown): string {
  if (error instanceof RedisLayerError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
