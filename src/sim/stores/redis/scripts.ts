/**
 * The Lua scripts of the Redis store, run with EVALSHA (falling back to EVAL once when the
 * server does not have the script cached yet). A script runs atomically: that is what makes the
 * `lua` strategy exact, and what keeps the bookkeeping (commits, reflected updates, expected
 * money) consistent with the balance it describes. The race of `none` is not inside any
 * script: its read and its write are two scripts with the window between them.
 *
 * Meta hash fields (see RunKeys.meta): c commits, r updates reflected in the balance,
 * e expected cents, s stale writes, x fenced write rejects, xr fenced read rejects, f newest fencing
 * token seen by a read or an accepted write, a last writer.
 * Lost updates of an account = c - r at any moment.
 */
import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisConn } from './connect.js';

export class Script {
  readonly sha: string;
  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisConn, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(this.sha, options);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, options);
    }
  }
}

const num = (expr: string) => `tonumber(${expr} or '0')`;

/**
 * KEYS acct, meta; ARGV fenceToken (-1: none), keyTtlMs → {balance, reflected, commits, refused}.
 * Without a token: a plain read. With one (`fenced`), the read is an access under the lock like
 * a write: a token older than the newest this account has seen is refused (refused = 1, counted
 * in xr), and a newer one becomes the newest (f). Fencing only writes is not enough: a new holder
 * that has only *read* so far would leave f at the stale holder's token, the stale write would be
 * accepted, and the new holder's write (computed from its read) would then erase it.
 */
export const READ = new Script(
  'read',
  `local token = tonumber(ARGV[1])
local refused = 0
if token >= 0 then
  if token < ${num("redis.call('HGET', KEYS[2], 'f')")} then
    refused = 1
    redis.call('HINCRBY', KEYS[2], 'xr', 1)
  else
    redis.call('HSET', KEYS[2], 'f', token)
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return {${num("redis.call('GET', KEYS[1])")}, ${num("redis.call('HGET', KEYS[2], 'r')")}, ${num("redis.call('HGET', KEYS[2], 'c')")}, refused}`,
);

// Exactly-once: a transaction's job id (store.job) names each update it applies, per account
// (field JOB@ACCOUNT of the run's `applied` hash: how many times it was applied; `appliedCents`:
// the cents it moved). The check and the record run in the same script as the update, so a job
// delivered twice (a queue re-claim) is applied at most once when `dedupe` is on. Job '' (none
// given): nothing is checked or recorded. Every key written gets the run's TTL in the same step.
const APPLIED = `
local function applied(set, field, job, dedupe)
  return job ~= '' and dedupe == '1' and redis.call('HEXISTS', set, field) == 1
end
local function record(set, cents, field, job, delta, ttl)
  if job == '' then return end
  redis.call('HINCRBY', set, field, 1)
  redis.call('HINCRBY', cents, field, delta)
  redis.call('PEXPIRE', set, ttl)
  redis.call('PEXPIRE', cents, ttl)
end
local function bump(hash, field, ttl)
  redis.call('HINCRBY', hash, field, 1)
  redis.call('PEXPIRE', hash, ttl)
end`;

// Records one committed update of `value` over a read that saw (seenValue, seenR): the new
// balance reflects seenR + 1 updates; whatever else was reflected is now lost.
const COMMIT = `
local function commit(acct, meta, value, seenValue, seenR, ttl, agent)
  redis.call('SET', acct, value, 'PX', ttl)
  redis.call('HSET', meta, 'r', seenR + 1, 'a', agent)
  redis.call('HINCRBY', meta, 'c', 1)
  redis.call('HINCRBY', meta, 'e', value - seenValue)
  redis.call('PEXPIRE', meta, ttl)
end`;

/**
 * KEYS acct, meta, applied, appliedCents, stats; ARGV value, seenValue, seenR, seenC (-1: unknown),
 * ttlMs, agent, fenceToken (-1: none), job ('' none), dedupe (1/0), account index.
 * The SET of a read-modify-write: it writes whatever the balance is now (the race stays real),
 * and records whether it was stale (a commit happened since the read).
 * → {status (0 ok, 1 stale, -1 rejected by fencing, 2 job already applied: nothing written),
 *    balance overwritten, its writer, updates erased}
 */
