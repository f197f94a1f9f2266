import { Box, Text } from 'ink';
import type { Layout } from './layout.js';
import { LEGEND } from './layout.js';
import { sparkline, type PaneView } from './model.js';
import { agentLabel, balanceText, firstFitting, scenarioText, verdictNotes, verdictText, wrap, type Colour, type Segment } from './text.js';

export interface PaneProps {
  view: PaneView;
  layout: Layout;
  /** In step mode: the agent the step key moves (highlighted). */
  selected: number | null;
  /** Notes shown first (a replay against the model's prediction). */
  notes?: { text: string; color: Colour }[];
}

function Line({ segments }: { segments: Segment[] }) {
  return (
    <Text wrap="truncate-end">
      {segments.map((s, i) => (
        <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

/** Which agents to draw: all if they fit, else a window that keeps the selected one in view. */
function visibleAgents(total: number, rows: number, selected: number | null): number[] {
  if (rows >= total) return Array.from({ length: total }, (_, i) => i);
  const start = selected === null ? 0 : Math.min(Math.max(0, selected - rows + 1), total - rows);
  return Array.from({ length: rows }, (_, i) => start + i);
}

/** The notes area: the final verdict's violations first, then the newest lost-update stories, each whole. */
function notes(view: PaneView, width: number, lines: number, first: { text: string; color: Colour }[]): { text: string; color: Colour }[] {
  const out: { text: string; color: Colour }[] = [];
  const items = [...first, ...verdictNotes(view.snapshot), ...view.stories.map((s) => ({ text: `! ${s}`, color: 'yellow' as Colour }))];
  for (const item of items) {
    const wrapped = wrap(item.text, width);
    if (out.length + wrapped.length > lines) {
      if (out.length === 0) out.push(...wrapped.slice(0, lines).map((text) => ({ text, color: item.color })));
      break;
    }
    out.push(...wrapped.map((text) => ({ text, color: item.color })));
  }
  return out;
}

/** One strategy's view: verdict, balance vs expected, the scenario's line, agents with their lanes, notes. */
export function Pane({ view, layout, selected, notes: first = [] }: PaneProps) {
  const s = view.snapshot;
  const w = layout.pane.innerWidth;
  const cols = layout.columns;
  const border: Colour = s.status === 'finished' && s.interrupted ? 'yellow' : s.verdict.ok ? 'green' : 'red';
  const top = Math.max(...view.history.expected, ...view.history.balance, 1);
  const shown = visibleAgents(s.agents.length, layout.agentRows, selected);
  const hidden = s.agents.length - shown.length;
  const status = s.status === 'finished' ? (s.deadlock ? 'deadlocked' : s.interrupted ? 'stopped' : 'finished') : s.stepMode && s.status === 'running' ? 'step mode' : s.status;
  const rate = ` · ${Math.round(s.throughput).toLocaleString('en-US')} tx/s`;
  const title: Segment[] = [{ text: view.sync, color: 'cyan', bold: true }, { text: firstFitting([` · ${status}${rate}`, ` · ${status}`, ''], w - view.sync.length), dim: true }];
  const laneHeader = layout.legend ? LEGEND : firstFitting(['lane (? legend)', 'lane'], cols.lane);
  const header = `${''.padEnd(cols.name)}${'state'.padEnd(cols.state)}${cols.tx ? '  tx '.padStart(cols.tx) : ''}${cols.wait ? 'wait '.padStart(cols.wait) : ''}${laneHeader}`;
  const noteLines = notes(view, w, layout.noteLines, first);
  return (
    <Box flexDirection="column" width={layout.pane.width} height={layout.pane.height} borderStyle="round" borderColor={border} paddingX={1}>
      <Line segments={title} />
      <Line segments={balanceText(s, w)} />
      <Line segments={verdictText(s, view.config, w)} />
      {layout.sparklines && (
        <>
          <Line segments={[{ text: 'bal ', dim: true }, { text: sparkline(view.history.balance, w - 4, top), color: s.balance === s.expected ? 'green' : 'red' }]} />
          <Line segments={[{ text: 'exp ', dim: true }, { text: sparkline(view.history.expected, w - 4, top), dim: true }]} />
        </>
      )}
      <Line segments={scenarioText(s, w)} />
      <Text dimColor wrap="truncate-end">
        {header}
      </Text>
      {shown.map((i) => {
        const a = s.agents[i]!;
        const label = agentLabel(a, s, view.config.ops, cols.state - 1);
        return (
          <Text key={a.name} wrap="truncate-end">
            <Text inverse={selected === i}>{a.name}</Text>
            {' '.repeat(cols.name - a.name.length)}
            <Text color={label.color}>{label.text.padEnd(cols.state)}</Text>
            {cols.tx ? `${compact(a.transactions).padStart(cols.tx - 1)} ` : ''}
            {cols.wait ? `${compact(a.lockWaits).padStart(cols.wait - 1)} ` : ''}
            <Lane lane={view.lanes[i] ?? ''} lost={view.lostColumns} width={cols.lane} />
          </Text>
        );
      })}
      {hidden > 0 && <Text dimColor>+{hidden} more agents{selected !== null ? ' (↑↓ to scroll)' : ''}</Text>}
      {noteLines.map((n, i) => (
        <Text key={i} color={n.color} wrap="truncate-end">
          {n.text}
        </Text>
      ))}
    </Box>
  );
}

/** A count in at most 4 characters: 1234, 12k, 123k, 1.2M. */
function compact(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

// Draws the newest `width` columns of a lane as a few runs of equally styled characters (not
// one element per character: ink lays out every element on every frame).
function Lane({ lane, lost, width }: { lane: string; lost: Set<number>; width: number }) {
  const chars = lane.slice(-width);
  const offset = lane.length - chars.length;
  const runs: { text: string; style: 'dot' | 'event' | 'lost' }[] = [];
  for (let j = 0; j < chars.length; j++) {
    const ch = chars[j]!;
    const style = ch === '·' ? 'dot' : ch === '!' && lost.has(j + offset) ? 'lost' : 'event';
    const last = runs[runs.length - 1];
    if (last && last.style === style) last.text += ch;
    else runs.push({ text: ch, style });
  }
  return (
    <Text>
      {runs.map((r, i) => (
        <Text key={i} dimColor={r.style === 'dot'} color={r.style === 'lost' ? 'red' : undefined} bold={r.style === 'lost'}>
          {r.text}
        </Text>
      ))}
    </Text>
  );
}
