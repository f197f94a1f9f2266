/**
 * The option table: every command-line option once, with its argument, range, help text and
 * the commands it applies to. Parsing (args.ts), the usage text and each command's --help are
 * all generated from it, so they cannot disagree. To add an option, add a row here.
 */
import { LOCK_ORDERS, REDIS_STRATEGIES, SCENARIOS, STRATEGIES } from '../sim/model/config.js';
import { MAX_TRIALS } from '../sim/engine/trials.js';
import { DEFAULT_MAX_STATES, DEFAULT_TIME_LIMIT_MS } from '../sim/explore/limits.js';

export const COMMANDS = ['tui', 'run', 'compare', 'trials', 'explore', 'agent', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Commands that run a simulation (every option that shapes a run applies to them). */
const SIMULATING: readonly CommandName[] = ['tui', 'run', 'compare', 'trials', 'explore'];

export interface OptionSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** The argument's placeholder in the help ("N", "DUR"). */
  arg?: string;
  /** Whole-number options: the allowed range (checked at parse time, named in messages). */
  range?: readonly [number, number];
  help: string;
  /** The commands it applies to (others refuse it). */
  commands: readonly CommandName[];
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'scenario', short: 's', type: 'string', arg: 'NAME', help: `${SCENARIOS.join(' | ')} (default race)`, commands: SIMULATING },
  {
    name: 'sync',
    type: 'string',
    arg: 'NAME',
    help: `${STRATEGIES.join(' | ')}\non Redis: ${REDIS_STRATEGIES.join(' | ')}\n(tui, compare: a comma list, e.g. none,mutex)`,
    commands: SIMULATING,
  },
  { name: 'agents', short: 'a', type: 'string', arg: 'N', range: [1, 64], help: 'depositors (customers, transfer agents)', commands: SIMULATING },
  { name: 'withdrawers', type: 'string', arg: 'N', range: [0, 64], help: 'withdrawers (condition scenario)', commands: SIMULATING },
  { name: 'ops', type: 'string', arg: 'N', range: [1, 1_000_000], help: 'transactions per agent', commands: SIMULATING },
  { name: 'window', short: 'w', type: 'string', arg: 'DUR', help: 'race window between read and write: 0, 500us, 1ms, 0.2s (default 1ms)', commands: SIMULATING },
  { name: 'window-mode', type: 'string', arg: 'MODE', help: 'sleep | spin (busy-wait, CPU-bound window)', commands: SIMULATING },
  { name: 'seed', type: 'string', arg: 'N', range: [0, 0xffff_ffff], help: 'fixes amounts and schedules (default 42)', commands: SIMULATING },
  { name: 'time-scale', type: 'string', arg: 'X', help: 'multiplies pauses between transactions (0.01 = 100x faster)', commands: SIMULATING },
  { name: 'permits', type: 'string', arg: 'K', range: [1, 64], help: 'semaphore permits / teller windows', commands: SIMULATING },
  { name: 'accounts', type: 'string', arg: 'N', range: [1, 16], help: 'accounts (transfer scenario: 2 or more)', commands: SIMULATING },
  { name: 'order', type: 'string', arg: 'MODE', help: `${LOCK_ORDERS.join(' | ')}: lock order for transfers (naive deadlocks)`, commands: SIMULATING },
  { name: 'initial', type: 'string', arg: '$', help: 'opening balance of each account, in dollars (e.g. 100 or 12.50)', commands: SIMULATING },
  { name: 'amount', type: 'string', arg: '$[-$]', help: 'deposit / transfer amount or range in dollars (e.g. 1 or 5-10)', commands: SIMULATING },
  { name: 'withdraw', type: 'string', arg: '$[-$]', help: 'withdrawal amount or range in dollars', commands: SIMULATING },
  { name: 'crash', type: 'string', arg: 'AGENT@OP', help: 'fault injection: that agent crashes during its OP-th transaction', commands: ['tui', 'run', 'compare'] },
  { name: 'json', type: 'boolean', help: 'print one machine-readable report (money in integer cents)', commands: SIMULATING },
  { name: 'check', type: 'boolean', help: 'exit 1 if an invariant is violated (for CI)', commands: SIMULATING },
  { name: 'trace', type: 'string', arg: 'FILE', help: 'stream every event of the run to FILE as JSON lines', commands: ['run'] },
  {
    name: 'trials',
    short: 'n',
    type: 'string',
    arg: 'N',
    range: [1, MAX_TRIALS],
    help: "number of runs (default 200; explore: measure each outcome's share)",
    commands: ['trials', 'explore'],
  },
  // explore, run --replay and tui --replay (parsed in explore-args.ts).
  { name: 'max-preemptions', type: 'string', arg: 'P', help: 'only schedules with at most P preemptions (context bounding, 0-1,000)', commands: ['explore'] },
  {
    name: 'max-states',
    type: 'string',
    arg: 'N',
    help: `stop after N states with partial counts (1-1,000,000,000; default ${DEFAULT_MAX_STATES.toLocaleString('en-US')})`,
    commands: ['explore'],
  },
  { name: 'time-limit', type: 'string', arg: 'DUR', help: `stop after DUR with partial counts (default ${DEFAULT_TIME_LIMIT_MS / 1000}s)`, commands: ['explore'] },
  {
    name: 'replay',
    type: 'string',
    arg: 'A,B,..',
    help: 'drive the real threads through this schedule, one agent name per step\n(tui: step by step on the dashboard)',
    commands: ['run', 'tui'],
  },
  // Redis: beyond one machine (parsed and checked in redis-args.ts).
  { name: 'store', type: 'string', arg: 'S', help: 'memory (SharedArrayBuffer, default) | redis', commands: SIMULATING },
  { name: 'redis-url', type: 'string', arg: 'URL', help: 'redis://[user:pass@]host[:port][/db] (default: a private redis-server)', commands: [...SIMULATING, 'agent'] },
  { name: 'lock-ttl', type: 'string', arg: 'DUR', help: 'lease of a Redis lock (lock, fenced), e.g. 100ms (default 5s)', commands: SIMULATING },
  {
    name: 'key-ttl',
    type: 'string',
    arg: 'DUR',
    help: "lease of a Redis run's keys, renewed while it runs (default 15m, at least 1s)",
    commands: SIMULATING,
  },
  { name: 'agents-on', type: 'string', arg: 'WHERE', help: 'threads (default) | processes (one OS process each) | remote (bank-sim agent)', commands: SIMULATING },
  { name: 'dispatch', type: 'string', arg: 'MODE', help: 'agents (each runs its own, default) | queue (a Redis stream, consumer group)', commands: ['tui', 'run', 'compare'] },
  { name: 'pause-holder', type: 'string', arg: 'AGENT@OP:DUR', help: 'that agent stalls in its OP-th transaction after its read (Redis)', commands: ['tui', 'run', 'compare'] },
  {
    name: 'on-deadlock',
    type: 'string',
    arg: 'WHAT',
    help: 'a deadlock on Redis: stop (default: report the cycle, end the run) | expire\n(let the lock TTL break it: the holders write without their locks)',
    commands: ['tui', 'run', 'compare', 'trials'],
  },
  { name: 'join-timeout', type: 'string', arg: 'DUR', help: 'how long to wait for remote agents (default 10s)', commands: ['tui', 'run', 'compare'] },
  { name: 'help', short: 'h', type: 'boolean', help: 'this help (bank-sim COMMAND --help: that command)', commands: COMMANDS },
  { name: 'version', short: 'v', type: 'boolean', help: 'the version', commands: COMMANDS },
];

export function optionSpec(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.name === name || o.short === name);
}

/** The option table in node:util parseArgs form. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  return Object.fromEntries(OPTIONS.map((o) => [o.name, o.short ? { type: o.type, short: o.short } : { type: o.type }]));
}

/** "1-64", "1-1,000,000" */
export function rangeText([lo, hi]: readonly [number, number]): string {
  return `${lo.toLocaleString('en-US')}-${hi.toLocaleString('en-US')}`;
}

/** The help lines of the options that apply to `command` (all of them for the general usage). */
export function optionLines(command?: CommandName): string[] {
  const shown = OPTIONS.filter((o) => !command || o.commands.includes(command));
  return shown.flatMap((o) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
    const help = !o.range ? o.help : o.help.endsWith(')') ? `${o.help.slice(0, -1)}; ${rangeText(o.range)})` : `${o.help} (${rangeText(o.range)})`;
    const [first, ...rest] = help.split('\n');
    return [`  ${flag.padEnd(24)}${first}`, ...rest.map((r) => `${' '.repeat(26)}${r}`)];
  });
}
