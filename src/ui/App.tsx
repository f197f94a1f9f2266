import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { SCENARIOS, type ScenarioName } from '../sim/config.js';
import { clock, micros } from '../format.js';
import { Footer, Help } from './Help.js';
import { digitAgent, keyFor, type Action, type KeyContext, type Mode } from './keys.js';
import { computeLayout } from './layout.js';
import type { Snapshot } from '../sim/simulation.js';
import { Pane } from './Pane.js';
import { Picker } from './Picker.js';
import { narrate, TOUR } from './tour.js';
import { wrap } from './text.js';
import { useRuns, type RunRequest, type Start } from './use-runs.js';

export interface AppProps {
  /** Starts the runs (one per pane) of a scenario. */
  start: Start;
  /** null shows the scenario picker first. */
  scenario: ScenarioName | null;
  /** Called once to leave: 0 for q, 130 for Ctrl-C. */
  onExit: (code: number) => void;
  fps?: number;
}

const TOUR_LINES = 4;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}

/** The mode the keys and the footer work in, from what is on screen. */
function modeOf(request: RunRequest | null, help: boolean, tour: boolean, snaps: Snapshot[]): Mode {
  if (!request) return 'picker';
  if (help) return 'help';
  if (tour) return 'tour';
  if (snaps.length && snaps.every((s) => s.status === 'finished')) return 'finished';
  if (snaps[0]?.stepMode) return 'step';
  if (snaps[0]?.status === 'paused') return 'paused';
  return 'running';
}

/** A ref-backed state: key handlers read the current value even before React re-renders. */
function useLatest<T>(initial: T): [T, (next: T) => void, { current: T }] {
  const ref = useRef(initial);
  const [value, setValue] = useState(initial);
  return [value, (next: T) => ((ref.current = next), setValue(next)), ref];
}

