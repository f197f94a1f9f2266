import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import { SCENARIOS, type ScenarioName } from '../sim/model/config.js';
import { clock, micros } from '../cli/format.js';
import { Footer, Help } from './Help.js';
import { HELP_CHROME, helpPage } from './help-text.js';
import { digitAgent, keyFor, type Action, type KeyContext, type Mode } from './keys.js';
import { computeLayout } from './layout.js';
import type { Snapshot } from '../sim/engine/run.js';
import { Pane } from './Pane.js';
import { Picker } from './Picker.js';
import { narrate, TOUR } from './tour.js';
import { wrap } from './text.js';
import { useRuns, type RunRequest, type Start } from './use-runs.js';
import { useReplay } from './use-replay.js';
import { replayNotes, replayText } from './replay-text.js';
import { challengeConfig, challengeFacts, challengeText, type PanelLine } from './challenge.js';
import type { ReplayPlan } from '../sim/engine/replay.js';

export interface AppProps {
  /** Starts the runs (one per pane) of a scenario. */
  start: Start;
  /** null shows the scenario picker first. */
  scenario: ScenarioName | null;
  /** tui --replay: the schedule, checked on the model for each pane (the panes replay it). */
  replay?: ReplayPlan[] | null;
  /** Called once to leave: 0 for q, 130 for Ctrl-C. */
  onExit: (code: number) => void;
  fps?: number;
  /** The picker offers the guided tour (on the first launch: see first-launch.ts). */
  offerTour?: boolean;
  /** Called once when the tour has been offered or started, to not offer it again. */
  onTourOffered?: () => void;
}

const TOUR_LINES = 4;
/** The challenge's and the replay's panels: room for their longest text at 80 columns. */
const CHALLENGE_LINES = 5;
const REPLAY_LINES = 3;

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
  if (help) return 'help';
  if (!request) return 'picker';
  if (tour) return 'tour';
  if (request.kind === 'challenge') return 'challenge';
  if (snaps.length && snaps.every((s) => s.status === 'finished')) return 'finished';
  if (request.kind === 'replay') return 'replay';
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

/** The request the command line makes: a replay's panes in step mode, the scenario's panes, or the picker. */
function firstRequest(scenario: ScenarioName | null, replay: ReplayPlan[] | null): RunRequest | null {
  if (replay) return { scenario: replay[0]!.config.scenario, kind: 'replay', configs: replay.map((p) => p.config), stepMode: true, generation: 0 };
  return scenario ? { scenario, generation: 0 } : null;
}

