// Four workers add 1 to a shared counter 100,000 times each, under one cross-thread Mutex.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Mutex } from 'bank-sim/sync';

if (isMainThread) {
  const mutex = new Mutex();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const workers = [1, 2, 3, 4].map(() => new Worker(new URL(import.meta.url), { workerData: { mutex: mutex.handle, counter } }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  console.log(`counter = ${counter[0]} (expected 400000)`);
} else {
  const mutex = Mutex.from(workerData.mutex);
  const { counter } = workerData;
  for (let i = 0; i < 100_000; i++) {
    mutex.withLock(() => {
      counter[0] = counter[0] + 1; // a plain read-modify-write, made safe by the lock
    });
  }
}
