import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { SCENARIOS, type ScenarioName } from '../sim/config.js';
import { Footer, Help } from './Help.js';
import { PaneTracker, type PaneView, type RunHandle } from './model.js';
import { Pane } from './Pane.js';

export interface AppProps {
  /** Starts the runs (one per pane) of a scenario. */
  start: (scenario: ScenarioName) => RunHandle[];
  /** null shows the scenario picker first. */
  scenario: ScenarioName | null;
  /** Called once to leave: 0 for q, 130 for Ctrl-C. */
  onExit: (code: number) => void;
  fps?: number;
}

const DESCRIPTIONS: Record<ScenarioName, string> = {
  race: '10 agents deposit $1 at once: lost updates without a lock',
  condition: 'withdrawers wait on a Condition until deposits cover them',
  tellers: 'customers share K teller windows guarded by a Semaphore',
  transfer: 'transfers take two locks: the naive order deadlocks',
  async: 'the same race on one event loop, and async-mutex',
};

export function App({ start, scenario: initial, onExit, fps = 15 }: AppProps) {
  const [scenario, setScenarioState] = useState<ScenarioName | null>(initial);
  const [generation, setGeneration] = useState(0);
  const [help, setHelpState] = useState(false);
  // The key handler reads these through refs: a key that arrives before React has re-bound the
  // handler after a render (fast typing, a loaded machine) must still see the current mode.
  const scenarioRef = useRef(initial);
  const helpRef = useRef(false);
  const setScenario = (next: ScenarioName) => {
    scenarioRef.current = next;
    setScenarioState(next);
  };
  const setHelp = (next: boolean) => {
    helpRef.current = next;
    setHelpState(next);
  };
  const [picked, setPickedState] = useState(0);
  // Keys can arrive in one batch (↓ ↓ Enter) before a re-render: read the choice from a ref.
  const pickedRef = useRef(0);
  const setPicked = (update: (p: number) => number) => {
    pickedRef.current = update(pickedRef.current);
    setPickedState(pickedRef.current);
  };
  const runs = useRef<RunHandle[]>([]);
  const trackers = useRef<PaneTracker[]>([]);
  const [views, setViews] = useState<PaneView[]>([]);
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });

  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);

  // Start the runs of the chosen scenario (again on restart); stop them when they go away.
  useEffect(() => {
    if (!scenario) return;
    const started = start(scenario);
    runs.current = started;
    trackers.current = started.map((run) => new PaneTracker(run));
    return () => {
      for (const r of started) void r.kill();
    };
  }, [scenario, generation, start]);

  // The frame clock: read cheap snapshots at a fixed rate; the agents never wait for us.
  useEffect(() => {
    if (!scenario) return;
    const tick = () => setViews(trackers.current.map((t) => t.view()));
    tick();
    const timer = setInterval(tick, 1000 / fps);
    return () => clearInterval(timer);
  }, [scenario, generation, fps]);

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return onExit(130);
    if (!scenarioRef.current) {
      if (input === 'q' || key.escape) return onExit(0);
      if (key.upArrow) setPicked((p) => (p + SCENARIOS.length - 1) % SCENARIOS.length);
      if (key.downArrow) setPicked((p) => (p + 1) % SCENARIOS.length);
      const digit = Number(input);
      if (digit >= 1 && digit <= SCENARIOS.length) setScenario(SCENARIOS[digit - 1]!);
      if (key.return) setScenario(SCENARIOS[pickedRef.current]!);
      return;
    }
    if (helpRef.current) {
      if (input === '?' || key.escape || input === 'q') setHelp(false);
      return;
    }
    const all = runs.current;
    if (input === 'q') return onExit(0);
    if (input === '?') return setHelp(true);
    if (input === ' ') for (const r of all) r.togglePause();
    if (input === 's') {
      const on = !all[0]?.snapshot().stepMode;
      for (const r of all) r.setStepMode(on);
    }
    if (/^[0-9]$/.test(input)) {
      const agent = input === '0' ? 9 : Number(input) - 1;
      for (const r of all) r.step(agent);
    }
    if (input === '+' || input === '=' || input === '-') {
      const current = all[0]?.snapshot().windowUs ?? 0;
      const next = input === '-' ? Math.floor(current / 2) : current === 0 ? 100 : current * 2;
      for (const r of all) r.setWindow(next);
    }
    if (input === 'r') setGeneration((g) => g + 1);
  });

  // A constant frame height, one row short of the terminal: ink flickers when its output fills
  // the screen, and its incremental renderer leaves stale lines behind when a frame grows.
  const frameHeight = Math.max(10, size.rows - 1);
  if (!scenario) {
    return (
      <Box flexDirection="column" height={frameHeight}>
        <Picker picked={picked} />
      </Box>
    );
  }
  const first = views[0]?.snapshot;
  const n = Math.max(1, views.length);
  const paneWidth = Math.max(30, Math.floor(size.columns / n));
  // Stay below the terminal height (ink flickers when its output fills the screen).
  const chrome = 1 + 1 + 2 + 6 + 1; // title, footer, borders, pane header lines, table header
  const storyLines = size.rows >= 30 ? 2 : 1;
  const maxAgents = Math.max(2, size.rows - 1 - chrome - storyLines - 1);
  const laneWidth = Math.max(8, paneWidth - 4 - (paneWidth - 4 >= 46 ? 21 : 16));
  return (
    <Box flexDirection="column" height={frameHeight}>
      <Text wrap="truncate">
        <Text bold>bank-sim</Text>
        <Text dimColor>
          {' '}
          · {scenario} · window {first ? formatWindow(first.windowUs) : '?'} · {first ? (first.elapsedMs / 1000).toFixed(1) : '0.0'}s
          {first?.status === 'paused' ? ' · PAUSED' : ''}
        </Text>
      </Text>
      {help ? (
        <Help width={size.columns} />
      ) : (
        <Box flexDirection="row">
          {views.map((v, i) => (
            <Pane key={`${generation}-${i}`} view={v} width={paneWidth} maxAgents={maxAgents} storyLines={storyLines} laneWidth={laneWidth} />
          ))}
        </Box>
      )}
      <Box flexGrow={1} />
      <Footer stepMode={first?.stepMode ?? false} />
    </Box>
  );
}

function Picker({ picked }: { picked: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>bank-sim: pick a scenario</Text>
      {SCENARIOS.map((s, i) => (
        <Text key={s} wrap="truncate" color={i === picked ? 'cyan' : undefined}>
          {i === picked ? '› ' : '  '}
          {i + 1} {s.padEnd(10)}
          <Text dimColor>{DESCRIPTIONS[s]}</Text>
        </Text>
      ))}
      <Text dimColor>↑/↓ and Enter, or 1-{SCENARIOS.length} · q quit</Text>
    </Box>
  );
}

export function formatWindow(us: number): string {
  if (us === 0) return '0';
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return us > 1000 ? `${(us / 1000).toFixed(1)}ms` : `${us}us`;
}
