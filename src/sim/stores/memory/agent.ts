/**
 * A thread agent: one worker thread that runs one agent's transactions on the shared-memory
 * store (see agent-host.ts for its life, interpreter.ts for how a step is taken). Everything it
 * does is visible in shared memory; it never messages the controller per event.
 */
import { threadId, workerData } from 'node:worker_threads';
import type { SimConfig } from '../../model/config.js';
import { agentLoop, SharedHost, type Sleeper } from './agent-host.js';
import { A, Shared, type Layout } from './layout.js';
import type { Role } from '../../model/programs.js';
import { ThreadStore, type SyncHandles } from './thread-store.js';
import { ACT } from '../../engine/trace.js';

export interface AgentData {
  layout: Layout;
  index: number;
  role: Role;
  config: SimConfig;
  sync: SyncHandles;
}

const { layout, index: me, role, config, sync } = workerData as AgentData;
const shared = new Shared(layout);
const nap = new Int32Array(new SharedArrayBuffer(4)); // a private cell to sleep on

/** A worker thread of its own: it may block. */
const blocking: Sleeper = {
  waitOn(cells, index, value, ms) {
    Atomics.wait(cells, index, value, ms);
  },
  sleepUs(us, spin) {
    if (spin) {
      const end = performance.now() + us / 1000;
      while (performance.now() < end);
    } else {
      Atomics.wait(nap, 0, 0, us / 1000);
    }
  },
};

// A hard death inside the transaction, as a native crash would be: no finally block runs, so
// the lock is still held when the thread ends; only the robust-lock recovery releases it.
const die = (): never => process.exit(70);

const store = new ThreadStore(shared, me, config.sync, sync);
const host = new SharedHost(shared, me, config, blocking, die);
store.onBlocked = (lock) => host.emit(ACT.wait, Math.max(0, lock));
Atomics.store(shared.cells, shared.agent(me, A.THREAD_ID), threadId);
await agentLoop({ shared, agents: layout.agents, me, role, config, store, host, sleeper: blocking });
