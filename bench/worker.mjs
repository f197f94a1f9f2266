// Bench worker: runs one contended loop until told to stop, then reports its own op count.
import { parentPort, workerData } from 'node:worker_threads';
import { Condition, Mutex, Semaphore } from '../dist/sync/index.js';

const { kind, shared, handle, native, iterations } = workerData;
const ctl = new Int32Array(shared); // 0: start flag, 1: stop flag, 2: counter, 3: ready count, 4: turn
Atomics.add(ctl, 3, 1);
Atomics.notify(ctl, 3);
while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0, 50);

let ops = 0;
if (kind === 'mutex') {
  const m = Mutex.from(handle);
  while (Atomics.load(ctl, 1) === 0) {
    m.lock();
    ctl[2]++;
    m.unlock();
    ops++;
  }
} else if (kind === 'native') {
  const inc = () => {
    ctl[2]++;
  };
  while (Atomics.load(ctl, 1) === 0) {
    Atomics.Mutex.lock(native, inc);
    ops++;
  }
} else if (kind === 'atomic') {
  while (Atomics.load(ctl, 1) === 0) {
    Atomics.add(ctl, 2, 1);
    ops++;
  }
} else if (kind === 'semaphore') {
  const s = Semaphore.from(handle);
  while (Atomics.load(ctl, 1) === 0) {
    s.acquireSync();
    Atomics.add(ctl, 2, 1);
    s.release();
    ops++;
  }
} else if (kind === 'pingpong') {
  // Two workers take turns (turn cell 4 = 0 or 1) through a Condition: one hand-off per op.
  const { me } = workerData;
  const c = Condition.from(handle);
  for (let i = 0; i < iterations; i++) {
    c.mutex.lock();
    while (ctl[4] !== me) c.wait();
    ctl[4] = 1 - me;
    c.notify();
    c.mutex.unlock();
    ops++;
  }
} else if (kind === 'native-pingpong') {
  const { me, cond } = workerData;
  for (let i = 0; i < iterations; i++) {
    Atomics.Mutex.lock(native, () => {
      while (ctl[4] !== me) Atomics.Condition.wait(cond, native);
      ctl[4] = 1 - me;
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
    Atomics.store(ctl, 5, 1);
    Atomics.notify(ctl, 5);
    while (Atomics.load(ctl, 6) !== i + 1) Atomics.wait(ctl, 6, i, 100); // main has queued
    Atomics.wait(ctl, 7, 0, 1); // let its waitAsync settle in
    stamp[0] = performance.timeOrigin + performance.now();
    m.unlock();
    while (Atomics.load(ctl, 8) !== i + 1) Atomics.wait(ctl, 8, i, 100); // main got it and released
  }
}
parentPort.postMessage({ ops });
