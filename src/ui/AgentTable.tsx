import { Fragment } from 'react';
import { Text } from 'ink';
import { AGENT_GAP, LEGEND, type Layout } from './layout.js';
import type { PaneView } from './model.js';
import { agentLabel, firstFitting } from './text.js';

/**
 * A pane's agents: a header, then each agent's name, state, counts and lane. One agent a line,
 * or several side by side (column by column) when the layout says the rows are short; when
 * not even that fits, a window that keeps the selected agent in view and says how many are hidden.
 */
export function AgentTable({ view, layout, selected }: { view: PaneView; layout: Layout; selected: number | null }) {
  const s = view.snapshot;
  const cols = layout.columns;
  const perRow = layout.agentsPerRow;
  const lines = visibleLines(s.agents.length, layout.agentRows, perRow, selected);
  const hidden = s.agents.length - lines.flat().length;
  const laneHeader = layout.legend ? LEGEND : cols.lane ? firstFitting(['lane (? legend)', 'lane'], cols.lane) : '';
  const cell = `${''.padEnd(cols.name)}${'state'.padEnd(cols.state)}${cols.tx ? '  tx '.padStart(cols.tx) : ''}${cols.wait ? 'wait '.padStart(cols.wait) : ''}${laneHeader.padEnd(cols.lane)}`;
  const gap = ' '.repeat(AGENT_GAP);
  return (
    <>
      <Text dimColor wrap="truncate-end">
        {Array.from({ length: Math.min(perRow, s.agents.length) }, () => cell)
          .join(gap)
          .trimEnd()}
      </Text>
      {lines.map((line) => (
        <Text key={line[0]} wrap="truncate-end">
          {line.map((i, k) => {
            const a = s.agents[i]!;
            const label = agentLabel(a, s, view.config.ops, cols.state - 1);
            return (
              <Fragment key={a.name}>
                {k > 0 && gap}
                <Text inverse={selected === i}>{a.name}</Text>
                {' '.repeat(cols.name - a.name.length)}
                <Text color={label.color}>{label.text.padEnd(cols.state)}</Text>
                {cols.tx ? `${compact(a.transactions).padStart(cols.tx - 1)} ` : ''}
                {cols.wait ? `${compact(a.lockWaits).padStart(cols.wait - 1)} ` : ''}
                {cols.lane > 0 && <Lane lane={view.lanes[i] ?? ''} lost={view.lostColumns} width={cols.lane} />}
              </Fragment>
            );
          })}
        </Text>
      ))}
      {hidden > 0 && (
        <Text dimColor>
          +{hidden} more agents{selected !== null ? ' (↑↓ to scroll)' : ''}
        </Text>
      )}
    </>
  );
}

/**
 * The agents on each line. Side by side they run down the first column, then the next (D1..D5
 * W1..W3 | W4..W10); one a line, a window that keeps the selected agent in view.
 */
function visibleLines(total: number, rows: number, perRow: number, selected: number | null): number[][] {
  if (perRow > 1) return Array.from({ length: rows }, (_, r) => Array.from({ length: perRow }, (_, c) => c * rows + r).filter((i) => i < total));
  const shown = Math.min(rows, total);
  const start = selected === null ? 0 : Math.min(Math.max(0, selected - shown + 1), total - shown);
  return Array.from({ length: shown }, (_, i) => [start + i]);
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
