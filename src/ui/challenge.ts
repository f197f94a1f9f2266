/**
 * "You are the scheduler": the race without a lock, 2 agents x 1 deposit (explore's small
 * defaults), in step mode; the user steps the agents by hand and tries to reach a forbidden
 * outcome. The goal, the counts and the witness to compare with all come from the explorer,
 * run on the very configuration the pane runs. Pure text: the App shows it.
 */
import { exploreDefaults } from '../cli/explore-args.js';
import { preset, type SimConfig } from '../sim/model/config.js';
import { explore, type OutcomeResult } from '../sim/explore/enumerate.js';
import { scheduleOf } from '../sim/engine/replay.js';
import { money } from '../sim/engine/trace.js';
import type { PaneView } from './model.js';
import type { Colour } from './text.js';

export function challengeConfig(): SimConfig {
  const c: SimConfig = { ...preset('race'), sync: 'none' };
  exploreDefaults(c);
  return c;
}

export interface ChallengeFacts {
  names: string[];
  /** What the agents do, in words. */
  setting: string;
  interleavings: number;
  acceptable: OutcomeResult[];
  forbidden: OutcomeResult[];
  /** The forbidden outcome's schedule with the fewest preemptions. */
  witness: OutcomeResult;
}

const total = (o: OutcomeResult): number => o.model.balances.reduce((s, b) => s + b, 0);
const amounts = (list: OutcomeResult[]): string => [...new Set(list.map((o) => money(total(o))))].join(' or ');

export function challengeFacts(config: SimConfig): ChallengeFacts {
  const r = explore(config);
  const forbidden = r.outcomes.filter((o) => !o.model.verdict.ok);
  const deposits = r.inputs.map((txs) => txs.map((t) => money(t.amount)).join(' + '));
  const each = new Set(deposits).size === 1;
  const who = r.names.length === 2 ? r.names.join(' and ') : `${r.names.slice(0, -1).join(', ')} and ${r.names.at(-1)}`;
  const setting = each
    ? `${who} each deposit ${deposits[0]} into ${money(config.initialCents)}`
    : `${r.names.map((n, i) => `${n} deposits ${deposits[i]}`).join(', ')} into ${money(config.initialCents)}`;
  return {
    names: r.names,
    setting,
    interleavings: r.interleavings,
    acceptable: r.outcomes.filter((o) => o.model.verdict.ok),
    forbidden,
    witness: [...forbidden].sort((a, b) => a.witness.preemptions - b.witness.preemptions)[0]!,
  };
}

export interface PanelLine {
  text: string;
  color?: Colour;
}

const schedule = (agents: readonly number[], names: readonly string[]): string => agents.map((a) => names[a]).join(',');

/** The challenge panel: the goal and the schedule so far; at the end, the result beside the explorer's. */
export function challengeText(f: ChallengeFacts, view: PaneView | undefined): PanelLine[] {
  const yours = view ? schedule(scheduleOf(view.events), f.names) : '';
  const s = view?.snapshot;
  const goal = `make the bank lose a deposit: end with ${amounts(f.forbidden)} instead of ${amounts(f.acceptable)}`;
  if (!s || s.status !== 'finished' || s.interrupted) {
    const keys = f.names.map((n, i) => `${i + 1}`).join(' or ');
    return [
      { text: `You are the scheduler. ${f.setting}: each reads the balance, then writes it plus its deposit. Goal: ${goal}.`, color: 'yellow' },
      { text: `Press ${keys}: that agent takes its next step (the pane shows what it is).` },
      { text: `Your schedule so far: ${yours || 'none yet'}` },
    ];
  }
  const forbidden = !s.verdict.ok;
  const balance = money(s.balance);
  const mine = [...f.acceptable, ...f.forbidden].find((o) => JSON.stringify(o.model.balances) === JSON.stringify(s.accounts.map((a) => a.balance)));
  const lost = f.forbidden.reduce((n, o) => n + o.interleavings, 0);
  const ok = f.acceptable.reduce((n, o) => n + o.interleavings, 0);
  const w = f.witness.witness;
  return [
    forbidden
      ? { text: `You did it: the bank ended with ${balance} instead of ${amounts(f.acceptable)}, a forbidden outcome, on real threads.`, color: 'green' }
      : { text: `Not this time: the bank ended with ${balance}, every deposit counted (acceptable). Goal: ${goal}. r: try again.`, color: 'yellow' },
    { text: `Your schedule: ${yours}. The explorer's witness, with the fewest preemptions (${w.preemptions}): ${schedule(w.schedule, f.names)}.` },
    { text: `Of all ${f.interleavings} interleavings, ${counts(mine, forbidden, lost, ok, balance)}.` },
  ];
}

/** "4 end at $1.00 like yours; 2 are acceptable" */
function counts(mine: OutcomeResult | undefined, forbidden: boolean, lost: number, ok: number, balance: string): string {
  const same = mine?.interleavings ?? 0;
  const parts = mine ? [`${same} end at ${balance} like yours`] : [];
  const otherLost = lost - (forbidden ? same : 0);
  const otherOk = ok - (forbidden ? 0 : same);
  if (otherLost > 0) parts.push(`${otherLost}${forbidden && mine ? ' others' : ''} lose a deposit`);
  if (otherOk > 0) parts.push(`${otherOk}${!forbidden && mine ? ' others' : ''} are acceptable`);
  return parts.join('; ');
}
