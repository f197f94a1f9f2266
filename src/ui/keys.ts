/**
 * The key map: one table drives the input handler, the footer and the help, so they can never
 * disagree. Each row says which keys it takes, in which modes it is active, what the footer
 * calls it there (if anything) and what the help says.
 */
import type { Key } from 'ink';
import { STEP_MS } from './use-replay.js';

/** replay: tui --replay playing its schedule; challenge: "you are the scheduler". */
export type Mode = 'picker' | 'running' | 'paused' | 'step' | 'finished' | 'help' | 'tour' | 'replay' | 'challenge';

export interface KeyContext {
  mode: Mode;
  /** The agents' names (steppable agents). */
  names: readonly string[];
  /** The agent selected for stepping. */
  selected: number;
  /** A replay is playing (not paused). */
  playing?: boolean;
  /** Pages of the help on this screen (more than 1 only on a terminal too short for all of it). */
  helpPages?: number;
}

export type Action =
  | 'quit'
  | 'interrupt'
  | 'help'
  | 'closeHelp'
  | 'helpPage'
  | 'pause'
  | 'stepMode'
  | 'stepAgent'
  | 'select'
  | 'stepSelected'
  | 'window'
  | 'restart'
  | 'tour'
  | 'tourNext'
  | 'tourEnd'
  | 'replayToggle'
  | 'replayNext'
  | 'challenge'
  | 'challengeEnd'
  | 'pickMove'
  | 'pickDigit'
  | 'pickEnter';

export interface KeyDef {
  action: Action;
  /** How the keys are written in the footer and help. */
  keys: string;
  match: (input: string, key: Key) => boolean;
  modes: readonly Mode[];
  /** The footer's words in this context; null: not in the footer. */
  footer: (ctx: KeyContext) => string | null;
  help: string;
  /** Footer entries kept first when the line is short (lower: kept longer). */
  priority: number;
}

const RUN: readonly Mode[] = ['running', 'paused', 'step'];
const LIVE_OR_DONE: readonly Mode[] = ['running', 'paused', 'step', 'finished'];
/** Everywhere a run is on screen. */
const ANY_RUN: readonly Mode[] = [...LIVE_OR_DONE, 'tour', 'replay', 'challenge'];

/** "A-J" (or "D1-W5"): the agents the digit keys reach. */
export function digitAgents(names: readonly string[]): string {
  const last = Math.min(names.length, 10) - 1;
  return last <= 0 ? (names[0] ?? '') : `${names[0]}-${names[last]}`;
}

/** "1-9,0" (or "1-2"): the digit keys that reach an agent. */
export function digitKeys(names: readonly string[]): string {
  const n = Math.min(names.length, 10);
  return n >= 10 ? '1-9,0' : n <= 1 ? '1' : `1-${n}`;
}

/** Digit keys: 1-9 are the first nine agents, 0 the tenth. */
export function digitAgent(input: string): number | null {
  if (!/^[0-9]$/.test(input)) return null;
  return input === '0' ? 9 : Number(input) - 1;
}

