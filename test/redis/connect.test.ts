/**
 * Bad input and lost servers give typed errors within seconds: a wrong scheme, an unreachable
 * URL, a server killed in the middle of a run.
 */
import { describe, expect, it } from 'vitest';
import { connectRedis, displayUrl, parseRedisUrl } from '../../src/sim/stores/redis/connect.js';
import { RedisConnectionLostError, RedisUnreachableError, RedisUrlError } from '../../src/sim/stores/redis/errors.js';
import { freePort, startRedisServer } from '../../src/sim/stores/redis/server.js';
import { deposit } from '../helpers/redis-programs.js';
import { drive, openRun } from '../helpers/redis.js';

describe('--redis-url validation', () => {
  it.each([
    ['http://localhost:6379', /scheme 'http' is not allowed.*Allowed: redis:\/\/.*rediss:\/\//],
    ['localhost:6379', /scheme 'localhost' is not allowed/],
    ['not a url', /not a URL/],
    ['redis://', /no host/],
    ['redis://localhost:6379/zero', /database 'zero' is not a number/],
  ])('%s is refused', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it.each(['redis://localhost', 'redis://user:secret@10.0.0.1:6380/2', 'rediss://cache.example.com:6380'])('%s is accepted', (url) => {
    expect(parseRedisUrl(url).hostname).not.toBe('');
  });

  it('connecting with a bad scheme fails before any network access', async () => {
    await expect(connectRedis('http://127.0.0.1:1')).rejects.toBeInstanceOf(RedisUrlError);
  });
});

describe('unreachable Redis', () => {
  it('a port nobody listens on: typed error within seconds', async () => {
    const port = await freePort();
    const started = Date.now();
    const attempt = connectRedis(`redis://127.0.0.1:${port}`);
    await expect(attempt).rejects.toBeInstanceOf(RedisUnreachableError);
    await expect(attempt).rejects.toThrow(`cannot reach Redis at redis://127.0.0.1:${port}: connection refused`);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a host that never answers: gives up after the connect timeout, password not shown', async () => {
    const started = Date.now();
    // 10.255.255.1 is unrouted here: the SYN goes nowhere (or the network says unreachable at once).
    const attempt = connectRedis('redis://u:secret@10.255.255.1:6379', { connectTimeoutMs: 500 });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnreachableError);
    await expect(attempt).rejects.not.toThrow(/secret/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('a server killed mid-run', () => {
  it('ends the run with RedisConnectionLostError within seconds', async () => {
    const server = await startRedisServer();
    const fx = await openRun(server.url, 4, { balances: [0] });
    try {
      const running = Promise.all(fx.stores.map((s) => drive(s, () => deposit('lock', 100), 100_000, { windowMs: 1 })));
      running.catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
      const killedAt = Date.now();
      await server.kill();
      await expect(running).rejects.toBeInstanceOf(RedisConnectionLostError);
      await expect(running).rejects.toThrow(`lost the connection to Redis at ${displayUrl(server.url)}`);
      expect(Date.now() - killedAt).toBeLessThan(3000);
      // The coordinator's own connection says the same, instead of hanging.
      await expect(fx.run.snapshot()).rejects.toBeInstanceOf(RedisConnectionLostError);
    } finally {
      await fx.close();
      await server.stop();
    }
  });
});
