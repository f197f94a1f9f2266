/**
 * `bank-sim agent --redis-url URL`: an agent for runs on Redis, on any host that reaches the
 * server, started before or after its coordinator. It waits for a ticket (one agent place in
 * one run), serves that run, and waits for the next, until stopped: Ctrl-C exits 130, SIGTERM
 * exits 0, in both cases after leaving its run (the coordinator sees it give up) and closing
 * its connections.
 */
import { hostname } from 'node:os';
import type { Command } from './args.js';
import { Crashed, describeAgentError, serveRun } from '../sim/stores/redis/agent.js';
import { connectRedis, disconnect, displayUrl, isConnectionError, type RedisConn } from '../sim/stores/redis/connect.js';
import { RedisLayerError } from '../sim/stores/redis/errors.js';
import { RunKeys, TICKETS_KEY } from '../sim/stores/redis/keys.js';
import type { Ticket } from '../sim/stores/redis/protocol.js';

export async function agentCommand(cmd: Command, signal: AbortSignal): Promise<number> {
  const url = cmd.redis!.url!;
  const say = (line: string): void => void process.stdout.write(`bank-sim agent: ${line}\n`);
  let stopped: 'SIGINT' | 'SIGTERM' | null = signal.aborted ? 'SIGINT' : null;
  const onSigint = (): void => {
    stopped = 'SIGINT';
  };
  const onSigterm = (): void => {
    stopped = 'SIGTERM';
  };
  signal.addEventListener('abort', onSigint, { once: true });
  process.on('SIGTERM', onSigterm);
  let ctl: RedisConn;
  try {
    ctl = await connectRedis(url, { name: `bank-sim-agent-${process.pid}` });
  } catch (error) {
    process.stderr.write(`bank-sim: ${describeAgentError(error)}\n`);
    return error instanceof RedisLayerError ? error.exitCode : 1;
  }
  say(`pid ${process.pid} on ${hostname()}, waiting for runs on ${displayUrl(url)} (Ctrl-C to stop)`);
  let served = 0;
  try {
    while (!stopped) {
      const got = await ctl.blPop(TICKETS_KEY, 1);
      if (!got) continue;
      const ticket = JSON.parse(got.element) as Ticket;
      if (ticket.until < Date.now()) continue; // its coordinator stopped waiting long ago
      say(`joined run ${ticket.run} as agent ${ticket.agent + 1}`);
      try {
        const end = await serveRun(url, new RunKeys(ticket.run, ticket.keyTtlMs), ticket.agent, {
          left: () => stopped !== null,
          goTimeoutMs: Math.max(1000, ticket.until - Date.now() + 5000),
        });
        if (end === null) say(`run ${ticket.run} was called off before it started`);
        else if (end.ok) served++, say(`run ${ticket.run} done`);
        else say(`run ${ticket.run}: ${end.error ?? 'failed'}`);
      } catch (error) {
        if (error instanceof Crashed) say(`crashed on purpose in run ${ticket.run} (--crash), holding what it held`);
        else say(`run ${ticket.run} failed: ${describeAgentError(error)}`);
      }
    }
  } catch (error) {
    if (!isConnectionError(error) && !(error instanceof RedisLayerError)) throw error;
    process.stderr.write(`bank-sim: lost the connection to Redis at ${displayUrl(url)}: ${describeAgentError(error)}\n`);
    return 1;
  } finally {
    signal.removeEventListener('abort', onSigint);
    process.off('SIGTERM', onSigterm);
    disconnect(ctl);
  }
  say(`stopped (${stopped}) after serving ${served} run${served === 1 ? '' : 's'}`);
  return stopped === 'SIGINT' ? 130 : 0;
}