export const WRITE = new Script(
  'write',
  `${APPLIED}
${COMMIT}
local ttl = ARGV[5]
local token = tonumber(ARGV[7])
if token >= 0 then
  local last = ${num("redis.call('HGET', KEYS[2], 'f')")}
  if token < last then
    bump(KEYS[2], 'x', ttl)
    return {-1, 0, -1, 0}
  end
  redis.call('HSET', KEYS[2], 'f', token)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
local old = ${num("redis.call('GET', KEYS[1])")}
local field = ARGV[8] .. '@' .. ARGV[10]
if applied(KEYS[3], field, ARGV[8], ARGV[9]) then
  bump(KEYS[5], 'dups', ttl)
  return {2, old, -1, 0}
end
local writer = tonumber(redis.call('HGET', KEYS[2], 'a') or '-1')
local r = ${num("redis.call('HGET', KEYS[2], 'r')")}
local c = ${num("redis.call('HGET', KEYS[2], 'c')")}
local seenR = tonumber(ARGV[3])
local stale = 0
-- seenC -1: the store did not remember the read; fall back to comparing reflected updates.
if (ARGV[4] == '-1' and r ~= seenR) or (ARGV[4] ~= '-1' and c ~= tonumber(ARGV[4])) then
  stale = 1
  redis.call('HINCRBY', KEYS[2], 's', 1)
end
commit(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), seenR, ttl, ARGV[6])
record(KEYS[3], KEYS[4], field, ARGV[8], tonumber(ARGV[1]) - tonumber(ARGV[2]), ttl)
return {stale, old, writer, r - seenR}`,
);

/**
 * KEYS acct, meta, applied, appliedCents, stats; ARGV value, seenValue, seenR, seenC, ttlMs,
 * agent, job, dedupe, account index → 1 written (or the job was already applied), 0 changed since the read.
 */
export const CAS = new Script(
  'cas',
  `${APPLIED}
${COMMIT}
local field = ARGV[7] .. '@' .. ARGV[9]
if applied(KEYS[3], field, ARGV[7], ARGV[8]) then
  bump(KEYS[5], 'dups', ARGV[5])
  return 1
end
if ${num("redis.call('HGET', KEYS[2], 'c')")} ~= tonumber(ARGV[4]) then return 0 end
commit(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[5], ARGV[6])
record(KEYS[3], KEYS[4], field, ARGV[7], tonumber(ARGV[1]) - tonumber(ARGV[2]), ARGV[5])
return 1`,
);

/**
 * KEYS acct, meta, stats, applied, appliedCents; ARGV delta, floor ('' = none), ttlMs, agent,
 * job, dedupe, account index.
 * Check-and-write in one step: adds delta (INCRBY) unless the balance would go below floor.
 * → {1, new balance, 0} added, {0, balance, 0} refused, {1, balance, 1} the job was already
 *   applied (nothing added).
 */
export const ADD = new Script(
  'add',
  `${APPLIED}
local ttl = ARGV[3]
local field = ARGV[5] .. '@' .. ARGV[7]
local v = ${num("redis.call('GET', KEYS[1])")}
if applied(KEYS[4], field, ARGV[5], ARGV[6]) then
  bump(KEYS[3], 'dups', ttl)
  return {1, v, 1}
end
local d = tonumber(ARGV[1])
if ARGV[2] ~= '' and v + d < tonumber(ARGV[2]) then
  bump(KEYS[3], 'denied', ttl)
  return {0, v, 0}
end
local nv = redis.call('INCRBY', KEYS[1], d)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HINCRBY', KEYS[2], 'r', 1)
redis.call('HINCRBY', KEYS[2], 'c', 1)
redis.call('HINCRBY', KEYS[2], 'e', d)
redis.call('HSET', KEYS[2], 'a', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ttl)
record(KEYS[4], KEYS[5], field, ARGV[5], d, ttl)
return {1, nv, 0}`,
);

/**
 * KEYS lock, fence, lockWaits, control; ARGV token, lockTtlMs, keyTtlMs, fenced (1/0), agent,
 * waitFor (the lock's index when the caller will wait for it, '' for a try), registered (1: the
 * caller is already recorded as waiting).
 * SET NX PX; with fencing, the fencing token is taken in the same atomic step as the lock. A
 * caller that will wait is recorded in lockWaits in the same step that found the lock held, and
 * removed in the step that takes it, so the wait-for graph never shows a wait that is over.
 * → {1, fencing token or 0} when taken, {0, ms the lock still lives} when held by another,
 *   {-1, 0} when the run is stopping or abandoning (the caller gives up; its record is removed).
 */
export const LOCK = new Script(
  'lock',
  `local c = redis.call('HGET', KEYS[4], 'c')
if c == '2' or c == '3' then
  redis.call('HDEL', KEYS[3], ARGV[5])
  return {-1, 0}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if ARGV[7] == '1' then redis.call('HDEL', KEYS[3], ARGV[5]) end
  if ARGV[4] == '1' then
    local t = redis.call('INCR', KEYS[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    return {1, t}
  end
  return {1, 0}
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
return {0, redis.call('PTTL', KEYS[1])}`,
);

