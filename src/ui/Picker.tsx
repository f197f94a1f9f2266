import { Box, Text } from 'ink';
import { SCENARIOS, type ScenarioName } from '../sim/model/config.js';

export const DESCRIPTIONS: Record<ScenarioName, string> = {
  race: '10 agents deposit $1 at once: lost updates without a lock',
  condition: 'withdrawers wait on a Condition until deposits cover them',
  tellers: 'customers share K teller windows guarded by a Semaphore',
  transfer: 'transfers take two locks: the naive order deadlocks',
  async: 'the same race on one event loop, and async-mutex',
};

/** The scenario picker; on the first launch, the guided tour is offered first. */
export function Picker({ picked, width, offerTour }: { picked: number; width: number; offerTour: boolean }) {
  const room = Math.max(0, width - 4 - 2 - 2 - 11);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>bank-sim: pick a scenario</Text>
      {offerTour && (
        <>
          <Text color="yellow">New here? Press t for the guided tour: a lost update by hand, in 2 minutes.</Text>
          <Text color="yellow">Then c: you are the scheduler. Lose a deposit by hand, against the explorer.</Text>
        </>
      )}
      {SCENARIOS.map((s, i) => (
        <Text key={s} wrap="truncate-end" color={i === picked ? 'cyan' : undefined}>
          {i === picked ? '› ' : '  '}
          {i + 1} {s.padEnd(10)}
          <Text dimColor>{DESCRIPTIONS[s].length <= room ? DESCRIPTIONS[s] : ''}</Text>
        </Text>
      ))}
    </Box>
  );
}
