import { displayUrl } from './redact.js';

/**
 * Typed errors of the Redis layer. Each message is meant for the user as is (no stack trace
 * needed): it says what went wrong and what to do. `exitCode` is what the CLI should exit with.
 */
export class RedisLayerError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** redis-server is not on PATH (bank-sim starts a private one when no --redis-url is given). */
export class RedisServerMissingError extends RedisLayerError {
  constructor(bin: string) {
    super(
      `${bin} was not found on PATH. bank-sim starts a private Redis when no --redis-url is given. ` +
        'Install it: `apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS), ' +
        'or see https://redis.io/docs/latest/operate/oss_and_stack/install/ ; ' +
        'or point bank-sim at a running server with --redis-url redis://HOST:PORT',
    );
  }
}

/** redis-server was found but did not start or did not answer PING in time. */
export class RedisServerStartError extends RedisLayerError {}

/** --redis-url is not a redis:// or rediss:// URL. */
export class RedisUrlError extends RedisLayerError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`bad --redis-url '${displayUrl(url)}': ${reason}. Allowed: redis://[user:password@]host[:port][/db] or rediss://... (TLS)`);
  }
}

/** The server could not be reached (refused, unknown host, no answer within the connect timeout). */
export class RedisUnreachableError extends RedisLayerError {}

/** The connection was lost during a run (server killed, network down) or a step took too long. */
export class RedisConnectionLostError extends RedisLayerError {}

/** A blocking step (lock, permit, condition wait) gave up after its timeout. */
export class RedisWaitTimeoutError extends RedisLayerError {}

/**
 * The Redis user may not run a command or a script a strategy needs (an ACL without it): found
 * before the run starts, by checkPermissions.
 */
export class RedisPermissionError extends RedisLayerError {
  constructor(
    readonly missing: readonly string[],
    readonly strategy: string,
    user: string,
  ) {
    super(
      `the Redis user ${user} may not run ${missing.join(', ')}, which --sync ${strategy} needs. ` +
        `Grant it (ACL SETUSER ${user === '(default)' ? 'default' : user} +${missing[0]!.toLowerCase().split(' ')[0]}) or use another user.`,
    );
  }
}

/** Not enough agents joined the run in time (remote agents not started, or agent processes failed). */
export class RedisJoinTimeoutError extends RedisLayerError {}
