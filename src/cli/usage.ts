/** The help texts: the general usage and each command's --help, generated from the option table. */
import { COMMANDS, optionLines, type CommandName } from './options.js';

interface CommandDoc {
  usage: string;
  summary: string;
  examples: string[];
}

export const COMMAND_DOCS: Record<Exclude<CommandName, 'help'>, CommandDoc> = {
  tui: {
    usage: 'bank-sim [tui] [options]',
    summary: 'the live dashboard on an interactive terminal (a scenario picker without --scenario);\nthe headless comparison when stdout is not a terminal or TERM=dumb',
    examples: [
      'bank-sim tui --scenario race',
      'bank-sim tui --scenario tellers --sync semaphore,none',
      'bank-sim tui --scenario race --ops 1000 --window 5ms',
      'bank-sim tui --replay A,B,A,B',
    ],
  },
  run: {
    usage: 'bank-sim run [options]',
    summary: 'run one scenario with one strategy and print a report',
    examples: [
      'bank-sim run --scenario race --sync none',
      'bank-sim run --scenario race --sync mutex --check',
      'bank-sim run --sync none --json | jq .ok',
      'bank-sim run --sync none --agents 2 --ops 3 --trace run.jsonl',
    ],
  },
  compare: {
    usage: 'bank-sim compare [options]',
    summary: 'run every strategy that applies on the same inputs and print one table',
    examples: ['bank-sim compare --scenario race --ops 5', 'bank-sim compare --scenario transfer', 'bank-sim compare --scenario tellers --json'],
  },
  trials: {
    usage: 'bank-sim trials [options] -n N',
    summary: 'run a scenario N times and print the outcome histogram (jcstress style)',
    examples: ['bank-sim trials --sync none --agents 3 --ops 3 -n 10000', 'bank-sim trials --scenario race --sync mutex -n 500 --check'],
  },
  explore: {
    usage: 'bank-sim explore [options]',
    summary: 'every interleaving of a small program (default 2 agents x 1 op), judged, with witnesses',
    examples: [
      'bank-sim explore --scenario race --sync none --agents 3',
      'bank-sim explore --scenario transfer --order naive',
      'bank-sim explore --agents 2 --trials 100000',
      'bank-sim run --replay A,B,A,B',
    ],
  },
  agent: {
    usage: 'bank-sim agent --redis-url URL',
    summary: 'serve runs on Redis as an agent, on any host, one after another until Ctrl-C',
    examples: ['bank-sim agent --redis-url redis://10.0.0.5:6379', 'bank-sim run --store redis --redis-url redis://10.0.0.5:6379 --agents-on remote --agents 2 --sync lock'],
  },
};

const EXITS = 'Exit codes: 0 ok, 1 invariant violated (with --check) or run failed, 2 usage error, 130 interrupted.';

export function usage(): string {
  const commands = (Object.keys(COMMAND_DOCS) as (keyof typeof COMMAND_DOCS)[]).map((c) => `  ${COMMAND_DOCS[c].usage.padEnd(32)}${COMMAND_DOCS[c].summary.split('\n')[0]}`);
  return [
    'bank-sim - race conditions on real threads, and the locks that fix them',
    '',
    'Usage:',
    ...commands,
    `  ${'bank-sim help COMMAND'.padEnd(32)}that command's options and examples (or: bank-sim COMMAND --help)`,
    '',
    'Options:',
    ...optionLines(),
    '',
    EXITS,
  ].join('\n');
}

export function commandHelp(command: CommandName): string {
  if (command === 'help') return usage();
  const doc = COMMAND_DOCS[command];
  return [
    `Usage: ${doc.usage}`,
    '',
    ...doc.summary.split('\n').map((l) => `  ${l}`),
    '',
    'Options:',
    ...optionLines(command),
    '',
    'Examples:',
    ...doc.examples.map((e) => `  ${e}`),
    '',
    EXITS,
  ].join('\n');
}

export function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}
