/**
 * Before a run: may this Redis user run everything a strategy needs? An ACL user without, say,
 * EVALSHA would otherwise start, see every agent "crash" on NOPERM, and end with exit 0.
 *
 * Each command is tried for real, in a harmless form, on scratch keys of a throwaway prefix
 * (ACLs can restrict keys too): a NOPERM reply means missing; any other reply (NOSCRIPT for a
 * made-up script, a result) means allowed. The commands the scripts run inside Redis are tried
 * inside one EVAL, with redis.pcall, since a script may be allowed while a command in it is not.
 */
import { ErrorReply } from 'redis';
import { connectRedis, disconnect, newRunId, type ConnectOptions, type RedisConn } from './connect.js';
import { RedisPermissionError } from './errors.js';
import { RunKeys } from './keys.js';

type Probe = (string | number)[];

/** What the strategy's own steps send (beyond the common ones below). */
function ownCommands(strategy: string, p: { key: string; hash: string; list: string }): Probe[] {
  switch (strategy) {
    case 'watch':
      return [['WATCH', p.key], ['MGET', p.key], ['HEXISTS', p.hash, 'f'], ['UNWATCH']];
    case 'incrby':
      return [['INCRBY', p.key, 0]];
    case 'permits':
      return [['LPOP', p.list]];
    default:
      return [];
  }
}

/** Commands every run sends directly: bookkeeping, events, the coordination keys, the scripts. */
function commonCommands(p: { key: string; hash: string; list: string; stream: string; pattern: string }): Probe[] {
  return [
    ['CLIENT', 'SETNAME', 'bank-sim-check'],
    ['GET', p.key],
    ['SET', p.key, '0', 'PX', 60_000],
    ['PEXPIRE', p.key, 60_000],
    ['PTTL', p.key],
    ['EXISTS', p.key],
    ['HSET', p.hash, 'f', '0'],
    ['HGETALL', p.hash],
    ['HINCRBY', p.hash, 'f', 0],
    ['HDEL', p.hash, 'f'],
    ['RPUSH', p.list, '1'],
    ['LPOP', p.list],
    ['BLPOP', p.list, '0.01'],
    ['LLEN', p.list],
    ['XADD', p.stream, '*', 'e', '{}'],
    ['XRANGE', p.stream, '-', '+', 'COUNT', 1],
    ['SCAN', '0', 'MATCH', p.pattern, 'COUNT', 10],
    // A made-up script: NOSCRIPT when EVALSHA is allowed, NOPERM when not.
    ['EVALSHA', '0'.repeat(40), 1, p.key],
    ['MULTI'],
    ['EXEC'],
  ];
}

/** --dispatch queue: the consumer group's commands. */
function queueCommands(p: { stream: string }): Probe[] {
  return [
    ['XGROUP', 'CREATE', p.stream, 'check', '0', 'MKSTREAM'],
    ['XREADGROUP', 'GROUP', 'check', 'c', 'COUNT', 1, 'STREAMS', p.stream, '>'],
    ['XAUTOCLAIM', p.stream, 'check', 'c', 0, '0-0', 'COUNT', 1],
    ['XACK', p.stream, 'check', '0-1'],
  ];
}

/** The commands the Lua scripts run (scripts.ts), each tried with pcall; returns the refused ones. */
const IN_SCRIPTS = `local denied = {}
local k, h, l, s = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
for _, c in ipairs({{'SET', k, '0', 'PX', '60000'}, {'GET', k}, {'INCRBY', k, '0'}, {'INCR', k}, {'DECR', k}, {'PEXPIRE', k, '60000'},
    {'PTTL', k}, {'HSET', h, 'f', '0'}, {'HGET', h, 'f'}, {'HINCRBY', h, 'f', '0'}, {'HEXISTS', h, 'f'}, {'HDEL', h, 'f'},
    {'RPUSH', l, '1'}, {'LTRIM', l, '0', '0'}, {'SADD', s, 'x'}, {'SMEMBERS', s}, {'DEL', k}}) do
  local r = redis.pcall(unpack(c))
  -- Redis 7 says "The user executing the script can't run this command or subcommand"; older ones NOPERM.
  if type(r) == 'table' and r.err and (string.find(r.err, 'NOPERM', 1, true) or string.find(r.err, "can't run this command", 1, true)) then
    table.insert(denied, c[1])
  end
end
return denied`;

const isNoPerm = (error: unknown) => error instanceof ErrorReply && /^NOPERM|no permissions/i.test(error.message);

async function tryCommand(client: RedisConn, probe: Probe): Promise<boolean> {
  try {
    await client.sendCommand(probe.map(String));
    return true;
  } catch (error) {
    if (isNoPerm(error)) return false;
    if (error instanceof ErrorReply) return true; // refused for another reason (NOSCRIPT, EXEC without MULTI): allowed
    throw error;
  }
}

export interface PermissionOptions extends ConnectOptions {
  /** --dispatch queue needs the consumer-group commands too. */
  queue?: boolean;
}

/**
 * Throws RedisPermissionError (exit code 2) naming every command the strategy needs that this
 * user may not run; returns when all are allowed. Leaves no key behind.
 */
export async function checkPermissions(url: string, strategy: string, options: PermissionOptions = {}): Promise<void> {
  const client = await connectRedis(url, options);
  const keys = new RunKeys(`check-${newRunId()}`, 60_000);
  const p = { key: `${keys.prefix}k`, hash: `${keys.prefix}h`, list: `${keys.prefix}l`, stream: `${keys.prefix}s`, set: `${keys.prefix}z`, pattern: keys.pattern };
  const missing: string[] = [];
  try {
    const probes = [...commonCommands(p), ...ownCommands(strategy, p), ...(options.queue ? queueCommands(p) : [])];
    for (const probe of probes) if (!(await tryCommand(client, probe))) missing.push(String(probe[0]));
    try {
      const denied = await client.sendCommand(['EVAL', IN_SCRIPTS, '4', p.key, p.hash, p.list, p.set]);
      if (Array.isArray(denied)) for (const c of denied) missing.push(`${String(c)} (in its Lua scripts)`);
    } catch (error) {
      if (!isNoPerm(error)) throw error;
      missing.push('EVAL');
    }
    await client.sendCommand(['UNLINK', p.key, p.hash, p.list, p.stream, p.set]).catch(() => undefined);
  } finally {
    disconnect(client);
  }
  if (missing.length > 0) throw new RedisPermissionError([...new Set(missing)], strategy, userOf(url));
}

function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || '(default)';
  } catch {
    return '(default)';
  }
}