export function App({ start, scenario: initial, replay = null, onExit, fps = 15, offerTour = false, onTourOffered }: AppProps) {
  const [request, setRequest, requestRef] = useLatest<RunRequest | null>(firstRequest(initial, replay));
  const [help, setHelp, helpRef] = useLatest(false);
  const [helpAt, setHelpAt, helpAtRef] = useLatest(0);
  const [picked, setPicked, pickedRef] = useLatest(0);
  const [selected, setSelected, selectedRef] = useLatest(0);
  // The tour: which stop, and the first event seq after the last key (what to narrate).
  const [tour, setTour, tourRef] = useLatest<{ stop: number; since: number; agent: number | null } | null>(null);
  const { runs, views, key } = useRuns(start, request, fps);
  const replaying = useReplay(runs, replay, key, request?.kind === 'replay');
  // The challenge's facts, from the explorer run on the challenge's own configuration.
  const challenge = useMemo(() => (request?.kind === 'challenge' && request.configs ? challengeFacts(request.configs[0]!) : null), [request]);
  const viewsRef = useRef(views);
  viewsRef.current = views;
  const size = useTerminalSize();
  const tourNoted = useRef(false);
  const noteTourOffered = (): void => {
    if (!tourNoted.current) onTourOffered?.();
    tourNoted.current = true;
  };
  useEffect(() => {
    if (!request && offerTour) noteTourOffered();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request === null, offerTour]);

  const lastSeq = (): number => Math.max(0, ...viewsRef.current.flatMap((v) => v.events.map((e) => e.seq + 1)));
  const startTourStop = (stop: number): void => {
    const s = TOUR[stop]!;
    const part = TOUR[stop - 1]?.sync !== s.sync;
    if (part) setRequest({ scenario: 'race', strategies: [s.sync], stepMode: true, generation: (requestRef.current?.generation ?? 0) + 1 });
    setTour({ stop, since: part ? 0 : lastSeq(), agent: null });
  };
  const endTour = (): void => setTour(null);

  const names = views[0]?.snapshot.agents.map((a) => a.name) ?? [];
  const ctx = (): KeyContext => ({
    mode: modeOf(
      requestRef.current,
      helpRef.current,
      tourRef.current !== null,
      runs.current.map((r) => r.snapshot()),
    ),
    names: runs.current[0]?.snapshot().agents.map((a) => a.name) ?? [],
    selected: selectedRef.current,
  });
  const nextGeneration = (): number => (requestRef.current?.generation ?? 0) + 1;

  const act: Record<Action, (input: string) => void> = {
    interrupt: () => onExit(130),
    quit: () => onExit(0),
    help: () => (setHelpAt(0), setHelp(true)),
    closeHelp: () => setHelp(false),
    helpPage: () => setHelpAt(helpAtRef.current + 1),
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
      // A replay and the challenge start again in step mode; a plain run starts free.
      if (r) setRequest({ ...r, stepMode: r.kind !== undefined, generation: r.generation + 1 });
    },
    tour: () => (noteTourOffered(), startTourStop(0)),
    replayToggle: () => replaying.toggle(),
    replayNext: () => replaying.next(),
    challenge: () => {
      setTour(null);
      setSelected(0);
      setRequest({ scenario: 'race', kind: 'challenge', configs: [challengeConfig()], stepMode: true, generation: nextGeneration() });
    },
    challengeEnd: () => {
      const back = firstRequest(initial, replay);
      setRequest(back && { ...back, generation: nextGeneration() });
    },
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

  const mode = modeOf(
    request,
    help,
    tour !== null,
    views.map((v) => v.snapshot),
  );
  const height = Math.max(1, size.rows - 1);
  // The help takes the rows between the header and the footer.
  const helpView = help
    ? helpPage(
        size.columns,
        height - 2 - HELP_CHROME,
        modeOf(
          request,
          false,
          tour !== null,
          views.map((v) => v.snapshot),
        ),
        helpAt,
      )
    : null;
  const keyCtx: KeyContext = { mode, names, selected, playing: replaying.state?.playing ?? true, helpPages: helpView?.pages };
  if (!request) {
    return (
      <Box flexDirection="column" height={height}>
        {helpView ? <Help columns={size.columns} page={helpView} /> : <Picker picked={picked} width={size.columns} offerTour={offerTour} />}
        <Box flexGrow={1} />
        <Footer ctx={keyCtx} width={size.columns} />
      </Box>
    );
  }
  const first = views[0];
  // The panel between the panes and the footer: the tour's narration, the challenge, the replay.
  const tourText = tour && first ? [narrate(first, tour.since, tour.agent), TOUR[tour.stop]!.text].filter(Boolean).join(' ') : '';
  const paragraphs: PanelLine[] = tour
    ? [{ text: tourText, color: 'yellow' }]
    : challenge
      ? challengeText(challenge, first)
      : request.kind === 'replay' && replay
        ? replayText(replay, replaying.state)
        : [];
  const panelLines = tour ? TOUR_LINES : challenge ? CHALLENGE_LINES : REPLAY_LINES;
  // The tour keeps its newest lines; the others their first ones.
  const wrapped = paragraphs.flatMap((p) => wrap(p.text, size.columns).map((text) => ({ text, color: p.color })));
  const panel = help ? [] : tour ? wrapped.slice(-TOUR_LINES) : wrapped.slice(0, Math.max(panelLines, Math.min(wrapped.length, 8)));
  const layout = computeLayout({
    columns: size.columns,
    rows: size.rows,
    panes: Math.max(1, views.length),
    agents: first?.snapshot.agents.length ?? 1,
    nameWidth: Math.max(1, ...names.map((n) => n.length)),
    stateWant: first && first.snapshot.accounts.length > 1 ? 26 : 11,
    extraLines: panel.length ? Math.max(panel.length, panelLines) : 0,
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
  const STATES: Partial<Record<Mode, string>> = {
    finished: ' · finished',
    paused: ' · PAUSED',
    step: ' · STEP MODE',
    replay: replaying.state?.playing === false ? ' · REPLAY PAUSED' : ' · REPLAY',
    challenge: ' · YOU ARE THE SCHEDULER',
  };
  const state = STATES[mode] ?? '';
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
      {helpView ? (
        <Help columns={size.columns} page={helpView} />
      ) : (
        <Box flexDirection={layout.direction}>
          {views.map((v, i) => (
            <Pane
              key={`${request.generation}-${i}`}
              view={v}
              layout={layout}
              selected={mode === 'step' || mode === 'tour' || mode === 'challenge' ? selected : null}
              notes={request.kind === 'replay' && replay ? replayNotes(v.snapshot, replay[i], replaying.state?.errors[i] ?? null) : []}
            />
          ))}
        </Box>
      )}
      <Box flexGrow={1} />
      {panel.length > 0 && (
        <Box flexDirection="column" height={layout.extraLines}>
          {panel.map((l, i) => (
            <Text key={i} color={l.color}>
              {l.text}
            </Text>
          ))}
        </Box>
      )}
      <Footer ctx={keyCtx} width={size.columns} />
    </Box>
  );
}
