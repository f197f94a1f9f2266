// A worker is terminated while it holds the lock: watchWorker hands the lock on, flagged.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { Mutex, watchWorker } from 'bank-sim/sync';

if (isMainThread) {
  const mutex = new Mutex();
  const worker = new Worker(new URL(import.meta.url), { workerData: mutex.handle });
  watchWorker(worker); // recover what it holds when it exits, even by terminate()
  await new Promise((resolve) => worker.once('message', resolve));
  const acquired = mutex.acquire({ timeoutMs: 2000 });
  await worker.terminate(); // dies holding the lock
  const release = await acquired;
  console.log(`main thread got the lock; previous owner died: ${mutex.ownerDied}`);
  release();
} else {
  Mutex.from(workerData).lock();
  parentPort.postMessage('holding');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never unlocks
}
