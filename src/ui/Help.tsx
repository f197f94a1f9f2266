import { Box, Text } from 'ink';

export const KEYS: [string, string][] = [
  ['space', 'pause / resume every pane'],
  ['s', 'step mode on/off: agents wait before each micro-step'],
  ['1-9, 0', 'step mode: let agent A-I (0: J) take one micro-step in every pane'],
  ['+ / -', 'double / halve the race window'],
  ['r', 'restart the run with the same settings'],
  ['?', 'this help'],
  ['q, Ctrl-C', 'quit'],
];

export function Help({ width }: { width: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={Math.min(width, 78)}>
      <Text bold>Keys</Text>
      {KEYS.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text color="cyan">{k.padEnd(10)}</Text>
          {what}
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="wrap">
        Each pane runs the same workload with a different strategy. Lanes: R read, W write, L lock, U unlock, w wait, n
        notify, ! lost update. Make a lost update by hand: s, then 1 (A reads), 2 (B reads), 1 (A writes), 2 (B writes
        over it).
      </Text>
      <Text dimColor>press ? or Esc to close</Text>
    </Box>
  );
}

export function Footer({ stepMode }: { stepMode: boolean }) {
  return (
    <Text wrap="truncate" dimColor={!stepMode}>
      {stepMode ? (
        <Text color="yellow">STEP MODE · 1-9/0 advance agent A-J · s leave · </Text>
      ) : null}
      space pause · s step · +/- window · r restart · ? help · q quit
    </Text>
  );
}
