/**
 * The help overlay's text, as lines that fit a width and a height: the key map's rows (one
 * table, see keys.ts), the lane legend and the hand exercise. Pure, so the App can count the
 * pages for its footer and the overlay draws the same lines.
 */
import { helpRows, KEYMAP, type Mode } from './keys.js';
import { laneLegend } from './model.js';
import { firstFitting, wrap } from './text.js';

/** key: the key column (blank on a wrapped line); null for a paragraph line. */
export interface HelpLine {
  key: string | null;
  text: string;
}

export interface HelpPage {
  lines: HelpLine[];
  /** Width of the key column. */
  keyWidth: number;
  page: number;
  pages: number;
}

/** Lines the overlay takes besides its text: the border (2) and the "Keys" title. */
export const HELP_CHROME = 3;
/** The widest the overlay grows on a wide terminal (longer lines read badly). */
const MAX_WIDTH = 100;

const BY_HAND = 'Make a lost update by hand: s, then 1 (A reads), 2 (B reads), 1 (A writes), 2 (B writes over it). Or press t for the guided tour.';
/** The modes a plain run is in: the hand exercise is for them (the tour, a replay and the challenge step for you). */
const PLAIN: readonly Mode[] = ['running', 'paused', 'step', 'finished'];

/** The text width inside the overlay's border and padding. */
export function helpInnerWidth(columns: number): number {
  return Math.max(20, Math.min(columns, MAX_WIDTH) - 4);
}

/** The lane legend, wrapped without parting a symbol from its word ("R read" stays on one line). */
function legend(inner: number): string[] {
  const glue = '\u0000';
  const text = `Lanes, newest event on the right: ${laneLegend(glue)}.`;
  return wrap(text, inner).map((line) => line.replaceAll(glue, ' '));
}

/** The blocks of the help: the keys, the lane legend, the hand exercise; each a list of lines. */
function helpBlocks(inner: number, from: Mode): { blocks: HelpLine[][]; keyWidth: number } {
  const rows = helpRows(from);
  const keyWidth = Math.max(...rows.map((r) => r.keys.length)) + 2;
  const keys = rows.flatMap((r) => wrap(r.help, inner - keyWidth).map((text, i) => ({ key: i === 0 ? r.keys : '', text })));
  const paragraphs = [legend(inner), ...(PLAIN.includes(from) ? [wrap(BY_HAND, inner)] : [])];
  return { blocks: [keys, ...paragraphs.map((lines) => lines.map((text) => ({ key: null, text })))], keyWidth };
}

/**
 * The page of the help to show in `room` lines: everything with a blank line between the blocks
 * when it fits, else without them, else in pages, each ending with a line that names the key
 * for the next one.
 */
export function helpPage(columns: number, room: number, from: Mode, page = 0): HelpPage {
  const { blocks, keyWidth } = helpBlocks(helpInnerWidth(columns), from);
  const spaced = blocks.flatMap((b, i) => (i === 0 ? b : [{ key: null, text: '' }, ...b]));
  if (spaced.length <= room) return { lines: spaced, keyWidth, page: 0, pages: 1 };
  const tight = blocks.flat();
  if (tight.length <= room) return { lines: tight, keyWidth, page: 0, pages: 1 };
  const per = Math.max(1, room - 1);
  const pages = Math.ceil(tight.length / per);
  const at = ((page % pages) + pages) % pages;
  const next = KEYMAP.find((d) => d.action === 'helpPage')!;
  const more = { key: null, text: firstFitting([`page ${at + 1}/${pages} · ${next.keys}: ${next.help}`, `${at + 1}/${pages} · ${next.keys} more`], helpInnerWidth(columns)) };
  return { lines: [...tight.slice(at * per, (at + 1) * per), more], keyWidth, page: at, pages };
}
