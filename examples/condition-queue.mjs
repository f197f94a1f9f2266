// A withdrawer waits on a Condition until a depositor has put enough money in.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Condition, Mutex } from 'bank-sim/sync';

if (isMainThread) {
  const funds = new Condition(new Mutex());
  const balance = new Int32Array(new SharedArrayBuffer(4));
  const start = (role) => new Worker(new URL(import.meta.url), { workerData: { role, funds: funds.handle, balance } });
  const workers = [start('withdrawer'), start('depositor')];
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  console.log(`final balance = ${balance[0]}`);
} else {
  const funds = Condition.from(workerData.funds); // also rebuilds funds.mutex
  const { balance, role } = workerData;
  funds.mutex.withLock(() => {
    if (role === 'depositor') {
      for (let i = 0; i < 3; i++) balance[0] += 10;
      funds.notifyAll();
    } else {
      const ok = funds.waitFor(() => balance[0] >= 30, 5000); // re-checked after every wake-up
      balance[0] -= 30;
      console.log(`withdrawer: ${ok ? 'took 30' : 'timed out'}`);
    }
  });
}
