/**
 * Command-line parsing (node:util parseArgs): turns argv into a command and a validated
 * SimConfig, or a UsageError whose message names what was wrong and what is allowed.
 */
import { parseArgs } from 'node:util';
import { duration, UsageError } from './values.js';
import { COMMANDS, optionSpec, parseArgsOptions, rangeText, type CommandName } from './options.js';
import { isCommand } from './usage.js';
import { agentIndexOf } from './agent-names.js';
import {
  applicableOn,
  ConfigError,
  LOCK_ORDERS,
  preset,
  REDIS_STRATEGIES,
  SCENARIOS,
  STRATEGIES,
  storeMismatch,
  validate,
  type ScenarioName,
  type SimConfig,
  type StoreKind,
  type Strategy,
} from '../sim/model/config.js';
import { exploreDefaults, parseExploreFlags, usesExploreDefaults, type ExploreFlags } from './explore-args.js';
import { parseRedisOptions, refuseSharedAcrossProcesses, refuseStoreOptions, storeOf, type RedisCommandOptions } from './redis-args.js';

export { COMMANDS, type CommandName, duration, UsageError };

export interface Command {
  command: CommandName;
  config: SimConfig;
  /** Strategies to show (tui panes, compare rows); for run/trials, [config.sync]. */
  strategies: Strategy[];
  json: boolean;
  check: boolean;
  trace: string | null;
  trials: number;
  version: boolean;
  help: boolean;
  /** The command whose help to print (`help run`, `run --help`); 'help' for the general usage. */
  helpTopic: CommandName;
  /** --order was given explicitly (compare then keeps to it). */
  orderGiven: boolean;
  /** Long names of the options given on the command line. */
  given: string[];
  /** Runs on Redis (--store redis) and the agent command: the Redis options; null on shared memory. */
  redis: RedisCommandOptions | null;
  /** explore's limits, and run/tui --replay's schedule. */
  explore: ExploreFlags;
}

/**
 * `--agents -3`: node's parser takes -3 for an option. A negative number after an option that
 * takes a value is that option's value, so our own range message can name it.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const m = /^--?([\w-]+)$/.exec(a);
    const spec = m ? optionSpec(m[1]!) : undefined;
    if (spec?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${spec.name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** node's parser over the option table; its errors (unknown option, missing value) as a UsageError. */