export const KEYMAP: readonly KeyDef[] = [
  {
    action: 'interrupt',
    keys: 'Ctrl-C',
    match: (i, k) => k.ctrl && i === 'c',
    modes: ['picker', ...ANY_RUN, 'help'],
    footer: () => null,
    help: 'quit at once (exit code 130)',
    priority: 0,
  },
  {
    action: 'closeHelp',
    keys: '? Esc q',
    match: (i, k) => i === '?' || i === 'q' || k.escape,
    modes: ['help'],
    footer: () => '? Esc close help',
    help: 'close this help',
    priority: 0,
  },
  {
    action: 'helpPage',
    keys: 'space ↓',
    match: (i, k) => i === ' ' || k.downArrow || k.pageDown,
    modes: ['help'],
    footer: (c) => ((c.helpPages ?? 1) > 1 ? 'space more' : null),
    help: 'next page of this help',
    priority: 1,
  },
  { action: 'pickMove', keys: '↑ ↓', match: (_, k) => k.upArrow || k.downArrow, modes: ['picker'], footer: () => '↑↓ choose', help: 'choose a scenario', priority: 3 },
  { action: 'pickEnter', keys: 'Enter', match: (_, k) => k.return, modes: ['picker'], footer: () => '⏎ start', help: 'start the chosen scenario', priority: 2 },
  { action: 'pickDigit', keys: '1-5', match: (i) => /^[1-5]$/.test(i), modes: ['picker'], footer: () => '1-5 start', help: 'start scenario 1-5', priority: 4 },
  { action: 'tourNext', keys: 'Enter', match: (_, k) => k.return, modes: ['tour'], footer: () => '⏎ next', help: 'the guided tour: go on', priority: 1 },
  { action: 'tourEnd', keys: 'Esc t', match: (i, k) => k.escape || i === 't', modes: ['tour'], footer: () => 'Esc end tour', help: 'leave the guided tour', priority: 2 },
  {
    action: 'replayToggle',
    keys: 'space',
    match: (i) => i === ' ',
    modes: ['replay'],
    footer: (c) => (c.playing ? 'space pause' : 'space play'),
    help: `tui --replay: pause / play on (a step every ${STEP_MS / 1000} s)`,
    priority: 1,
  },
  {
    action: 'replayNext',
    keys: 'Enter',
    match: (_, k) => k.return,
    modes: ['replay'],
    footer: () => '⏎ next step',
    help: 'tui --replay: take the next step of the schedule now',
    priority: 1,
  },
  { action: 'challengeEnd', keys: 'Esc', match: (_, k) => k.escape, modes: ['challenge'], footer: () => 'Esc leave', help: 'leave the challenge', priority: 2 },
  {
    action: 'pause',
    keys: 'space',
    match: (i) => i === ' ',
    modes: ['running', 'paused'],
    footer: (c) => (c.mode === 'paused' ? 'space resume' : 'space pause'),
    help: 'pause / resume every pane (the clock and rates stop too)',
    priority: 3,
  },
  {
    action: 'stepMode',
    keys: 's',
    match: (i) => i === 's',
    modes: RUN,
    footer: (c) => (c.mode === 'step' ? 's run freely' : 's step mode'),
    help: 'step mode on/off: agents wait before each step (read, write, ...)',
    priority: 4,
  },
  {
    action: 'stepAgent',
    keys: '1-9 0',
    match: (i) => digitAgent(i) !== null,
    modes: ['step', 'tour', 'challenge'],
    footer: (c) => `${digitKeys(c.names)} step ${digitAgents(c.names)}`,
    help: 'step mode: agent 1-10 (A-J, D1-W5...) takes one step, in every pane',
    priority: 1,
  },
  {
    action: 'select',
    keys: '↑ ↓ Tab',
    match: (i, k) => k.upArrow || k.downArrow || k.tab || i === '\t',
    modes: ['step'],
    footer: (c) => (c.names.length > 10 ? '↑↓ pick' : null),
    help: 'step mode: select any agent (also beyond the tenth)',
    priority: 5,
  },
  {
    action: 'stepSelected',
    keys: 'Enter',
    match: (_, k) => k.return,
    modes: ['step'],
    footer: (c) => `⏎ step ${c.names[c.selected] ?? ''}`,
    help: 'step mode: let the selected agent take one step',
    priority: 2,
  },
  { action: 'window', keys: '+ -', match: (i) => i === '+' || i === '=' || i === '-', modes: RUN, footer: () => '+/- window', help: 'double / halve the race window', priority: 6 },
  {
    action: 'restart',
    keys: 'r',
    match: (i) => i === 'r',
    modes: [...LIVE_OR_DONE, 'replay', 'challenge'],
    footer: (c) => (c.mode === 'challenge' ? 'r try again' : 'r restart'),
    help: 'restart with the same settings (a replay or the challenge: step 1)',
    priority: 2,
  },
  {
    action: 'tour',
    keys: 't',
    match: (i) => i === 't',
    modes: ['picker', ...LIVE_OR_DONE, 'replay'],
    footer: () => 't tour',
    help: 'guided tour: a lost update by hand, then the same under a mutex',
    priority: 5,
  },
  {
    action: 'challenge',
    keys: 'c',
    match: (i, k) => i === 'c' && !k.ctrl,
    modes: ['picker', ...LIVE_OR_DONE, 'replay'],
    footer: () => 'c challenge',
    help: 'you are the scheduler: lose a deposit by hand, vs the explorer',
    priority: 5,
  },
  {
    action: 'help',
    keys: '?',
    match: (i) => i === '?',
    modes: ['picker', ...LIVE_OR_DONE, 'replay', 'challenge'],
    footer: () => '? help',
    help: 'this help (keys and the lane legend)',
    priority: 1,
  },
  { action: 'quit', keys: 'q', match: (i) => i === 'q', modes: ['picker', ...ANY_RUN], footer: () => 'q quit', help: 'quit (the summary stays on the screen)', priority: 0 },
];

/** The active key definition for a key press, if any. */
export function keyFor(input: string, key: Key, mode: Mode): KeyDef | undefined {
  return KEYMAP.find((d) => d.modes.includes(mode) && d.match(input, key));
}

/** The footer: the active keys' words, in table order, dropping the least needed until it fits. */
export function footerText(ctx: KeyContext, width: number): string {
  const entries = KEYMAP.filter((d) => d.modes.includes(ctx.mode))
    .map((d, order) => ({ text: d.footer(ctx), priority: d.priority, order }))
    .filter((e): e is { text: string; priority: number; order: number } => e.text !== null);
  const kept = [...entries];
  const join = (list: typeof entries): string =>
    [...list]
      .sort((a, b) => a.order - b.order)
      .map((e) => e.text)
      .join(' · ');
  while (kept.length > 1 && join(kept).length > width) {
    const drop = kept.reduce((worst, e) => (e.priority > worst.priority ? e : worst));
    kept.splice(kept.indexOf(drop), 1);
  }
  return join(kept);
}

/**
 * The help's key lines for the dashboard: every key that acts on a run, plus the keys of the
 * mode the help was opened from (the tour's, a replay's, the challenge's).
 */
export function helpRows(from: Mode = 'running'): { keys: string; help: string }[] {
  const seen = new Set<string>();
  const shown = new Set<Mode>(['running', 'step', 'finished', from]);
  return KEYMAP.filter((d) => d.modes.some((m) => shown.has(m)))
    .filter((d) => (seen.has(d.action) ? false : (seen.add(d.action), true)))
    .map((d) => ({ keys: d.keys, help: d.help }));
}
