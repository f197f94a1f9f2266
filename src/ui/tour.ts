/**
 * The guided tour: the race without a lock stepped by hand (s 1 2 1 2), each step said in
 * words, then the same steps under a mutex. A script of stops, and a narrator that tells what
 * the last key made happen, from the pane's events and snapshot. Pure: the App drives it.
 */
import type { Strategy } from '../sim/model/config.js';
import { explainLost, money, type TraceEvent } from '../sim/engine/trace.js';
import type { PaneView } from './model.js';

export interface TourStop {
  /** The pane shown for this part of the tour (a new part restarts the run in step mode). */
  sync: Strategy;
  /** What to do now. */
  text: string;
  /** The key that moves on: an agent's digit, or Enter. */
  expect: number | 'enter';
}

export const TOUR: readonly TourStop[] = [
  {
    sync: 'none',
    text: 'Tour 1/2, no lock. Ten agents each deposit $1: read the balance, wait, write it plus $1. Step mode is on: each agent waits before every step. Press 1: agent A takes one step.',
    expect: 0,
  },
  { sync: 'none', text: 'Press 2: agent B takes a step.', expect: 1 },
  { sync: 'none', text: 'Press 1: A again.', expect: 0 },
  { sync: 'none', text: 'Press 2: B again.', expect: 1 },
  { sync: 'none', text: 'Two deposits made, one counted: a lost update. Press Enter: the same steps under a mutex.', expect: 'enter' },
  { sync: 'mutex', text: 'Tour 2/2, a mutex: each deposit takes the lock first. Press 1: A takes a step.', expect: 0 },
  { sync: 'mutex', text: 'Press 2: B takes a step.', expect: 1 },
  { sync: 'mutex', text: 'Press 1: A again.', expect: 0 },
  { sync: 'mutex', text: 'Press 2: B again.', expect: 1 },
  {
    sync: 'mutex',
    text: 'B cannot read before A unlocks, so nothing is lost. Press 1 until A unlocks and watch B go on. Enter ends the tour.',
    expect: 'enter',
  },
];

/** What the events since `since` (the last key) did, in words. */
export function narrate(view: PaneView, since: number, agent: number | null): string {
  const names = view.names;
  const who = (i: number): string => names[i] ?? `agent ${i + 1}`;
  const events = view.events.filter((e) => e.seq >= since);
  const said: string[] = [];
  events.forEach((e: TraceEvent, i) => {
    switch (e.action) {
      case 'read':
        said.push(`${who(e.agent)} read the balance: ${money(e.value)}.`);
        break;
      case 'write': {
        const lost = events.slice(i + 1).find((x) => x.action === 'lost' && x.agent === e.agent);
        said.push(lost ? `${explainLost(lost, e.value, names, [], 'deposits')}.` : `${who(e.agent)} wrote ${money(e.value)}.`);
        break;
      }
      case 'lock':
        said.push(`${who(e.agent)} took the lock.`);
        break;
      case 'unlock':
        said.push(`${who(e.agent)} let go of the lock.`);
        break;
    }
  });
  if (agent !== null && !events.some((e) => e.agent === agent && e.action !== 'wait')) {
    const a = view.snapshot.agents[agent];
    const holder = view.snapshot.lockHolders[0];
    if (a?.state === 'waiting for lock' && holder != null) said.push(`${who(agent)} wants the lock, but ${who(holder)} holds it: ${who(agent)} waits.`);
  }
  return said.join(' ');
}
