/**
 * Security (issue 16): a password is never printed and never in argv; BANK_SIM_REDIS_URL stands
 * in for --redis-url; the embedded server has a random password (server.test.ts); permissions are
 * checked before a run; IPv6 literals work.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/sim/stores/redis/connect.js';
import { RedisPermissionError } from '../../src/sim/stores/redis/errors.js';
import { checkPermissions } from '../../src/sim/stores/redis/permissions.js';
import { displayUrl } from '../../src/sim/stores/redis/redact.js';
import { freePort, startRedisServer } from '../../src/sim/stores/redis/server.js';
import { useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const AGENT_PROCESS = new URL('../../dist/sim/stores/redis/agent-process.js', import.meta.url).pathname;

function node(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { timeout: 60_000, env: { ...process.env, BANK_SIM_REDIS_URL: '', ...env } }, (_, stdout, stderr) =>
      resolve({ code: child.exitCode ?? 1, out: stdout + stderr }),
    );
  });
}

/** A URL for `user` with password `pw` on the test server. */
function urlAs(user: string, pw: string): string {
  return `redis://${user}:${pw}@127.0.0.1:${server().port}`;
}

describe('passwords', () => {
  it.each([
    ['a URL the command line refuses', 'redis://:s3cret@host/abc'],
    ['a server that is not there', 'redis://:s3cret@127.0.0.1:1'],
  ])('%s: the message shows the URL without its password', async (_, url) => {
    const { code, out } = await node([CLI, 'run', '--redis-url', url, '--agents', '1', '--ops', '1']);
    expect(code).not.toBe(0);
    expect(out).toContain(':***@');
    expect(out).not.toContain('s3cret');
  });

  it('displayUrl redacts even what is no URL', () => {
    expect(displayUrl('redis//:pw@h')).toBe('redis//:***@h');
    expect(displayUrl('u:pw@h')).toBe('u:***@h');
    expect(displayUrl('redis://u:p%40ss@h:1/2')).toBe('redis://u:***@h:1/2');
  });

  it('an agent process takes the URL from BANK_SIM_REDIS_URL, not argv', async () => {
    // No such run: the agent connects (with the password from the environment), finds no config, exits 3.
    const ok = await node([AGENT_PROCESS, 'nosuchrun', '0', '60000'], { BANK_SIM_REDIS_URL: server().url });
    expect(ok.code).toBe(3);
    const missing = await node([AGENT_PROCESS, 'nosuchrun', '0', '60000']);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('usage: BANK_SIM_REDIS_URL=URL agent-process RUNID AGENT KEY_TTL_MS');
  });

  it('every command takes BANK_SIM_REDIS_URL when --redis-url is absent', async () => {
    const { code, out } = await node([CLI, 'run', '--store', 'redis', '--sync', 'lua', '--agents', '2', '--ops', '2', '--json'], { BANK_SIM_REDIS_URL: server().url });
    expect(code).toBe(0);
    expect(out).not.toContain(server().password);
    expect(JSON.parse(out)).toMatchObject({ ok: true, redis: { url: displayUrl(server().url) } });
  });
});

describe('permissions, checked before a run', () => {
  it('an ACL user without EVALSHA is refused, naming it (exit 2); one with everything passes', async () => {
    const admin = await connectRedis(server().url);
    try {
      await admin.sendCommand(['ACL', 'SETUSER', 'nosha', 'on', '>pw', '~*', '&*', '+@all', '-evalsha']);
      await admin.sendCommand(['ACL', 'SETUSER', 'noset', 'on', '>pw', '~*', '&*', '+@all', '-set']);
      await admin.sendCommand(['ACL', 'SETUSER', 'all', 'on', '>pw', '~*', '&*', '+@all']);
      const refused = checkPermissions(urlAs('nosha', 'pw'), 'lua');
      await expect(refused).rejects.toBeInstanceOf(RedisPermissionError);
      await expect(refused).rejects.toMatchObject({ exitCode: 2, missing: ['EVALSHA'] });
      await expect(refused).rejects.toThrow(/the Redis user nosha may not run EVALSHA, which --sync lua needs/);
      // A command refused inside the scripts is found too (a script may run while a command in it may not).
      await expect(checkPermissions(urlAs('noset', 'pw'), 'lock')).rejects.toMatchObject({ missing: ['SET', 'SET (in its Lua scripts)'] });
      await expect(checkPermissions(urlAs('all', 'pw'), 'watch', { queue: true })).resolves.toBeUndefined();
      await expect(checkPermissions(server().url, 'incrby')).resolves.toBeUndefined();
      // It leaves nothing behind.
      expect(await admin.keys('bank-sim:{check-*')).toEqual([]);
    } finally {
      await admin.sendCommand(['ACL', 'DELUSER', 'nosha', 'noset', 'all']).catch(() => 0);
      admin.destroy();
    }
  });
});

describe('IPv6', () => {
  it('redis://[::1]:PORT reaches a server bound to ::1', async (ctx) => {
    const supported = await freePort('::1').then(
      () => true,
      () => false,
    );
    if (!supported) ctx.skip('this machine has no IPv6 loopback (::1)');
    const six = await startRedisServer({ host: '::1' });
    try {
      expect(six.url).toMatch(/^redis:\/\/:[0-9a-f]+@\[::1\]:\d+$/);
      const client = await connectRedis(six.url);
      expect(await client.ping()).toBe('PONG');
      client.destroy();
    } finally {
      await six.stop();
    }
  });
});
