/**
 * The Redis options of the command line, parsed in-process (no Redis needed): --key-ttl.
 */
import { describe, expect, it } from 'vitest';
import { parse, UsageError } from '../../src/cli/args.js';
import { DEFAULT_KEY_TTL_MS } from '../../src/sim/stores/redis/keys.js';

describe('--key-ttl', () => {
  it('defaults to 15 minutes and takes s, m or h', () => {
    expect(parse(['run', '--store', 'redis']).redis?.keyTtlMs).toBe(DEFAULT_KEY_TTL_MS);
    expect(DEFAULT_KEY_TTL_MS).toBe(15 * 60_000);
    expect(parse(['run', '--store', 'redis', '--key-ttl', '2s']).redis?.keyTtlMs).toBe(2000);
    expect(parse(['run', '--store', 'redis', '--key-ttl', '1.5m']).redis?.keyTtlMs).toBe(90_000);
    expect(parse(['run', '--store', 'redis', '--key-ttl', '1h']).redis?.keyTtlMs).toBe(3_600_000);
  });

  it.each([
    ['500ms', /--key-ttl must be from 1s to 24h \(got '500ms'\)/],
    ['25h', /--key-ttl must be from 1s to 24h/],
    ['15', /--key-ttl must be a duration such as 30s, 15m or 1h \(got '15'\)/],
  ])('%s is refused, naming what is allowed', (raw, message) => {
    expect(() => parse(['run', '--store', 'redis', '--key-ttl', raw])).toThrow(UsageError);
    expect(() => parse(['run', '--store', 'redis', '--key-ttl', raw])).toThrow(message);
  });

  it('applies to runs on Redis only', () => {
    expect(() => parse(['run', '--key-ttl', '10s'])).toThrow(/--key-ttl applies to runs on Redis: add --store redis/);
  });
});
