/**
 * Mazurkiewicz equivalence classes (traces), counted with sleep sets: moves are tried in agent
 * order, and after trying agent a's move, a sleeps in its later siblings' subtrees until a
 * dependent move happens (deps.ts). Every trace is then reached by exactly one schedule, its
 * lexicographic normal form, so counting the complete schedules that never take a sleeping
 * move counts the traces. Counts are memoized per (state, sleep set).
 */
import { accesses, conflict } from './deps.js';
import type { Budget } from './limits.js';
import type { Machine } from './machine.js';

export function countClasses(m: Machine, bound: number | null, budget: Budget): number {
  if (m.agents > 30) throw new RangeError('counting classes supports at most 30 agents');
  const memo = new Map<string, number>();
  const walk = (sleep: number, last: number, left: number): number => {
    const enabled = m.enabledAgents();
    if (enabled.length === 0) return 1;
    const lastOn = last >= 0 && enabled.includes(last) ? last : -1;
    const key = bound === null ? `${m.key()}/${sleep}` : `${m.key()}/${sleep}/${lastOn}/${left}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    budget.tick();
    const touch = new Map(enabled.map((a) => [a, accesses(m, a)]));
    let total = 0;
    let tried = 0;
    for (const a of enabled) {
      if (sleep & (1 << a)) continue;
      const cost = lastOn >= 0 && a !== lastOn ? 1 : 0;
      if (bound !== null && cost > left) continue;
      let childSleep = 0;
      for (const b of enabled) if ((sleep | tried) & (1 << b) && !conflict(touch.get(b)!, touch.get(a)!)) childSleep |= 1 << b;
      const saved = m.s;
      const node = m.nodes[a]!;
      m.s = saved.slice();
      m.take(a);
      try {
        total += walk(childSleep, a, left - cost);
      } finally {
        m.s = saved;
        m.nodes[a] = node;
      }
      tried |= 1 << a;
    }
    memo.set(key, total);
    return total;
  };
  return walk(0, -1, bound ?? 0);
}
