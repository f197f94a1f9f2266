// Bench worker: runs one contended loop until told to stop, then reports its own op count.
import { parentPort, workerData } from 'node:worker_threads';
import { Condition, Mutex, Semaphore } from '../dist/sync/index.js';

const { kind, shared, handle, native, iterations, count } = workerData;
// Control cells, each on its own 64-byte cache line (index = line * 16), so that polling the
// stop flag never shares a line with the counter the lock protects (false sharing would tax
// whichever lock polls more often). Cases and workers use these names only.
const L = 16;
const START = 0;
const STOP = L;
const COUNTER = 2 * L;
const READY = 3 * L;
const TURN = 4 * L;
const ctl = new Int32Array(shared);
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
while (Atomics.load(ctl, START) === 0) Atomics.wait(ctl, START, 0, 50);

// Two modes with the same loop body for every lock: fixed time (until STOP; reports its op
// count) or fixed count (`count` ops; reports how long it took).
let ops = 0;
const t0 = performance.now();
const fixedCount = count !== undefined;
const more = fixedCount ? () => ops < count : () => Atomics.load(ctl, STOP) === 0;
if (kind === 'mutex') {
  const m = Mutex.from(handle);
  while (more()) {
    m.lock();
    ctl[COUNTER]++;
    m.unlock();
    ops++;
  }
} else if (kind === 'native') {
  const inc = () => {
    ctl[COUNTER]++;
  };
  while (more()) {
    Atomics.Mutex.lock(native, inc);
    ops++;
  }
} else if (kind === 'atomic') {
  while (more()) {
    Atomics.add(ctl, COUNTER, 1);
    ops++;
  }
} else if (kind === 'semaphore') {
  const s = Semaphore.from(handle);
  while (more()) {
    s.acquireSync();
    Atomics.add(ctl, COUNTER, 1);
    s.release();
    ops++;
  }
} else if (kind === 'pingpong') {
  // Two workers take turns (turn cell 4 = 0 or 1) through a Condition: one hand-off per op.
  const { me } = workerData;
  const c = Condition.from(handle);
  for (let i = 0; i < iterations; i++) {
    c.mutex.lock();
    while (ctl[TURN] !== me) c.wait();
    ctl[TURN] = 1 - me;
    c.notify();
    c.mutex.unlock();
    ops++;
  }
} else if (kind === 'native-pingpong') {
  const { me, cond } = workerData;
  for (let i = 0; i < iterations; i++) {
    Atomics.Mutex.lock(native, () => {
      while (ctl[TURN] !== me) Atomics.Condition.wait(cond, native);
      ctl[TURN] = 1 - me;
      Atomics.Condition.notify(cond, 1);
    });
    ops++;
  }
} else if (kind === 'holder') {
  // Async wake-up latency: lock, let the main thread queue, unlock and stamp the time.
  const m = Mutex.from(handle);
  const stamp = new Float64Array(workerData.stamp);
  for (let i = 0; i < iterations; i++) {
    m.lock();
    Atomics.store(ctl, 5 * L, 1);
    Atomics.notify(ctl, 5 * L);
    while (Atomics.load(ctl, 6 * L) !== i + 1) Atomics.wait(ctl, 6 * L, i, 100); // main has queued
    Atomics.wait(ctl, 7 * L, 0, 1); // let its waitAsync settle in
    stamp[0] = performance.timeOrigin + performance.now();
    m.unlock();
    while (Atomics.load(ctl, 8 * L) !== i + 1) Atomics.wait(ctl, 8 * L, i, 100); // main got it and released
  }
}
parentPort.postMessage({ ops, ms: performance.now() - t0 });
