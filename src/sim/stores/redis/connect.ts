/**
 * Connecting to Redis: validates --redis-url, connects with a short timeout and no reconnect
 * (a run that loses its server must end with a clear error, not retry forever), and turns the
 * client's errors into the typed ones of errors.ts.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { RedisConnectionLostError, RedisUnreachableError } from './errors.js';

// Generous: on a loaded machine (2 cores, many processes) a loopback connect and its handshake
// have taken over 2 s; a refused connection still fails at once.
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

import { displayUrl, parseRedisUrl } from './url.js';

export { displayUrl, parseRedisUrl };

/** A fresh run id: the key prefix of one run, so runs on a shared server never collide. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is redis-server running there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  const message = error instanceof Error ? error.message : String(error);
  return message || String(code ?? 'unknown error');
}

/** True for the client errors that mean "the connection is gone". */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (['SocketClosedUnexpectedlyError', 'ClientClosedError', 'ClientOfflineError', 'ReconnectStrategyError', 'ConnectionTimeoutError'].includes(error.constructor.name))
    return true;
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED';
}

/** Wraps a "connection gone" client error into RedisConnectionLostError; other errors pass through. */
export function translateLost(error: unknown, url: string): unknown {
  if (!isConnectionError(error)) return error;
  return new RedisConnectionLostError(`lost the connection to Redis at ${displayUrl(url)}: ${describe(error)}`, { cause: error });
}

function makeClient(url: string, connectTimeout: number, name: string | undefined) {
  return createClient({
    url,
    ...(name ? { name } : {}),
    // Fail fast instead of queueing commands while offline or reconnecting forever.
    disableOfflineQueue: true,
    // Off: it looks the URL's host up in DNS as written, and '[::1]' (an IPv6 literal) is no host name.
    maintNotifications: 'disabled',
    socket: { connectTimeout, reconnectStrategy: false },
  });
}

/** One node-redis connection (RESP3, no modules used). */
export type RedisConn = ReturnType<typeof makeClient>;

export interface ConnectOptions {
  /** Connect timeout (default 5000 ms): an unreachable URL fails within about this long. */
  connectTimeoutMs?: number;
  /** CLIENT SETNAME, to tell agents apart in CLIENT LIST. */
  name?: string;
}

/**
 * Opens one connection. Throws RedisUrlError for a bad URL and RedisUnreachableError when the
 * server cannot be reached in time. The connection never reconnects: once lost, every command
 * fails (see translateLost) and the run ends.
 */
export async function connectRedis(rawUrl: string, options: ConnectOptions = {}): Promise<RedisConn> {
  parseRedisUrl(rawUrl);
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = makeClient(rawUrl, timeout, options.name);
  // node-redis emits 'error' for socket trouble; without a listener that would crash the process.
  // The failing command rejects with the same error, which is where we report it.
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    // Belt and braces: connectTimeout covers the TCP connect, this also covers a server that
    // accepts but never answers the handshake.
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout + 500);
      }),
    ]);
  } catch (error) {
    client.destroy();
    throw new RedisUnreachableError(`cannot reach Redis at ${displayUrl(rawUrl)}: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** Closes a connection, whatever state it is in. */
export function disconnect(client: RedisConn): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}
