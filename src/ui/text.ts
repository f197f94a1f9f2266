/**
 * Pure text for the dashboard: every string is made to fit a given width by choosing a shorter
 * form or wrapping, never by cutting it off with an ellipsis.
 */
import type { SimConfig } from '../sim/model/config.js';
import type { AgentSnapshot, Snapshot } from '../sim/engine/run.js';
import { money } from '../sim/engine/trace.js';
import { count } from '../cli/format.js';
import { lostLine } from '../cli/report.js';

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'blue' | 'magenta' | 'gray' | 'white' | 'redBright' | undefined;
export interface Segment {
  text: string;
  color?: Colour;
  dim?: boolean;
  bold?: boolean;
}

/** Word-wraps `text` to lines of at most `width` characters (long words are split). */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > w) {
      if (line) lines.push(line);
      lines.push(rest.slice(0, w));
      line = '';
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The first of `forms` that fits `width` (the last one otherwise). */
export function firstFitting(forms: string[], width: number): string {
  return forms.find((f) => f.length <= width) ?? forms[forms.length - 1]!;
}

export function segmentsLength(segments: Segment[]): number {
  return segments.reduce((a, s) => a + s.text.length, 0);
}

/** Balance against expected, in the longest form that fits. */
export function balanceText(s: Snapshot, width: number): Segment[] {
  const diff = s.balance - s.expected;
  const colour: Colour = diff === 0 ? 'green' : 'red';
  const off = diff === 0 ? '' : ` (${money(Math.abs(diff))} ${diff < 0 ? 'lost' : 'extra'})`;
  const forms: Segment[][] = [
    [{ text: 'balance ' }, { text: money(s.balance), color: colour, bold: true }, { text: ' / expected ', dim: true }, { text: money(s.expected) }, { text: off, color: 'red' }],
    [{ text: 'bal ' }, { text: money(s.balance), color: colour, bold: true }, { text: ' / exp ', dim: true }, { text: money(s.expected) }, { text: off, color: 'red' }],
    [
      { text: money(s.balance), color: colour, bold: true },
      { text: ' / ', dim: true },
      { text: money(s.expected) },
      { text: diff ? ` (${diff < 0 ? '-' : '+'}${money(Math.abs(diff))})` : '', color: 'red' },
    ],
    [{ text: money(s.balance), color: colour, bold: true }, { text: ' / ', dim: true }, { text: money(s.expected) }],
  ];
  return forms.find((f) => segmentsLength(f) <= width) ?? forms[forms.length - 1]!;
}

/** The verdict line: live "lost 605 of 1,135 deposits", final "none: lost 1,657 of 3,000 deposits". */
export function verdictText(s: Snapshot, config: Pick<SimConfig, 'scenario' | 'sync'>, width: number): Segment[] {
  const colour: Colour = s.verdict.ok ? 'green' : 'red';
  if (s.status === 'finished' && s.interrupted) return [{ text: firstFitting([`${config.sync}: interrupted, no verdict`, 'interrupted'], width), color: 'yellow' }];
  if (s.status === 'finished') {
    const mark = s.verdict.ok ? ' ✓' : ' ✗';
    const line = lostLine(config.sync, s.verdict, config);
    return [{ text: firstFitting([line + mark, line, line.replace(/ (deposits|updates)$/, '')], width), color: colour, bold: true }];
  }
  const live = lostLine('', s.verdict, config).slice(2);
  const tx = ` · tx ${count(s.transactions)}${s.retries ? ` · retries ${count(s.retries)}` : ''}`;
  const forms = [live + tx, live, live.replace(/ (deposits|updates)$/, '')];
  const text = firstFitting(forms, width);
  return text.endsWith(tx)
    ? [
        { text: live, color: colour, bold: true },
        { text: tx, dim: true },
      ]
    : [{ text, color: colour, bold: true }];
}

/** The notes under the agents: the final verdict's violations (each naming its invariant), or none. */
export function verdictNotes(s: Snapshot): { text: string; color: Colour }[] {
  if (s.status !== 'finished' || s.interrupted) return [];
  if (s.verdict.ok) return [{ text: '✓ every invariant held', color: 'green' }];
  return s.verdict.violations.map((v) => ({ text: `✗ ${v.name}: ${v.reason}`, color: 'red' as Colour }));
}

/** Agents in the deadlock cycle, by name, with what each waits for. */
function cycleOf(s: Snapshot): Map<string, { waitsFor: number; heldBy: string }> {
  return new Map((s.deadlock?.cycle ?? []).map((m) => [m.agent, m]));
}

const SHORT: Record<AgentSnapshot['state'], string> = {
  idle: 'idle',
  reading: 'reading',
  'in window': 'in window',
  writing: 'writing',
  'waiting for lock': 'wait lock',
  'waiting for funds': 'wait funds',
  'holding lock': 'holds lock',
  done: 'done',
  dead: 'DEAD',
  serving: 'at window',
  'waiting for step': 'wait step',
};

const COLOUR: Record<AgentSnapshot['state'], Colour> = {
  idle: 'gray',
  reading: 'cyan',
  'in window': 'yellow',
  writing: 'magenta',
  'waiting for lock': 'red',
  'waiting for funds': 'blue',
  'holding lock': 'green',
  done: 'gray',
  dead: 'redBright',
  serving: 'green',
  'waiting for step': 'white',
};

/**
 * What an agent is doing, in the longest form that fits: its next step in step mode, what it
 * waits for when blocked ("waits acct 3, held by T4"), deadlocked while the cycle is shown (the
 * engine lets such agents give up and end 'done'), "gave up" for agents a run abandoned.
 */
export function agentLabel(a: AgentSnapshot, s: Snapshot, ops: number, width: number): Segment {
  const name = (i: number | null | undefined): string => (i == null ? '?' : (s.agents[i]?.name ?? '?'));
  const inCycle = cycleOf(s).get(a.name);
  const acct = (lock: number): string => (s.accounts.length > 1 ? `acct ${lock + 1}` : 'the lock');
  if (inCycle) {
    return {
      text: firstFitting(
        [
          `deadlock: waits ${acct(inCycle.waitsFor)}, held by ${inCycle.heldBy}`,
          `waits ${acct(inCycle.waitsFor)}, held by ${inCycle.heldBy}`,
          `deadlock→${inCycle.heldBy}`,
          'deadlocked',
        ],
        width,
      ),
      color: 'red',
    };
  }
  if (a.state === 'done' && s.status === 'finished' && a.transactions < ops && (s.deadlock || s.interrupted)) return { text: 'gave up', color: 'yellow' };
  if (a.nextStep && a.state !== 'done' && a.state !== 'dead' && a.state !== 'waiting for lock') {
    return { text: firstFitting([`next: ${a.nextStep}`, `→ ${a.nextStep}`, a.nextStep], width), color: 'white' };
  }
  if (a.state === 'waiting for lock' && a.waitingFor !== null) {
    const holder = s.lockHolders[s.lockHolders.length > 1 ? a.waitingFor : 0];
    if (holder != null) {
      const forms =
        s.accounts.length > 1
          ? [
              `waits for acct ${a.waitingFor + 1}, held by ${name(holder)}`,
              `waits acct ${a.waitingFor + 1}, held by ${name(holder)}`,
              `waits acct ${a.waitingFor + 1} (${name(holder)})`,
              `waits ${name(holder)}`,
            ]
          : [`waits for ${name(holder)}`, `waits ${name(holder)}`];
      return { text: firstFitting([...forms, SHORT[a.state]], width), color: 'red' };
    }
  }
  return { text: firstFitting([a.state, SHORT[a.state]], width), color: COLOUR[a.state] };
}

/** A list of names that fits: "W1 W2 W3 +4". */
function names(list: string[], width: number): string {
  if (!list.length) return '—';
  for (let k = list.length; k > 0; k--) {
    const text = list.slice(0, k).join(' ') + (k < list.length ? ` +${list.length - k}` : '');
    if (text.length <= width) return text;
  }
  return `${list.length}`;
}

function agentsIn(s: Snapshot, states: AgentSnapshot['state'][]): string[] {
  return s.agents.filter((a) => states.includes(a.state)).map((a) => a.name);
}

/** The scenario's own line: lock holder and queue, parked withdrawers and the lowest balance, teller windows, deadlock. */
export function scenarioText(s: Snapshot, width: number): Segment[] {
  const holder = (i: number | null | undefined): string => (i == null ? '—' : (s.agents[i]?.name ?? '?'));
  if (s.deadlock) {
    const cycle = s.deadlock.cycle;
    const long = `DEADLOCK: ${cycle.map((m) => `${m.agent} → acct ${m.waitsFor + 1}`).join(' → ')} → ${cycle[0]?.agent}`;
    const short = `DEADLOCK: ${cycle.map((m) => `${m.agent}→${m.waitsFor + 1}`).join('→')}→${cycle[0]?.agent}`;
    return [{ text: firstFitting([long, short, `DEADLOCK: ${cycle.map((m) => m.agent).join(' ')}`], width), color: 'red', bold: true }];
  }
  if (s.crashed.length) {
    return [
      {
        text: firstFitting([`crashed: ${s.crashed.map((c) => c.agent).join(', ')} (see the verdict)`, `crashed: ${s.crashed.map((c) => c.agent).join(' ')}`], width),
        color: 'redBright',
      },
    ];
  }
  switch (s.scenario) {
    case 'condition': {
      // The key figure first, so it is never the part that does not fit.
      const lowest: Segment = { text: `lowest ${money(s.minBalance)}`, color: s.minBalance < 0 ? 'red' : 'green', bold: s.minBalance < 0 };
      const label = s.sync === 'condition' ? ' · parked: ' : ' · short, polling: ';
      const room = width - lowest.text.length - label.length;
      return room >= 2 ? [lowest, { text: label, color: 'blue' }, { text: names(agentsIn(s, ['waiting for funds']), room) }] : [lowest];
    }
    case 'tellers': {
      // A customer enters ('serving'), then is served for its time at the window ('in window'):
      // both are at a teller window; the service time is nearly all of it.
      const serving = agentsIn(s, ['serving', 'in window']);
      const over = s.servingMax > s.permits;
      const max: Segment = { text: `max ${s.servingMax}/${s.permits}`, color: over ? 'red' : 'green', bold: over };
      const slot = Math.max(...s.agents.map((a) => a.name.length));
      const windows = Array.from({ length: s.permits }, (_, i) => `[${(serving[i] ?? '').padEnd(slot)}]`).join('');
      const extra = serving.length > s.permits ? `+${serving.length - s.permits}` : '';
      const head: Segment[] = [max, { text: ' ' }, { text: windows }, { text: extra, color: 'red' }];
      const room = width - segmentsLength(head) - ' queue '.length;
      return room >= 1 ? [...head, { text: ' queue ', dim: true }, { text: names(agentsIn(s, ['waiting for lock']), room) }] : segmentsLength(head) <= width ? head : [max];
    }
    case 'transfer': {
      const held = s.lockHolders.map((h, i) => `${i + 1}:${holder(h)}`).join(' ');
      return [{ text: firstFitting([`locks: ${s.lockHolders.map((h, i) => `acct${i + 1} ${holder(h)}`).join(' · ')}`, `locks ${held}`], width) }];
    }
    default: {
      if (s.sync === 'none' || s.sync === 'atomic' || s.sync === 'async') {
        const text = s.sync === 'atomic' ? ['no lock: CAS retries on conflict', 'no lock: CAS retries'] : ['no lock: agents interleave freely', 'no lock: agents interleave'];
        return [{ text: firstFitting([...text, 'no lock'], width), dim: true }];
      }
      const lockHolder: Segment[] = [{ text: 'lock ' }, { text: holder(s.lockHolders[0]), color: 'green' }];
      const room = width - segmentsLength(lockHolder) - ' · queued '.length;
      return room >= 1 ? [...lockHolder, { text: ' · queued ', dim: true }, { text: names(agentsIn(s, ['waiting for lock']), room), color: 'red' }] : lockHolder;
    }
  }
}
