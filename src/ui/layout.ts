/**
 * The dashboard's geometry, computed by one pure function from the terminal size and what has
 * to fit in it. Every width and height the components draw with comes from here.
 */

export interface LayoutInput {
  columns: number;
  rows: number;
  /** Panes (strategies) to show. */
  panes: number;
  /** Agents per pane. */
  agents: number;
  /** Longest agent name (A: 1, W10: 3). */
  nameWidth: number;
  /** Width the state column would like (longer for "waits acct 3, held by T4"). */
  stateWant?: number;
  /** Lines taken by a panel between the panes and the footer (the guided tour). */
  extraLines?: number;
}

/** One agent's columns (with agents side by side, one cell's). */
export interface Columns {
  name: number;
  state: number;
  /** 0 when dropped. */
  tx: number;
  /** 0 when dropped. */
  wait: number;
  lane: number;
}

export interface Layout {
  /** Set when nothing usable fits: the smallest terminal that works. */
  tooSmall: { width: number; height: number } | null;
  /** Frame height: one row short of the terminal (a frame that fills it makes ink scroll). */
  height: number;
  width: number;
  direction: 'row' | 'column';
  pane: { width: number; height: number; innerWidth: number };
  /**
   * Agent lines drawn per pane. With `agentsPerRow` agents on each, every agent is drawn; when
   * fewer fit, one more line says how many are hidden.
   */
  agentRows: number;
  /** Agents side by side on a line: 1, or more when the rows are short (drawn column by column). */
  agentsPerRow: number;
  /** Lines for verdict notes and lost-update stories (wrapped, whole stories only). */
  noteLines: number;
  sparklines: boolean;
  columns: Columns;
  /** The lane legend fits in the table header (else it is in the help). */
  legend: boolean;
  extraLines: number;
}

export const HEADER_LINES = 1;
export const FOOTER_LINES = 1;
/** Pane lines besides agents, notes and sparklines: title, balance, verdict, scenario, table header. */
export const FIXED_LINES = 5;
const BORDER = 2;
const PADDING = 2;
const MIN_INNER = 20;
const COMFORTABLE_INNER = 30;
const MIN_AGENT_ROWS = 2;
const MIN_NOTES = 2;
const LANE_MIN = 8;
/** Spaces between agents drawn side by side. */
export const AGENT_GAP = 2;
/** A state column beside others holds the short state words ("wait funds", "holds lock") and a space. */
const GRID_STATE_MIN = 11;
/** Most agents side by side on a line (more read as a wall of names). */
const MAX_PER_ROW = 8;
/** A long lost-update story, with its "! " (what a note area should hold whole). */
const STORY_CHARS = 100;
export const LEGEND = 'R read W write L lock U unlock ! lost';

function paneLines(agents: number): number {
  const agentArea = agents <= MIN_AGENT_ROWS ? agents : MIN_AGENT_ROWS + 1;
  return BORDER + FIXED_LINES + agentArea + MIN_NOTES;
}