function readArgv(argv: string[]) {
  try {
    return parseArgs({ args: joinNegativeValues(argv), options: parseArgsOptions(), allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.replace(/\. To specify.*$/s, '')}\nRun 'bank-sim --help' for the options.`);
  }
}

/** Parses argv (without node and script). Throws UsageError for any bad input. */
export function parse(argv: string[]): Command {
  const { values, positionals } = readArgv(argv);
  const v = values as Record<string, string | boolean | undefined>;
  const str = (name: string): string | undefined => v[name] as string | undefined;
  const command = (positionals[0] ?? 'tui') as CommandName;
  if (!isCommand(command)) {
    throw new UsageError(`unknown command '${positionals[0]}'; commands: ${COMMANDS.join(', ')}`);
  }
  if (command === 'help') {
    const topic = positionals[1] ?? 'help';
    if (positionals.length > 2 || !isCommand(topic))
      throw new UsageError(`'help' takes one command: ${COMMANDS.filter((c) => c !== 'help').join(', ')} (got ${positionals.slice(1).join(' ')})`);
    return { ...parse([]), command, help: true, helpTopic: topic };
  }
  if (positionals.length > 1) throw new UsageError(`expected one command, got: ${positionals.join(' ')}`);
  if (v.help === true || v.version === true) {
    // Help and the version need no valid run: `agent --help` works without the --redis-url an agent needs.
    return { ...parse([]), command, help: v.help === true, version: v.version === true, helpTopic: positionals[0] ? command : 'help' };
  }
  for (const name of Object.keys(v)) {
    const spec = optionSpec(name)!;
    if (!spec.commands.includes(command)) {
      const quoted = spec.commands.map((c) => `'${c}'`);
      const where = quoted.length === 1 ? `the ${quoted[0]} command only` : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
      throw new UsageError(`--${name}${spec.short ? ` (-${spec.short})` : ''} applies to ${where}, not to '${command}'`);
    }
  }
  const scenario = (str('scenario') ?? 'race') as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    throw new UsageError(`unknown scenario '${str('scenario')}'; scenarios: ${SCENARIOS.join(', ')}`);
  }
  const redisValues = v as Parameters<typeof storeOf>[0];
  refuseStoreOptions(redisValues, command, str('replay') !== undefined);
  refuseSharedAcrossProcesses(redisValues, str('sync'));
  const config = preset(scenario);
  if (usesExploreDefaults(command, { replay: str('replay') })) exploreDefaults(config);
  const explore = parseExploreFlags(v as Parameters<typeof parseExploreFlags>[0], command, {
    fail: (message) => {
      throw new UsageError(message);
    },
    duration,
  });
  const strategies = parseStrategies(str('sync'), scenario, command, storeOf(redisValues));
  // tui --replay: one pane unless --sync asks for more (a schedule rarely fits two strategies).
  if (command === 'tui' && str('replay') !== undefined && str('sync') === undefined) strategies.splice(1);
  config.sync = strategies[0]!;
  const int = (name: string): number | undefined => (str(name) === undefined ? undefined : whole(name, str(name)!));
  config.depositors = int('agents') ?? config.depositors;
  config.withdrawers = int('withdrawers') ?? config.withdrawers;
  config.ops = int('ops') ?? config.ops;
  if (str('window') !== undefined) config.windowUs = duration('--window', str('window')!);
  const windowMode = str('window-mode');
  if (windowMode !== undefined) {
    if (windowMode !== 'sleep' && windowMode !== 'spin') throw new UsageError(`--window-mode must be sleep or spin (got '${windowMode}')`);
    config.windowMode = windowMode;
  }
  config.seed = int('seed') ?? config.seed;
  if (str('time-scale') !== undefined) config.timeScale = num('--time-scale', str('time-scale')!);
  config.permits = int('permits') ?? config.permits;
  config.accounts = int('accounts') ?? config.accounts;
  const order = str('order');
  if (order !== undefined) {
    if (!(LOCK_ORDERS as readonly string[]).includes(order)) {
      throw new UsageError(`--order must be one of ${LOCK_ORDERS.join(', ')} (got '${order}')`);
    }
    if (scenario !== 'transfer') throw new UsageError('--order applies to the transfer scenario only');
    config.order = order as SimConfig['order'];
  }
  if (str('initial') !== undefined) config.initialCents = dollars('--initial', str('initial')!);
  if (str('amount') !== undefined) config.deposit = range('--amount', str('amount')!);
  if (str('withdraw') !== undefined) config.withdraw = range('--withdraw', str('withdraw')!);
  const trials = int('trials') ?? 200;
  if (str('crash') !== undefined) config.crashAt = crash(str('crash')!, config);
  const trace = str('trace') ?? null;
  if (trace === '') throw new UsageError('--trace needs a file path (got an empty value)');
  const redis = parseRedisOptions(redisValues, command, config, order !== undefined);
  try {
    validate(config);
    for (const s of strategies) validate({ ...config, sync: s });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    command,
    config,
    strategies,
    json: v.json === true,
    check: v.check === true,
    trace,
    trials,
    version: false,
    help: false,
    helpTopic: positionals[0] ? command : 'help',
    orderGiven: order !== undefined,
    given: Object.keys(v),
    redis,
    explore,
  };
}

function parseStrategies(raw: string | undefined, scenario: ScenarioName, command: CommandName, store: StoreKind): Strategy[] {
  const applicable = applicableOn(store, scenario);
  const known: readonly string[] = [...STRATEGIES, ...REDIS_STRATEGIES];
  if (applicable.length === 0) throw new UsageError(storeMismatch(store, scenario, 'none') ?? `the ${scenario} scenario does not run on this store`);
  if (raw === undefined) {
    if (command === 'compare') return [...applicable];
    if (command === 'tui') return scenario === 'race' && store === 'memory' ? ['none', 'mutex'] : applicable.slice(0, 2);
    return [applicable[0]!];
  }
  const list = raw.split(',').map((s) => s.trim());
  if ((command === 'run' || command === 'trials') && list.length > 1) {
    throw new UsageError(`'${command}' takes one --sync strategy (got ${raw}); use 'compare' for several`);
  }
  for (const s of list) {
    if (!known.includes(s)) {
      throw new UsageError(`unknown strategy '${s}'; strategies: ${STRATEGIES.join(', ')}; on Redis: ${REDIS_STRATEGIES.join(', ')}`);
    }
    const mismatch = storeMismatch(store, scenario, s as Strategy);
    if (mismatch) throw new UsageError(mismatch);
    if (!applicable.includes(s as Strategy)) {
      throw new UsageError(`strategy '${s}' does not apply to the ${scenario} scenario${store === 'redis' ? ' on Redis' : ''}; use one of: ${applicable.join(', ')}`);
    }
  }
  if (command === 'tui' && list.length > 3) throw new UsageError('the dashboard shows at most 3 strategies side by side');
  return list as Strategy[];
}

/** A whole number within the option's range (from the option table). */
function whole(name: string, raw: string): number {
  const spec = optionSpec(name)!;
  const [lo, hi] = spec.range!;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || n < lo || n > hi) {
    throw new UsageError(`--${name} must be a whole number, ${rangeText(spec.range!)} (got '${raw}')`);
  }
  return n;
}

function num(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got '${raw}')`);
  return n;
}

function dollars(flag: string, raw: string): number {
  const m = /^\$?(\d+)(?:\.(\d{1,2}))?$/.exec(raw.trim());
  if (!m) throw new UsageError(`${flag} must be an amount in dollars such as 100 or 12.50 (got '${raw}')`);
  const cents = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
  if (cents > 0x7fff_ffff) throw new UsageError(`${flag} is too large: at most $21474836.47 (got '${raw}')`);
  return cents;
}

function range(flag: string, raw: string): [number, number] {
  const [lo = '', hi = lo, ...rest] = raw.split('-');
  if (rest.length || lo === '') throw new UsageError(`${flag} must be an amount or a range such as 5-10 (got '${raw}')`);
  const a = dollars(flag, lo);
  const b = dollars(flag, hi);
  if (a < 1 || b < a) throw new UsageError(`${flag} must be a positive amount or a range low-high (got '${raw}')`);
  return [a, b];
}

function crash(raw: string, config: SimConfig): { agent: number; op: number } {
  const m = /^([A-Za-z]+\d*)@(\d+)$/.exec(raw);
  if (!m) throw new UsageError(`--crash must be AGENT@OP, e.g. C@3 or D2@5 (got '${raw}')`);
  const name = m[1]!.toUpperCase();
  const agent = agentIndexOf(name, config);
  if (agent === null) throw new UsageError(`--crash: no agent named ${name} in the ${config.scenario} scenario`);
  return { agent, op: Number(m[2]) };
}
