// async-mutex code, with only the import changed.
import { E_TIMEOUT, Mutex, withTimeout } from 'bank-sim/sync'; // was: from 'async-mutex'

const mutex = withTimeout(new Mutex(), 100);
const release = await mutex.acquire();
const late = await mutex.acquire().catch((error) => (error === E_TIMEOUT ? 'timed out' : error));
console.log(`second acquire: ${late}`);
release();
const result = await mutex.runExclusive(() => 'ran');
console.log(`runExclusive: ${result}; locked after: ${mutex.isLocked()}`);
