/**
 * `run --trace FILE`: the file is opened before the run starts (so a bad path is a usage error,
 * not a crash after the run), written through the path as given (a symlink, a FIFO or a device
 * stays what it is: nothing is renamed over it), and fed every event while the run goes on.
 */
import { open as openCallback, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, resolve } from 'node:path';

const open = promisify(openCallback);

/** An open trace file: a plain descriptor (a FileHandle could be closed under us by the GC). */
export type TraceFd = number;
import type { RunHandle } from '../sim/engine/run.js';

/** Why the trace file cannot be used, in words; `path` as the user gave it. */
export class TracePathError extends Error {
  override name = 'TracePathError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`--trace ${path}: ${reason}`);
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied (the file or its directory is not writable)',
  EPERM: 'permission denied (the file or its directory is not writable)',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such directory',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the path is too long',
};

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return REASONS[code] ?? ((error as Error).message || code);
}

/** Checks and opens the trace file for writing (truncating it), before anything runs. */
export async function openTraceFile(path: string): Promise<TraceFd> {
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) throw new TracePathError(path, 'is a directory');
  if (!info) {
    const dir = dirname(resolve(path));
    const parent = await stat(dir).catch(() => null);
    if (!parent) throw new TracePathError(path, `directory ${dirname(path)} does not exist`);
    if (!parent.isDirectory()) throw new TracePathError(path, `${dirname(path)} is not a directory`);
  }
  try {
    // 'w' opens through symlinks and keeps FIFOs and devices what they are.
    return await open(path, 'w');
  } catch (error) {
    throw new TracePathError(path, reasonOf(error));
  }
}

/** What a run's trace needs from it: its events as they come, and its agents' names. */
export type TraceSource = Pick<RunHandle, 'names' | 'events'>;

/**
 * Streams a run's events to an open file as JSON lines: drains the event ring every few ms (the
 * ring is made large enough for that to keep up), counting any events it could not save.
 */
export class TraceWriter {
  private cursor = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly out: WriteStream;
  private error: Error | null = null;
  /** Events overwritten in the ring before they could be saved. */
  dropped = 0;
  written = 0;

  constructor(
    fd: TraceFd,
    private readonly path: string,
    private readonly source: TraceSource,
  ) {
    this.out = createWriteStream('', { fd, autoClose: true });
    this.out.on('error', (e) => (this.error ??= e));
  }

  start(everyMs = 10): void {
    this.timer = setInterval(() => this.drain(), everyMs);
  }

  private drain(): void {
    if (this.error) return;
    const fresh = this.source.events(this.cursor);
    if (!fresh.length) return;
    if (fresh[0]!.seq > this.cursor) this.dropped += fresh[0]!.seq - this.cursor;
    this.cursor = fresh[fresh.length - 1]!.seq + 1;
    this.written += fresh.length;
    this.out.write(fresh.map((e) => `${JSON.stringify({ ...e, agentName: this.source.names[e.agent] ?? null })}\n`).join(''));
  }

  /** Writes what is left and closes the file; throws TracePathError if a write failed. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    this.drain();
    // A failed write destroys the stream at once but reports the error a tick later, before
    // 'close': wait for 'close' whatever state the stream is in.
    if (!this.out.closed) {
      const closed = new Promise<void>((resolve) => this.out.once('close', () => resolve()));
      if (!this.out.destroyed) this.out.end();
      await closed;
    }
    if (this.error) throw new TracePathError(this.path, `could not write: ${reasonOf(this.error)}`);
  }
}
