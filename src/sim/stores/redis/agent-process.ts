/**
 * Entry of an agent as its own OS process (--agents-on processes):
 *
 *   BANK_SIM_REDIS_URL=URL node agent-process.js RUNID AGENT KEY_TTL_MS
 *
 * The URL (which may carry a password) comes through the environment, never argv, where `ps`
 * would show it to every user of the host. (Until the coordinator passes it so, the old form
 * `agent-process.js URL RUNID AGENT KEY_TTL_MS` is still understood when the variable is unset.)
 * It has its own connections and its own memory: nothing is shared with the coordinator but the
 * Redis server. A --crash ends the process with exit code 70, holding its lock (only the lock's
 * TTL frees it).
 */
import { Crashed, describeAgentError, serveRun } from './agent.js';
import { RunKeys } from './keys.js';
import { REDIS_URL_ENV } from './protocol.js';

const args = process.argv.slice(2);
const url = process.env[REDIS_URL_ENV] || (args.length === 4 ? args.shift() : undefined);
const [runId, agent, ttl] = args;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true)); // the coordinator decides: it sets the run's control to stopping
try {
  if (!url || !runId || agent === undefined || ttl === undefined) throw new Error(`usage: ${REDIS_URL_ENV}=URL agent-process RUNID AGENT KEY_TTL_MS`);
  const end = await serveRun(url, new RunKeys(runId, Number(ttl)), Number(agent), { left: () => stopping });
  process.exitCode = end === null ? 3 : 0;
} catch (error) {
  if (error instanceof Crashed) process.exit(70);
  process.stderr.write(`bank-sim agent ${Number(agent) + 1}: ${describeAgentError(error)}\n`);
  process.exitCode = 1;
}
