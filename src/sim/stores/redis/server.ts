/**
 * A private redis-server for one run or one test file: started from PATH on a free loopback
 * port with no persistence, ready once it answers PING, stopped by `stop()` and, as a last
 * resort, when this process exits.
 *
 * It has a random password (requirepass), which its URL carries. The configuration goes in on
 * stdin (`redis-server -`), never in argv, so the password does not show in `ps`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { RedisServerMissingError, RedisServerStartError } from './errors.js';

export interface RedisServerOptions {
  /** The executable (default `redis-server`, looked up on PATH). */
  bin?: string;
  /** How long to wait for the first PONG (default 5000 ms). */
  readyTimeoutMs?: number;
  /** The loopback address to bind (default 127.0.0.1; '::1' for IPv6). */
  host?: string;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** The random password the server requires (also in `url`). */
  readonly password: string;
  /** redis://:PASSWORD@127.0.0.1:PORT (IPv6: redis://:PASSWORD@[::1]:PORT) */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). Idempotent. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would. For fault tests. */
  kill(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Asks the kernel for a free loopback port. */
export function freePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One PING over a raw socket (after AUTH when a password is given); resolves true on +PONG.
 * Raw, so no client reconnect logic is involved.
 */
export function ping(port: number, host = HOST, timeoutMs = 500, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    let seen = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    // Inline commands: the password is hex, so it needs no quoting.
    socket.on('connect', () => socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
    socket.on('data', (data) => {
      seen += data.toString();
      if (seen.includes('+PONG')) done(true);
      else if (seen.includes('-')) done(false);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startOnce(bin: string, readyTimeoutMs: number, host: string): Promise<RedisServer> {
  const port = await freePort(host);
  const password = randomBytes(16).toString('hex');
  const config = [`port ${port}`, `bind ${host}`, 'save ""', 'appendonly no', 'daemonize no', 'loglevel warning', `requirepass ${password}`];
  // `-`: the configuration comes from stdin (argv would show the password in ps).
  // cwd: tmp, so a redis-server that writes anything (it should not) does not litter the project.
  const child = spawn(bin, ['-'], { cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => {}); // a server that died at once: its exit is reported below
  child.stdin?.end(`${config.join('\n')}\n`);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  // Last resort: a server we started never outlives us (process.exit, an uncaught error).
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  const stopWith = async (signal: NodeJS.Signals) => {
    process.removeListener('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited(child);
    clearTimeout(timer);
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const failed = await Promise.race([spawnError, exited(child).then(() => null), sleep(20).then(() => undefined)]);
    if (failed instanceof Error) {
      process.removeListener('exit', onExit);
      if ((failed as NodeJS.ErrnoException).code === 'ENOENT') throw new RedisServerMissingError(bin);
      throw new RedisServerStartError(`could not start ${bin}: ${failed.message}`, { cause: failed });
    }
    if (failed === null) {
      process.removeListener('exit', onExit);
      throw new RedisServerStartError(`${bin} exited at start (port ${port}): ${output.trim().split('\n').slice(-3).join(' / ')}`);
    }
    if (await ping(port, host, 500, password)) break;
    if (Date.now() > deadline) {
      await stopWith('SIGKILL');
      throw new RedisServerStartError(`${bin} on port ${port} did not answer PING within ${readyTimeoutMs} ms`);
    }
  }
  return {
    host,
    port,
    pid: child.pid ?? -1,
    password,
    url: `redis://:${password}@${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

/** Starts a private redis-server. Retries on a new port if another process took ours meanwhile. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = options.bin ?? 'redis-server';
  const readyTimeoutMs = options.readyTimeoutMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(bin, readyTimeoutMs, options.host ?? HOST);
    } catch (error) {
      // The free port can be taken between our probe and redis-server's bind: try another.
      const busy = error instanceof RedisServerStartError && /in use|bind/i.test(error.message);
      if (!busy || attempt >= 3) throw error;
    }
  }
}
