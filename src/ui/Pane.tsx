import { Box, Text } from 'ink';
import { AgentTable } from './AgentTable.js';
import type { Layout } from './layout.js';
import { sparkline, type PaneView } from './model.js';
import { balanceText, firstFitting, scenarioText, verdictNotes, verdictText, wrap, type Colour, type Segment } from './text.js';

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
  const border: Colour = s.status === 'finished' && s.interrupted ? 'yellow' : s.verdict.ok ? 'green' : 'red';
  const top = Math.max(...view.history.expected, ...view.history.balance, 1);
  const status = s.status === 'finished' ? (s.deadlock ? 'deadlocked' : s.interrupted ? 'stopped' : 'finished') : s.stepMode && s.status === 'running' ? 'step mode' : s.status;
  const rate = ` · ${Math.round(s.throughput).toLocaleString('en-US')} tx/s`;
  const title: Segment[] = [
    { text: view.sync, color: 'cyan', bold: true },
    { text: firstFitting([` · ${status}${rate}`, ` · ${status}`, ''], w - view.sync.length), dim: true },
  ];
  const noteLines = notes(view, w, layout.noteLines, first);
  return (
    <Box flexDirection="column" width={layout.pane.width} height={layout.pane.height} borderStyle="round" borderColor={border} paddingX={1}>
      <Line segments={title} />
      <Line segments={balanceText(s, w)} />
      <Line segments={verdictText(s, view.config, w)} />
      {layout.sparklines && (
        <>
          <Line
            segments={[
              { text: 'bal ', dim: true },
              { text: sparkline(view.history.balance, w - 4, top), color: s.balance === s.expected ? 'green' : 'red' },
            ]}
          />
          <Line
            segments={[
              { text: 'exp ', dim: true },
              { text: sparkline(view.history.expected, w - 4, top), dim: true },
            ]}
          />
        </>
      )}
      <Line segments={scenarioText(s, w)} />
      <AgentTable view={view} layout={layout} selected={selected} />
      {noteLines.map((n, i) => (
        <Text key={i} color={n.color} wrap="truncate-end">
          {n.text}
        </Text>
      ))}
    </Box>
  );
}
