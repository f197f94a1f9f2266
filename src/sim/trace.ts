import { EVENT_SIZE, G, indexOf, type Shared } from './layout.js';

/** Event actions, as stored in the ring. */
export const ACTIONS = ['read', 'write', 'lock', 'unlock', 'wait', 'notify', 'woke', 'lost', 'enter', 'leave', 'retry', 'crash', 'gave up'] as const;
export type Action = (typeof ACTIONS)[number];
export const ACT = indexOf(ACTIONS);

export interface TraceEvent {
  seq: number;
  timeUs: number;
  agent: number;
  action: Action;
  value: number;
  aux: number;
  aux2: number;
}

/**
 * Reads, in order, the events with seq >= `from` that are still in the ring (older ones were
 * overwritten), stopping at the first record still being written, so a reader that resumes
 * from the last seq it got + 1 never skips one.
 */
export function readEvents(shared: Shared, from: number, max = Infinity): TraceEvent[] {
  const next = shared.g(G.EVENT_NEXT);
  const capacity = shared.layout.traceCapacity;
  let start = Math.max(from, next - capacity, 0);
  if (next - start > max) start = next - max;
  const out: TraceEvent[] = [];
  const c = shared.cells;
  for (let seq = start; seq < next; seq++) {
    const base = shared.eventBase + (seq % capacity) * EVENT_SIZE;
    if (Atomics.load(c, base) !== seq) break; // not published yet (or already overwritten)
    const event: TraceEvent = {
      seq,
      timeUs: c[base + 1]!,
      agent: c[base + 2]!,
      action: ACTIONS[c[base + 3]!] ?? 'read',
      value: c[base + 4]!,
      aux: c[base + 5]!,
      aux2: c[base + 6]!,
    };
    if (Atomics.load(c, base) !== seq) break; // overwritten while we read it
    out.push(event);
  }
  return out;
}

/**
 * Explains a lost update in words. The writer emits 'lost' with value = the balance it read,
 * aux = the balance it overwrote, aux2 = the agent that wrote that balance (-1 if unknown); its
 * 'write' event just before has the balance it wrote.
 */
export function explainLost(lost: TraceEvent, wrote: number, names: readonly string[]): string {
  const who = names[lost.agent] ?? `agent ${lost.agent + 1}`;
  const other = names[lost.aux2] ?? 'another agent';
  return (
    `${who} read ${money(lost.value)}, then wrote ${money(wrote)} over ${money(lost.aux)}: ` +
    `${other}'s update of ${money(Math.abs(lost.aux - lost.value))} is lost`
  );
}

export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
