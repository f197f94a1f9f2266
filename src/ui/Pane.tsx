import { Box, Text } from 'ink';
import { money } from '../sim/trace.js';
import { agentsIn, SHORT_STATE, sparkline, STATE_COLOR, statusText, type PaneView } from './model.js';

export interface PaneProps {
  view: PaneView;
  width: number;
  /** Most agent rows this pane may draw (the rest are summarised). */
  maxAgents: number;
  /** Lines of lost-update explanations to show. */
  storyLines: number;
  /** Lane (timeline) columns. */
  laneWidth: number;
}

/** One strategy's live view: balance vs expected, lost updates, chart, agents with their lanes. */
export function Pane({ view, width, maxAgents, storyLines, laneWidth }: PaneProps) {
  const s = view.snapshot;
  const inner = width - 4;
  const diff = s.balance - s.expected;
  const exact = diff === 0;
  const lostColor = s.lostUpdates === 0 ? 'green' : 'red';
  const top = Math.max(...view.history.expected, ...view.history.balance, 1);
  const sparkWidth = Math.max(4, inner - 10);
  const shown = s.agents.slice(0, maxAgents);
  const hidden = s.agents.length - shown.length;
  const wide = inner >= 46;
  const nameWidth = Math.max(3, ...s.agents.map((a) => a.name.length + 1));
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor={exact && s.lostUpdates === 0 ? 'green' : 'red'} paddingX={1}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          {view.sync}
        </Text>
        <Text dimColor> · {statusText(s)} · {Math.round(s.throughput)} tx/s</Text>
      </Text>
      <Text wrap="truncate">
        balance <Text bold color={exact ? 'green' : 'red'}>{money(s.balance)}</Text>
        <Text dimColor> / expected </Text>
        {money(s.expected)}
        {!exact && <Text color="red"> ({money(Math.abs(diff))} {diff < 0 ? 'lost' : 'extra'})</Text>}
      </Text>
      <Text wrap="truncate">
        lost updates{' '}
        <Text bold color={lostColor}>
          {s.lostUpdates}
        </Text>
        <Text dimColor>
          {' '}
          · tx {s.transactions}
          {s.retries ? ` · retries ${s.retries}` : ''}
        </Text>
      </Text>
      <Text wrap="truncate">
        <Text dimColor>bal </Text>
        <Text color={exact ? 'green' : 'red'}>{sparkline(view.history.balance, sparkWidth, top)}</Text>
      </Text>
      <Text wrap="truncate">
        <Text dimColor>exp </Text>
        <Text dimColor>{sparkline(view.history.expected, sparkWidth, top)}</Text>
      </Text>
      <ScenarioLine view={view} />
      <Text dimColor wrap="truncate">
        {'ag'.padEnd(nameWidth)}
        {'state       tx '}
        {wide ? 'wait ' : ''}
        {'timeline: R read W write L lock U unlock ! lost'.slice(0, Math.max(0, inner - (wide ? 22 : 17)))}
      </Text>
      {shown.map((a, i) => (
        <Text key={a.name} wrap="truncate">
          {a.name.padEnd(nameWidth)}
          <Text color={STATE_COLOR[a.state]}>{(a.nextStep ? `next: ${a.nextStep}` : SHORT_STATE[a.state]).slice(0, 11).padEnd(12)}</Text>
          {String(a.transactions).padStart(3)}{' '}
          {wide ? `${String(a.lockWaits).padStart(4)} ` : ''}
          <Lane lane={view.lanes[i] ?? ''} lost={view.lostColumns} width={laneWidth} />
        </Text>
      ))}
      {hidden > 0 && <Text dimColor>+{hidden} more agents</Text>}
      {Array.from({ length: storyLines }, (_, i) => (
        <Text key={i} color="yellow" wrap="truncate">
          {view.stories[i] ? `! ${view.stories[i]}` : ' '}
        </Text>
      ))}
    </Box>
  );
}

// Draws a lane as a few runs of equally styled characters (not one element per character:
// ink lays out every element on every frame).
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

/** The scenario's own view: lock holder and queue, parked withdrawers, teller windows, deadlock. */
function ScenarioLine({ view }: { view: PaneView }) {
  const s = view.snapshot;
  const name = (i: number | null) => (i === null ? '—' : (s.agents[i]?.name ?? '?'));
  if (s.deadlock) {
    const cycle = s.deadlock.cycle.map((m) => `${m.agent} → acct ${m.waitsFor + 1}`).join(' → ');
    return (
      <Text color="red" bold wrap="truncate">
        DEADLOCK: {cycle} → {s.deadlock.cycle[0]?.agent}
      </Text>
    );
  }
  if (s.crashed.length) {
    return (
      <Text color="redBright" wrap="truncate">
        crashed: {s.crashed.map((c) => `${c.agent} (${c.message})`).join(', ')}
      </Text>
    );
  }
  switch (s.scenario) {
    case 'condition': {
      const parked = agentsIn(s, ['waiting for funds']);
      return (
        <Text wrap="truncate">
          <Text color="blue">{s.sync === 'condition' ? 'parked on Condition: ' : 'short of funds, polling: '}</Text>
          {parked.length ? parked.join(' ') : '—'}
          <Text color={s.minBalance < 0 ? 'red' : 'green'}> · lowest {money(s.minBalance)}</Text>
        </Text>
      );
    }
    case 'tellers': {
      const serving = agentsIn(s, ['serving']);
      const queue = agentsIn(s, ['waiting for lock']);
      const over = s.servingMax > s.permits;
      const windows = Array.from({ length: s.permits }, (_, i) => `[${(serving[i] ?? '').padEnd(3)}]`).join('');
      return (
        <Text wrap="truncate">
          {windows}
          {serving.length > s.permits && <Text color="red">+{serving.length - s.permits}</Text>}
          <Text dimColor> queue </Text>
          {queue.join(' ') || '—'}
          <Text color={over ? 'red' : 'green'}> max {s.servingMax}/{s.permits}</Text>
        </Text>
      );
    }
    case 'transfer':
      return (
        <Text wrap="truncate">
          locks: {s.lockHolders.map((h, i) => `acct${i + 1} ${name(h)}`).join(' · ')}
        </Text>
      );
    default: {
      if (s.sync === 'none' || s.sync === 'atomic' || s.sync === 'async') {
        return <Text dimColor wrap="truncate">{s.sync === 'atomic' ? 'no lock: CAS retries on conflict' : 'no lock: agents interleave freely'}</Text>;
      }
      const queued = agentsIn(s, ['waiting for lock']);
      return (
        <Text wrap="truncate">
          lock held by <Text color="green">{name(s.lockHolders[0] ?? null)}</Text>
          <Text dimColor> · queued </Text>
          <Text color="red">{queued.join(' ') || '—'}</Text>
        </Text>
      );
    }
  }
}
