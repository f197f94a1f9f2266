/**
 * Which moves commute, for partial-order reduction: a move touches shared objects (an
 * account, a lock, the semaphore, the funds condition, the tellers' counter), each as a read
 * or a write. Two moves of different agents are dependent when they touch one object and at
 * least one of them writes it; otherwise they commute (steps on different accounts or locks,
 * two reads of one balance). Enabling counts as touching: a polling withdrawer's next move
 * reads account 0 (a commit there is what wakes it), re-taking lock 0 after a wait touches the
 * condition and lock 0.
 */
import { MODE, type Machine } from './machine.js';

const LOCK = 32;
const SEMAPHORE = 64;
const CONDITION = 65;
const SERVING = 66;

const read = (object: number): number => object * 2;
const write = (object: number): number => object * 2 + 1;

/** The objects agent a's next move touches, each as object*2 + (1 if it writes). */
export function accesses(m: Machine, a: number): number[] {
  const move = m.move(a);
  if (!move) return [];
  const out: number[] = [];
  if (m.mode(a) === MODE.POLLING) out.push(read(0));
  if (move.kind === 'relock') return [write(LOCK + m.lockObject(0)), write(CONDITION)];
  const step = move.step;
  switch (step.op) {
    case 'read':
      out.push(read(step.account));
      break;
    case 'write':
    case 'cas':
    case 'add':
      out.push(write(step.account));
      break;
    case 'lock':
    case 'tryLock':
    case 'unlock':
      out.push(write(LOCK + m.lockObject(step.lock)));
      break;
    case 'acquire':
    case 'release':
      out.push(write(SEMAPHORE));
      break;
    case 'wait':
      out.push(write(LOCK + m.lockObject(0)), write(CONDITION));
      break;
    case 'notifyAll':
      out.push(write(CONDITION));
      break;
    case 'enter':
    case 'leave':
      out.push(write(SERVING));
      break;
    default:
      out.push(write(99)); // anything else: dependent on everything that also falls here
  }
  return out;
}

/** True when two access lists conflict (same object, at least one write). */
export function conflict(x: readonly number[], y: readonly number[]): boolean {
  for (const p of x) for (const q of y) if (p >> 1 === q >> 1 && (p & 1 || q & 1)) return true;
  return false;
}
