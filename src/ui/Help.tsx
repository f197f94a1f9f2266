import { Box, Text } from 'ink';
import { footerText, helpRows, type KeyContext, type Mode } from './keys.js';
import { wrap } from './text.js';

const LANES =
  'Lanes: one column per event, in global order, newest on the right. R read, W write, L lock, U unlock, w wait, k woke, n notify, > enter, < leave, r retry, X crash, ! lost update.';
const BY_HAND = 'Make a lost update by hand: s, then 1 (A reads), 2 (B reads), 1 (A writes), 2 (B writes over it). Or press t for the guided tour.';

/** The help overlay: the key map's rows, the lane legend and the hand exercise, wrapped to fit. */
export function Help({ width, height, from }: { width: number; height: number; from?: Mode }) {
  const inner = Math.max(20, Math.min(width, 100) - 4);
  const rows = helpRows(from);
  const keyWidth = Math.max(...rows.map((r) => r.keys.length)) + 2;
  const lines = [
    ...rows.flatMap((r) => wrap(r.help, inner - keyWidth).map((l, i) => ({ key: i === 0 ? r.keys : '', text: l }))),
    { key: '', text: '' },
    ...[LANES, BY_HAND].flatMap((p) => [...wrap(p, inner).map((text) => ({ key: null, text })), { key: null, text: '' }]),
  ].slice(0, Math.max(1, height - 3));
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={inner + 4}>
      <Text bold>Keys</Text>
      {lines.map((l, i) =>
        l.key === null ? (
          <Text key={i}>{l.text || ' '}</Text>
        ) : (
          <Text key={i}>
            <Text color="cyan">{l.key.padEnd(keyWidth)}</Text>
            {l.text}
          </Text>
        ),
      )}
    </Box>
  );
}

/** The footer: what the key map offers in this mode, as much as fits. */
export function Footer({ ctx, width }: { ctx: KeyContext; width: number }) {
  const step = ctx.mode === 'step';
  return (
    <Text wrap="truncate-end" color={step ? 'yellow' : undefined} dimColor={!step && ctx.mode !== 'finished'}>
      {footerText(ctx, width)}
    </Text>
  );
}