export function computeLayout(input: LayoutInput): Layout {
  const { columns, rows, panes, agents, nameWidth } = input;
  const extraLines = input.extraLines ?? 0;
  const height = Math.max(1, rows - 1);
  const body = height - HEADER_LINES - FOOTER_LINES - extraLines;
  const n = Math.max(1, panes);
  const fits = (direction: 'row' | 'column', minInner: number) => {
    const width = direction === 'row' ? Math.floor(columns / n) : columns;
    const paneHeight = direction === 'row' ? body : Math.floor(body / n);
    return { direction, width, paneHeight, ok: width - BORDER - PADDING >= minInner && paneHeight >= paneLines(agents) };
  };
  const choice = [fits('row', COMFORTABLE_INNER), fits('column', COMFORTABLE_INNER), fits('row', MIN_INNER), fits('column', MIN_INNER)].find((f) => f.ok) ?? null;
  const need = { width: n * (MIN_INNER + BORDER + PADDING), height: HEADER_LINES + FOOTER_LINES + 1 + extraLines + paneLines(agents) };
  const base = { height, width: columns, extraLines };
  if (!choice) {
    return {
      ...base,
      tooSmall: need,
      direction: 'row',
      pane: { width: columns, height: 0, innerWidth: 0 },
      agentRows: 0,
      agentsPerRow: 1,
      noteLines: 0,
      sparklines: false,
      columns: { name: 0, state: 0, tx: 0, wait: 0, lane: 0 },
      legend: false,
    };
  }
  const innerWidth = choice.width - BORDER - PADDING;
  const innerHeight = choice.paneHeight - BORDER;

  // Vertically: the fixed lines, every agent if possible, then room for a whole story.
  const left = innerHeight - FIXED_LINES;
  const notesWant = Math.max(MIN_NOTES, Math.min(5, Math.ceil(STORY_CHARS / innerWidth)));
  const name = nameWidth + 1;
  const want = input.stateWant ?? 11;
  const single = { perRow: 1, columns: lineColumns(innerWidth, name, want) };
  const sideBySide = Array.from({ length: MAX_PER_ROW - 1 }, (_, i) => i + 2).flatMap((perRow) => {
    const cell = cellColumns(Math.floor((innerWidth - AGENT_GAP * (perRow - 1)) / perRow), name, want);
    return cell ? [{ perRow, columns: cell }] : [];
  });
  const fitsAll = (perRow: number, notes: number): boolean => Math.ceil(agents / perRow) + notes <= left;
  // Every agent in view, best first: one a line with room for a whole story; side by side with
  // their lanes; one a line with the fewest note lines; side by side without lanes.
  const all =
    (fitsAll(1, notesWant) ? single : undefined) ??
    sideBySide.find((g) => g.columns.lane > 0 && fitsAll(g.perRow, notesWant)) ??
    (fitsAll(1, MIN_NOTES) ? single : undefined) ??
    sideBySide.find((g) => fitsAll(g.perRow, MIN_NOTES));
  let agentRows: number;
  let noteLines: number;
  let sparklines = false;
  if (all === single && fitsAll(1, notesWant)) {
    agentRows = agents;
    let spare = left - agents - notesWant;
    if (spare >= 2 + notesWant) {
      sparklines = true;
      spare -= 2;
    }
    noteLines = notesWant + Math.min(spare, notesWant * 2);
  } else if (all) {
    agentRows = Math.ceil(agents / all.perRow);
    noteLines = left - agentRows;
  } else {
    const agentArea = Math.max(Math.min(agents, MIN_AGENT_ROWS + 1), left - notesWant);
    noteLines = Math.max(MIN_NOTES, left - agentArea);
    agentRows = agentArea >= agents ? agents : agentArea - 1; // one line says "+K more"
  }
  const { perRow: agentsPerRow, columns: agentColumns } = all ?? single;
  return {
    ...base,
    tooSmall: null,
    direction: choice.direction,
    pane: { width: choice.width, height: choice.paneHeight, innerWidth },
    agentRows,
    agentsPerRow,
    noteLines,
    sparklines,
    columns: agentColumns,
    legend: agentsPerRow === 1 && agentColumns.lane >= LEGEND.length,
  };
}

/** One agent a line: name and state, then the lane; tx and wait counts only when the lane stays long. */
function lineColumns(width: number, name: number, want: number): Columns {
  // A long state column (what a blocked agent waits for) may take the lane down to 14 columns.
  let state = Math.min(want, Math.max(11, width - name - (want > 11 ? 14 : 24))) + 1;
  let lane = width - name - state;
  if (lane < LANE_MIN) {
    state = Math.max(8, width - name - LANE_MIN);
    lane = width - name - state;
  }
  const tx = lane - 5 >= 28 ? 5 : 0;
  lane -= tx;
  const wait = lane - 5 >= 36 ? 5 : 0;
  lane -= wait;
  return { name, state, tx, wait, lane };
}

/** One agent beside others in `width` columns: name and state, the lane if it is worth drawing; null if the state does not fit. */
function cellColumns(width: number, name: number, want: number): Columns | null {
  if (width - name < GRID_STATE_MIN) return null;
  const state = Math.min(want + 1, width - name);
  const lane = width - name - state;
  return lane >= LANE_MIN ? { name, state, tx: 0, wait: 0, lane } : { name, state: width - name, tx: 0, wait: 0, lane: 0 };
}
