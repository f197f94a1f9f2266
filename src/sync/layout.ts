import { InvalidArgumentError, InvalidHandleError } from './errors.js';
import { describe } from './validate.js';

/**
 * Shared-memory layout common to every primitive.
 *
 * A primitive owns `cells` consecutive Int32 cells of a SharedArrayBuffer starting at
 * `byteOffset`. Cell 0 always holds a magic number naming the kind, written by the
 * constructor: `from(handle)` checks it, so a handle that points at the wrong place (or at
 * a primitive of another kind) is refused instead of silently corrupting memory.
 */
export const MAGIC = {
  Mutex: 0x4d555458, // 'MUTX'
  RLock: 0x524c434b, // 'RLCK'
  Semaphore: 0x53454d41, // 'SEMA'
  Condition: 0x434f4e44, // 'COND'
} as const;

export type Kind = keyof typeof MAGIC;

/** The structured-cloneable description of a primitive, to post to another thread. */
export interface Handle<K extends Kind = Kind> {
  readonly kind: K;
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** Claims the cells of a new primitive (on a fresh buffer unless one is given) and tags it. */
export function allocate(kind: Kind, cells: number, buffer?: SharedArrayBuffer, byteOffset = 0): Int32Array {
  const bytes = cells * Int32Array.BYTES_PER_ELEMENT;
  if (buffer === undefined) buffer = new SharedArrayBuffer(byteOffset + bytes);
  const view = regionOf(kind, buffer, byteOffset, cells, InvalidArgumentError);
  view.fill(0);
  Atomics.store(view, 0, MAGIC[kind]);
  return view;
}

/** Re-attaches to the cells described by a handle received from another thread. */
export function attach<K extends Kind>(kind: K, handle: unknown, cells: number): Int32Array {
  if (typeof handle !== 'object' || handle === null) {
    throw new InvalidHandleError(`${kind}.from: expected a ${kind} handle object, got ${describe(handle)}`);
  }
  const h = handle as Partial<Handle>;
  if (h.kind !== kind) {
    throw new InvalidHandleError(`${kind}.from: handle is for a ${describe(h.kind)}, not a ${kind}`);
  }
  const view = regionOf(kind, h.buffer, h.byteOffset, cells, InvalidHandleError);
  if (Atomics.load(view, 0) !== MAGIC[kind]) {
    throw new InvalidHandleError(`${kind}.from: no ${kind} lives at byteOffset ${h.byteOffset} of this buffer (magic cell mismatch)`);
  }
  return view;
}

function regionOf(kind: Kind, buffer: unknown, byteOffset: unknown, cells: number, ErrorClass: typeof InvalidArgumentError | typeof InvalidHandleError): Int32Array {
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new ErrorClass(`${kind}: buffer must be a SharedArrayBuffer (got ${describe(buffer)})`);
  }
  const bytes = cells * Int32Array.BYTES_PER_ELEMENT;
  if (
    typeof byteOffset !== 'number' ||
    !Number.isInteger(byteOffset) ||
    byteOffset < 0 ||
    byteOffset % Int32Array.BYTES_PER_ELEMENT !== 0 ||
    byteOffset + bytes > buffer.byteLength
  ) {
    throw new ErrorClass(
      `${kind}: byteOffset must be a multiple of 4 from 0 to ${buffer.byteLength - bytes} ` +
        `so that ${bytes} bytes fit in the ${buffer.byteLength}-byte buffer (got ${describe(byteOffset)})`,
    );
  }
  return new Int32Array(buffer, byteOffset, cells);
}
