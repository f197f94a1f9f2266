/**
 * The event-loop version of the race: every agent is an async task on ONE thread (this
 * worker, so the UI's event loop stays free), running the same programs through the same
 * interpreter. There is no parallelism at all, yet updates are lost: each task reads the
 * balance, awaits (the race window), then writes what it read plus its amount, and other tasks
 * ran during the await. async-mutex fixes it for tasks of one thread - and only for them.
 */
import { threadId, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mutex as AsyncMutex } from 'async-mutex';
import type { SimConfig } from '../../model/config.js';
import { agentLoop, SharedHost, type Sleeper } from './agent-host.js';
import { A, Shared, type Layout } from './layout.js';
import type { Step } from '../../model/steps.js';
import { ThreadStore, type SyncHandles } from './thread-store.js';
import { waitAsyncAlive } from './wait-async.js';

const { layout, config, sync } = workerData as { layout: Layout; config: SimConfig; sync: SyncHandles };
const shared = new Shared(layout);
const mutex = new AsyncMutex(); // one per worker: these agents share this one thread

/** Tasks on one event loop must never block it: every wait is an await. */
const awaiting: Sleeper = {
  waitOn: waitAsyncAlive,
  async sleepUs(us) {
    // The await that lets other tasks in. A zero window still yields (setImmediate: one turn
    // of the event loop, not setTimeout's 1 ms minimum), so the race stays and so does the speed.
    if (us > 0) await sleep(us / 1000);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  },
};

/** The shared-memory store, with lock 0 as async-mutex's Mutex (awaited, never blocking). */
class AsyncStore extends ThreadStore {
  private release: (() => void) | null = null;
  override perform(step: Step): unknown {
    if (step.op === 'lock') {
      return mutex.acquire().then((release) => {
        this.release = release;
      });
    }
    if (step.op === 'unlock') {
      this.release?.();
      this.release = null;
      return undefined;
    }
    return super.perform(step);
  }
  override releaseAll(): void {
    this.release?.();
    this.release = null;
  }
}

const agents = config.depositors;
await Promise.all(
  Array.from({ length: agents }, (_, me) => {
    Atomics.store(shared.cells, shared.agent(me, A.THREAD_ID), threadId);
    const store = new AsyncStore(shared, me, config.sync, sync);
    const host = new SharedHost(shared, me, config, awaiting);
    return agentLoop({ shared, agents, me, role: 'depositor', config, store, host, sleeper: awaiting });
  }),
);