// Compare-and-delete: only the holder's token releases the lock (an expired holder must not
// release the next holder's lock). Wakes one lock waiter through the one-element wake list.
const RELEASE = `
local function release(lock, wake, token, ttl)
  if redis.call('GET', lock) ~= token then return 0 end
  redis.call('DEL', lock)
  redis.call('RPUSH', wake, 1)
  redis.call('LTRIM', wake, 0, 0)
  redis.call('PEXPIRE', wake, ttl)
  return 1
end`;

/** KEYS lock, wake, stats; ARGV token, keyTtlMs → 1 released, 0 the lock had expired (counted as lockLost). */
export const UNLOCK = new Script(
  'unlock',
  `${RELEASE}
local ok = release(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
if ok == 0 then
  redis.call('HINCRBY', KEYS[3], 'lockLost', 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return ok`,
);

/**
 * KEYS waiters, lock, lockWake, myWake, stats, acct, control; ARGV token, keyTtlMs, amount.
 * The first half of a condition wait, atomically: register as a waiter, then release the lock,
 * so a notify between the release and our BLPOP cannot be lost (it lands in our wake list).
 * Returns -1 without waiting when the funds are already there (a deposit landed between the
 * caller's check and this script: its notify found no waiter), -2 when the run is stopping.
 */
export const WAIT = new Script(
  'wait',
  `${RELEASE}
local c = redis.call('HGET', KEYS[7], 'c')
if c == '2' or c == '3' then return -2 end
if ${num("redis.call('GET', KEYS[6])")} >= tonumber(ARGV[3]) then return -1 end
redis.call('SADD', KEYS[1], KEYS[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[4])
-- token '': the agent did not hold the lock (a program without one), nothing to release.
if ARGV[1] == '' then return 0 end
local ok = release(KEYS[2], KEYS[3], ARGV[1], ARGV[2])
if ok == 0 then
  redis.call('HINCRBY', KEYS[5], 'lockLost', 1)
  redis.call('PEXPIRE', KEYS[5], ARGV[2])
end
return ok`,
);

/** KEYS waiters; ARGV keyTtlMs. Wakes every registered waiter (their wake lists are set members). */
export const NOTIFY_ALL = new Script(
  'notifyAll',
  `local ws = redis.call('SMEMBERS', KEYS[1])
for _, w in ipairs(ws) do
  redis.call('RPUSH', w, 1)
  redis.call('PEXPIRE', w, ARGV[1])
end
redis.call('DEL', KEYS[1])
return #ws`,
);

/** KEYS serving, stats; ARGV keyTtlMs → customers at a window now; tracks the maximum. */
export const ENTER = new Script(
  'enter',
  `local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if n > ${num("redis.call('HGET', KEYS[2], 'maxServing')")} then
  redis.call('HSET', KEYS[2], 'maxServing', n)
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return n`,
);

/** KEYS serving; ARGV keyTtlMs → customers at a window now, after one left. */
export const LEAVE = new Script(
  'leave',
  `local n = redis.call('DECR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`,
);

/**
 * KEYS fromAcct, fromMeta, toAcct, toMeta, applied, appliedCents, stats; ARGV amount, keyTtlMs,
 * agent, job, dedupe, from index, to index.
 * A transfer in one atomic step: refused (0) when `from` is short, else moved (1); both
 * accounts' bookkeeping counts one committed update each. A job already applied moves nothing
 * and gives 1 (it is done).
 */
export const MOVE = new Script(
  'move',
  `${APPLIED}
local amount = tonumber(ARGV[1])
local ttl = ARGV[2]
if applied(KEYS[5], ARGV[4] .. '@' .. ARGV[6], ARGV[4], ARGV[5]) then
  bump(KEYS[7], 'dups', ttl)
  return 1
end
if ${num("redis.call('GET', KEYS[1])")} < amount then return 0 end
for i, d in ipairs({-amount, amount}) do
  local acct, meta = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('INCRBY', acct, d)
  redis.call('PEXPIRE', acct, ttl)
  redis.call('HINCRBY', meta, 'r', 1)
  redis.call('HINCRBY', meta, 'c', 1)
  redis.call('HINCRBY', meta, 'e', d)
  redis.call('HSET', meta, 'a', ARGV[3])
  redis.call('PEXPIRE', meta, ttl)
  record(KEYS[5], KEYS[6], ARGV[4] .. '@' .. ARGV[5 + i], ARGV[4], d, ttl)
end
return 1`,
);
