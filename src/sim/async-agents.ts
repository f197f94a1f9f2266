/**
 * The event-loop version of the race: every agent is an async task on ONE thread (this
 * worker, so the UI's event loop stays free). There is no parallelism at all, yet updates are
 * lost: each task reads the balance, awaits (the race window), then writes what it read plus
 * its amount, and other tasks ran during the await. async-mutex fixes it for tasks of one
 * thread - and only for them.
 */
import { threadId, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex as AsyncMutex } from 'async-mutex';
import type { SimConfig } from './config.js';
import { A, ACCOUNT, CONTROL, G, S, Shared, type Layout } from './layout.js';
import { agentSeed, between, rng } from './rng.js';
import { ACT } from './trace.js';

const { layout, config } = workerData as { layout: Layout; config: SimConfig };
const shared = new Shared(layout);
const c = shared.cells;
const mutex = new AsyncMutex();
const balance = shared.account(0, ACCOUNT.BALANCE);
const agents = config.depositors;

const stopping = (): boolean => Atomics.load(c, G.CONTROL) === CONTROL.STOPPING;

async function gate(me: number): Promise<void> {
  for (;;) {
    const control = Atomics.load(c, G.CONTROL);
    if (control === CONTROL.STOPPING) throw new Error('stopped');
    if (control === CONTROL.PAUSED) {
      await sleep(20);
      continue;
    }
    if (Atomics.load(c, G.STEP_MODE) === 0) return;
    const grants = shared.agent(me, A.GRANTS);
    const granted = Atomics.load(c, grants);
    if (granted > 0 && Atomics.compareExchange(c, grants, granted, granted - 1) === granted) return;
    Atomics.store(c, shared.agent(me, A.STATE), S['waiting for step']);
    await sleep(10);
  }
}

async function deposit(me: number, amount: number): Promise<void> {
  const state = (s: number): void => {
    Atomics.store(c, shared.agent(me, A.STATE), s);
  };
  await gate(me);
  state(S.reading);
  const seen = Atomics.load(c, balance);
  shared.emit(me, ACT.read, seen, 0);
  state(S['in window']);
  // The await that lets other tasks in. A zero window still yields (setImmediate: one turn of
  // the event loop, not setTimeout's 1 ms minimum), so the race stays and so does the speed.
  const us = Atomics.load(c, G.WINDOW_US);
  if (us > 0) await sleep(us / 1000);
  else await new Promise<void>((resolve) => setImmediate(resolve));
  await gate(me);
  state(S.writing);
  const overwritten = Atomics.exchange(c, balance, seen + amount);
  const previousWriter = Atomics.exchange(c, shared.account(0, ACCOUNT.LAST_WRITER), me + 1) - 1;
  shared.emit(me, ACT.write, seen + amount, overwritten);
  if (overwritten !== seen) {
    Atomics.add(c, G.LOST_UPDATES, 1);
    shared.emit(me, ACT.lost, seen, overwritten, previousWriter);
  }
  Atomics.add(c, shared.account(0, ACCOUNT.EXPECTED), amount);
  shared.noteBalance(seen + amount);
}

async function agent(me: number): Promise<void> {
  const next = rng(agentSeed(config.seed, me));
  Atomics.store(c, shared.agent(me, A.THREAD_ID), threadId);
  try {
    for (let op = 1; op <= config.ops && !stopping(); op++) {
      const amount = between(next, config.deposit[0], config.deposit[1]);
      if (config.sync === 'async-mutex') {
        Atomics.store(c, shared.agent(me, A.STATE), S['waiting for lock']);
        const t0 = performance.now();
        if (mutex.isLocked()) Atomics.add(c, shared.agent(me, A.LOCK_WAITS), 1);
        await mutex.runExclusive(async () => {
          Atomics.add(c, shared.agent(me, A.WAIT_US), Math.round((performance.now() - t0) * 1000));
          shared.emit(me, ACT.lock, 0);
          await deposit(me, amount);
          shared.emit(me, ACT.unlock, 0);
        });
      } else {
        await deposit(me, amount);
      }
      Atomics.add(c, shared.agent(me, A.TX), 1);
      Atomics.add(c, shared.agent(me, A.MOVED), amount);
      Atomics.add(c, G.TRANSACTIONS, 1);
    }
  } catch (error) {
    if (!stopping()) throw error;
    shared.emit(me, ACT['gave up']);
  }
  Atomics.store(c, shared.agent(me, A.STATE), S.done);
}

Atomics.add(c, G.ONLINE, agents);
Atomics.notify(c, G.ONLINE);
while (Atomics.load(c, G.GO) === 0 && !stopping()) await sleep(1);
await Promise.all(Array.from({ length: agents }, (_, i) => agent(i)));
