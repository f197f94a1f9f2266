import { money } from '../model/money.js';
import { EVENT_SIZE, G, indexOf, type Shared } from '../stores/memory/layout.js';

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
  aux3: number;
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
      aux3: c[base + 7]!,
    };
    if (Atomics.load(c, base) !== seq) break; // overwritten while we read it
    out.push(event);
  }
  return out;
}

/**
 * Tells lost updates in words, from the events as they come (all at once for a report, a
 * frame's worth at a time for the dashboard). A stale write emits 'lost' with value = the
 * balance it read, aux = the balance it overwrote, aux2 = the agent whose write that was, aux3 =
 * how many committed updates it erased; the writers in between are read off the trace.
 */
export class StoryTeller {
  /** Per agent: the seq and account of its latest read. */
  private readonly lastRead = new Map<number, { seq: number; account: number }>();
  /** Per agent: the balance of its latest write. */
  private readonly lastWrite = new Map<number, number>();
  /** Recent writes per account (agent, seq), enough to name who was erased. */
  private readonly writes = new Map<number, { agent: number; seq: number }[]>();

  constructor(
    private readonly names: readonly string[],
    private readonly noun = 'updates',
  ) {}

  /** Feeds one event; returns the story when it is a lost update. */
  feed(e: TraceEvent): string | null {
    if (e.action === 'read') this.lastRead.set(e.agent, { seq: e.seq, account: e.aux });
    if (e.action === 'write') {
      this.lastWrite.set(e.agent, e.value);
      const list = this.writes.get(e.aux2) ?? [];
      list.push({ agent: e.agent, seq: e.seq });
      if (list.length > 256) list.shift();
      this.writes.set(e.aux2, list);
    }
    if (e.action !== 'lost') return null;
    const read = this.lastRead.get(e.agent);
    const between = read ? (this.writes.get(read.account) ?? []).filter((w) => w.seq > read.seq && w.agent !== e.agent).map((w) => this.name(w.agent)) : [];
    return explainLost(e, this.lastWrite.get(e.agent) ?? e.value, this.names, between, this.noun);
  }

  private name(agent: number): string {
    return this.names[agent] ?? `agent ${agent + 1}`;
  }
}

/** A lost update in words: "B read $4.00, then wrote $5.00 over $9.00: 4 deposits (A, C, D, E) lost". */
export function explainLost(lost: TraceEvent, wrote: number, names: readonly string[], writersBetween: string[] = [], noun = 'updates'): string {
  const who = names[lost.agent] ?? `agent ${lost.agent + 1}`;
  // The count is exact (the store's versions); the names come from the trace: the latest
  // writers since the read, as many as were erased (an earlier one may already have been
  // erased by another stale write).
  const count = lost.aux3 > 0 ? lost.aux3 : Math.max(1, unique(writersBetween).length);
  const latest = tally(writersBetween.slice(-count));
  const whose = latest.length > 0 ? latest : lost.aux2 >= 0 && names[lost.aux2] ? [names[lost.aux2]!] : [];
  const head = `${who} read ${money(lost.value)}, then wrote ${money(wrote)} over ${money(lost.aux)}: `;
  const singular = noun.replace(/s$/, '');
  if (count === 1) return head + (whose.length ? `${whose[whose.length - 1]}'s ${singular} is lost` : `1 ${singular} lost`);
  return head + `${count} ${noun}${whose.length ? ` (${whose.join(', ')})` : ''} lost`;
}

/** Names in order of first appearance, with a count where one appears more than once: "J ×6". */
function tally(list: string[]): string[] {
  return unique(list).map((name) => {
    const n = list.filter((x) => x === name).length;
    return n > 1 ? `${name} ×${n}` : name;
  });
}

function unique(list: string[]): string[] {
  return list.filter((x, i) => list.indexOf(x) === i);
}

export { money };