export function App({ start, scenario: initial, onExit, fps = 15 }: AppProps) {
  const [request, setRequest, requestRef] = useLatest<RunRequest | null>(initial ? { scenario: initial, generation: 0 } : null);
  const [help, setHelp, helpRef] = useLatest(false);
  const [picked, setPicked, pickedRef] = useLatest(0);
  const [selected, setSelected, selectedRef] = useLatest(0);
  // The tour: which stop, and the first event seq after the last key (what to narrate).
  const [tour, setTour, tourRef] = useLatest<{ stop: number; since: number; agent: number | null } | null>(null);
  const { runs, views } = useRuns(start, request, fps);
  const viewsRef = useRef(views);
  viewsRef.current = views;
  const size = useTerminalSize();

  const lastSeq = (): number => Math.max(0, ...viewsRef.current.flatMap((v) => v.events.map((e) => e.seq + 1)));
  const startTourStop = (stop: number): void => {
    const s = TOUR[stop]!;
    const part = TOUR[stop - 1]?.sync !== s.sync;
    if (part) setRequest({ scenario: 'race', strategies: [s.sync], stepMode: true, generation: (requestRef.current?.generation ?? 0) + 1 });
    setTour({ stop, since: part ? 0 : lastSeq(), agent: null });
  };
  const endTour = (): void => setTour(null);

  const names = views[0]?.snapshot.agents.map((a) => a.name) ?? [];
  const ctx = (): KeyContext => ({ mode: modeOf(requestRef.current, helpRef.current, tourRef.current !== null, runs.current.map((r) => r.snapshot())), names: runs.current[0]?.snapshot().agents.map((a) => a.name) ?? [], selected: selectedRef.current });

  const act: Record<Action, (input: string) => void> = {
    interrupt: () => onExit(130),
    quit: () => onExit(0),
    help: () => setHelp(true),
    closeHelp: () => setHelp(false),
    pause: () => runs.current.forEach((r) => r.togglePause()),
    stepMode: () => {
      const on = !runs.current[0]?.snapshot().stepMode;
      runs.current.forEach((r) => r.setStepMode(on));
    },
    stepAgent: (input) => {
      const agent = digitAgent(input)!;
      runs.current.forEach((r) => r.step(agent));
      setSelected(Math.min(agent, Math.max(0, ctx().names.length - 1)));
      const t = tourRef.current;
      if (t) {
        const stop = TOUR[t.stop]!;
        const since = lastSeq();
        if (stop.expect === agent && TOUR[t.stop + 1]) setTour({ stop: t.stop + 1, since, agent });
        else setTour({ ...t, since, agent });
      }
    },
    select: () => {
      const n = Math.max(1, ctx().names.length);
      setSelected((selectedRef.current + (lastKey.current === 'up' ? n - 1 : 1)) % n);
    },
    stepSelected: () => runs.current.forEach((r) => r.step(selectedRef.current)),
    window: (input) => {
      const current = runs.current[0]?.snapshot().windowUs ?? 0;
      const next = input === '-' ? Math.floor(current / 2) : current === 0 ? 100 : current * 2;
      runs.current.forEach((r) => r.setWindow(next));
    },
    restart: () => {
      const r = requestRef.current;
      if (r) setRequest({ ...r, stepMode: false, generation: r.generation + 1 });
    },
    tour: () => startTourStop(0),
    tourNext: () => {
      const t = tourRef.current;
      if (!t) return;
      if (TOUR[t.stop]!.expect !== 'enter') return;
      if (TOUR[t.stop + 1]) startTourStop(t.stop + 1);
      else endTour();
    },
    tourEnd: endTour,
    pickMove: () => setPicked((pickedRef.current + (lastKey.current === 'up' ? SCENARIOS.length - 1 : 1)) % SCENARIOS.length),
    pickDigit: (input) => setRequest({ scenario: SCENARIOS[Number(input) - 1]!, generation: 0 }),
    pickEnter: () => setRequest({ scenario: SCENARIOS[pickedRef.current]!, generation: 0 }),
  };
  const lastKey = useRef<'up' | 'down' | null>(null);

  useInput((input, key) => {
    lastKey.current = key.upArrow || (key.shift && key.tab) ? 'up' : key.downArrow ? 'down' : null;
    const def = keyFor(input, key, ctx().mode);
    if (def) act[def.action](input);
  });

  const mode = modeOf(request, help, tour !== null, views.map((v) => v.snapshot));
  const keyCtx: KeyContext = { mode, names, selected };
  const height = Math.max(1, size.rows - 1);
  if (!request) {
    return (
      <Box flexDirection="column" height={height}>
        <Picker picked={picked} width={size.columns} />
        <Box flexGrow={1} />
        <Footer ctx={keyCtx} width={size.columns} />
      </Box>
    );
  }
  const first = views[0];
  const layout = computeLayout({
    columns: size.columns,
    rows: size.rows,
    panes: Math.max(1, views.length),
    agents: first?.snapshot.agents.length ?? 1,
    nameWidth: Math.max(1, ...names.map((n) => n.length)),
    stateWant: first && first.snapshot.accounts.length > 1 ? 26 : 11,
    extraLines: tour ? TOUR_LINES : 0,
  });
  if (layout.tooSmall) {
    return (
      <Box flexDirection="column" height={height}>
        <Text color="yellow" wrap="wrap">
          terminal too small (need {layout.tooSmall.width}x{layout.tooSmall.height}) · q quit
        </Text>
      </Box>
    );
  }
  // One clock for the whole screen: the panes run side by side, paused time excluded.
  const elapsed = Math.max(0, ...views.map((v) => v.snapshot.elapsedMs));
  const window = first ? micros(first.snapshot.windowUs) : '?';
  const state = mode === 'finished' ? ' · finished' : mode === 'paused' ? ' · PAUSED' : mode === 'step' ? ' · STEP MODE' : '';
  const tourText = tour && first ? [narrate(first, tour.since, tour.agent), TOUR[tour.stop]!.text].filter(Boolean).join(' ') : '';
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>bank-sim</Text>
        <Text dimColor>
          {' '}
          · {request.scenario} · window {window} · {clock(elapsed)}
        </Text>
        <Text color={mode === 'finished' ? 'green' : 'yellow'}>{state}</Text>
      </Text>
      {help ? (
        <Help width={size.columns} height={height - 2} />
      ) : (
        <Box flexDirection={layout.direction}>
          {views.map((v, i) => (
            <Pane key={`${request.generation}-${i}`} view={v} layout={layout} selected={mode === 'step' || mode === 'tour' ? selected : null} />
          ))}
        </Box>
      )}
      <Box flexGrow={1} />
      {tour && !help && (
        <Box flexDirection="column" height={TOUR_LINES}>
          {wrap(tourText, size.columns)
            .slice(-TOUR_LINES)
            .map((l, i) => (
              <Text key={i} color="yellow">
                {l}
              </Text>
            ))}
        </Box>
      )}
      <Footer ctx={keyCtx} width={size.columns} />
    </Box>
  );
}
