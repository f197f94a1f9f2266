/**
 * Entry of an agent as its own OS process (--agents-on processes): `node agent-process.js URL
 * RUNID AGENT KEY_TTL_MS`. It has its own connections and its own memory: nothing is shared with
 * the coordinator but the Redis server. A --crash ends the process with exit code 70, holding
 * its lock (only the lock's TTL frees it).
 */
import { Crashed, describeAgentError, serveRun } from './agent.js';
import { RunKeys } from './keys.js';

const [url, runId, agent, ttl] = process.argv.slice(2);
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true)); // the coordinator decides: it sets the run's control to stopping
try {
  const end = await serveRun(url!, new RunKeys(runId!, Number(ttl)), Number(agent), { left: () => stopping });
  process.exitCode = end === null ? 3 : 0;
} catch (error) {
  if (error instanceof Crashed) process.exit(70);
  process.stderr.write(`bank-sim agent ${Number(agent) + 1}: ${describeAgentError(error)}\n`);
  process.exitCode = 1;
}
