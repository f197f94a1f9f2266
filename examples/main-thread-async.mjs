// The main thread waits for a worker's lock without blocking its event loop.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Mutex } from 'bank-sim/sync';

if (isMainThread) {
  const mutex = new Mutex();
  const worker = new Worker(new URL(import.meta.url), { workerData: mutex.handle });
  await new Promise((resolve) => worker.once('message', resolve)); // the worker holds the lock
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await mutex.runExclusive(() => {
    console.log(`main thread got the lock; its timers fired ${ticks > 10 ? 'all along' : 'too little'}`);
  });
  clearInterval(timer);
} else {
  const mutex = Mutex.from(workerData);
  mutex.lock();
  (await import('node:worker_threads')).parentPort.postMessage('locked');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // hold it for 200 ms
  mutex.unlock();
}
