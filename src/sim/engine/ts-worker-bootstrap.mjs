// Worker bootstrap for running TypeScript sources (see spawn-worker.ts): register tsx's ESM
// loader in this thread, drop our own argument from argv, then load the real entry.
import { register } from 'tsx/esm/api';

register();
const entry = process.argv.splice(2, 1)[0];
await import(entry);
