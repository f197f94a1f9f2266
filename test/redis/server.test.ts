import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RedisServerMissingError } from '../../src/sim/stores/redis/errors.js';
import { ping, startRedisServer } from '../../src/sim/stores/redis/server.js';

describe('private redis-server', () => {
  it('starts on a free loopback port with a random password, answers PING, and is gone after stop()', async () => {
    const server = await startRedisServer();
    try {
      expect(server.password).toMatch(/^[0-9a-f]{32}$/);
      expect(server.url).toBe(`redis://:${server.password}@127.0.0.1:${server.port}`);
      expect(await ping(server.port, '127.0.0.1', 2000, server.password)).toBe(true);
      expect(await ping(server.port, '127.0.0.1', 2000)).toBe(false); // NOAUTH
      // The password went in on stdin: it is not in the server's command line.
      const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8');
      expect(cmdline).not.toContain(server.password);
    } finally {
      await server.stop();
    }
    expect(await ping(server.port, '127.0.0.1', 500, server.password)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow(); // no such process
  });

  it('a missing redis-server is a typed error that says how to install it', async () => {
    const started = startRedisServer({ bin: 'redis-server-not-installed-here' });
    await expect(started).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(started).rejects.toThrow(/apt-get install redis-server.*brew install redis.*redis\.io/);
    await expect(started).rejects.toMatchObject({ exitCode: 2 });
  });
});
