import { describe, expect, it } from 'vitest';
import { RedisServerMissingError } from '../../src/sim/stores/redis/errors.js';
import { ping, startRedisServer } from '../../src/sim/stores/redis/server.js';

describe('private redis-server', () => {
  it('starts on a free loopback port, answers PING, and is gone after stop()', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await ping(server.port)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(await ping(server.port)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow(); // no such process
  });

  it('a missing redis-server is a typed error that says how to install it', async () => {
    const started = startRedisServer({ bin: 'redis-server-not-installed-here' });
    await expect(started).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(started).rejects.toThrow(/apt-get install redis-server.*brew install redis.*redis\.io/);
    await expect(started).rejects.toMatchObject({ exitCode: 2 });
  });
});
