// Eight customers, three teller windows: a Semaphore(3) never lets a fourth in.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Semaphore } from 'bank-sim/sync';

if (isMainThread) {
  const windows = new Semaphore(3);
  const stats = new Int32Array(new SharedArrayBuffer(8)); // [serving now, most at once]
  const customers = Array.from({ length: 8 }, () => new Worker(new URL(import.meta.url), { workerData: { windows: windows.handle, stats } }));
  await Promise.all(customers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  console.log(`most customers served at once: ${stats[1]} (windows: 3)`);
} else {
  const windows = Semaphore.from(workerData.windows);
  const { stats } = workerData;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let visit = 0; visit < 20; visit++) {
    windows.acquireSync();
    const now = Atomics.add(stats, 0, 1) + 1;
    if (now > Atomics.load(stats, 1)) Atomics.store(stats, 1, now);
    Atomics.wait(pause, 0, 0, 2); // being served takes about 2 ms
    Atomics.sub(stats, 0, 1);
    windows.release();
  }
}
