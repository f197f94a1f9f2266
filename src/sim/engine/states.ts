/**
 * An agent's states, on every store: stored as their index (a shared-memory cell, a Redis
 * hash field) and shown by name. The interpreter sets them; the watchdog and the UI read them.
 */
export const STATES = ['idle', 'reading', 'in window', 'writing', 'waiting for lock', 'waiting for funds', 'holding lock', 'done', 'dead', 'serving', 'waiting for step'] as const;
export type AgentState = (typeof STATES)[number];
export const S = indexOf(STATES);

/** Name -> index for a list of names stored as their index. */
export function indexOf<T extends string>(names: readonly T[]): Record<T, number> {
  return Object.fromEntries(names.map((name, i) => [name, i])) as Record<T, number>;
}

/** The state stored as `index` (an unknown index reads as idle). */
export function stateAt(index: number): AgentState {
  return STATES[index] ?? 'idle';
}
