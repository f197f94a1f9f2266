import { Box, Text } from 'ink';
import { footerText, type KeyContext } from './keys.js';
import { helpInnerWidth, type HelpPage } from './help-text.js';

/** The help overlay: one page of the help's lines (all of them when they fit; see help-text.ts). */
export function Help({ columns, page }: { columns: number; page: HelpPage }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={helpInnerWidth(columns) + 4}>
      <Text bold>Keys</Text>
      {page.lines.map((l, i) =>
        l.key === null ? (
          <Text key={i}>{l.text || ' '}</Text>
        ) : (
          <Text key={i}>
            <Text color="cyan">{l.key.padEnd(page.keyWidth)}</Text>
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
