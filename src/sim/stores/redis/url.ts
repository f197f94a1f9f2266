/**
 * --redis-url checks, apart from the client: the command line validates a URL before anything
 * runs, and should not load node-redis to do it (every command would pay for its start-up).
 */
import { RedisUrlError } from './errors.js';

export { displayUrl } from './redact.js';

/** Checks a --redis-url; returns it parsed, or throws RedisUrlError naming what is wrong. */
export function parseRedisUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RedisUrlError(raw, 'not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisUrlError(raw, `scheme '${url.protocol.replace(/:$/, '')}' is not allowed`);
  }
  if (!url.hostname) throw new RedisUrlError(raw, 'no host');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new RedisUrlError(raw, `database '${db}' is not a number`);
  return url;
}
