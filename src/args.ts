/**
 * Command-line parsing (node:util parseArgs): turns argv into a command and a validated
 * SimConfig, or a UsageError whose message names what was wrong and what is allowed.
 */
import { parseArgs } from 'node:util';
import { EXPLORE_COMMAND, EXPLORE_OPTIONS, EXPLORE_USAGE, exploreDefaults, parseExploreFlags, usesExploreDefaults, type ExploreFlags } from './explore-args.js';
import { MAX_TRIALS } from './sim/trials.js';
import { APPLICABLE, ConfigError, LOCK_ORDERS, preset, SCENARIOS, STRATEGIES, validate, type ScenarioName, type SimConfig, type Strategy } from './sim/config.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const COMMANDS = ['tui', 'run', 'compare', 'trials', 'explore', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

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
  /** --order was given explicitly (compare then keeps to it). */
  orderGiven: boolean;
  /** Long names of the options given on the command line. */
  given: string[];
  /** explore's limits, and run --replay's schedule. */
  explore: ExploreFlags;
}

const OPTIONS = {
  scenario: { type: 'string', short: 's' },
  sync: { type: 'string' },
  agents: { type: 'string', short: 'a' },
  withdrawers: { type: 'string' },
  ops: { type: 'string' },
  window: { type: 'string', short: 'w' },
  'window-mode': { type: 'string' },
  seed: { type: 'string' },
  'time-scale': { type: 'string' },
  permits: { type: 'string' },
  accounts: { type: 'string' },
  order: { type: 'string' },
  initial: { type: 'string' },
  amount: { type: 'string' },
  withdraw: { type: 'string' },
  crash: { type: 'string' },
  json: { type: 'boolean' },
  check: { type: 'boolean' },
  trace: { type: 'string' },
  trials: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  ...EXPLORE_OPTIONS,
} as const;

export const USAGE = `bank-sim - race conditions on real threads, and the locks that fix them

Usage:
  bank-sim [tui] [options]        live dashboard (interactive terminal); headless report otherwise
  bank-sim run [options]          run one scenario with one strategy and print a report
  bank-sim compare [options]      run every strategy that applies on the same inputs, one table
  bank-sim trials [options] -n N  run a scenario N times and print the outcome histogram
${EXPLORE_COMMAND}

Options:
  -s, --scenario NAME   ${SCENARIOS.join(' | ')} (default race)
      --sync NAME       ${STRATEGIES.join(' | ')}
                        (tui/compare: a comma list, e.g. none,mutex)
  -a, --agents N        depositors (customers, transfer agents) (1-64)
      --withdrawers N   withdrawers (condition scenario)
      --ops N           transactions per agent
  -w, --window DUR      race window between read and write: 0, 500us, 1ms, 0.2s (default 1ms)
      --window-mode M   sleep | spin (busy-wait, CPU-bound window)
      --seed N          fixes amounts and schedules (default 42)
      --time-scale X    multiplies pauses between transactions (0.01 = 100x faster)
      --permits K       semaphore permits / teller windows
      --accounts N      accounts (transfer scenario)
      --order MODE      ${LOCK_ORDERS.join(' | ')}: lock order for transfers (naive deadlocks)
      --initial $       opening balance of each account, in dollars (e.g. 100 or 12.50)
      --amount $[-$]    deposit / transfer amount or range in dollars (e.g. 1 or 5-10)
      --withdraw $[-$]  withdrawal amount or range in dollars
      --crash AGENT@OP  fault injection: that agent crashes during its OP-th transaction
      --json            print one machine-readable report (money in integer cents)
      --check           exit 1 if an invariant is violated (for CI)
      --trace FILE      write every event of the run to FILE as JSON lines
  -n, --trials N        number of runs for 'trials' (default 200)
  -h, --help            this help
  -v, --version         the version

${EXPLORE_USAGE}

Exit codes: 0 ok, 1 invariant violated (with --check) or run failed, 2 usage error, 130 interrupted.`;

/** Parses argv (without node and script). Throws UsageError for any bad input. */
export function parse(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}\nRun 'bank-sim --help' for the options.`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected one command, got: ${positionals.join(' ')}`);
  const command = (positionals[0] ?? 'tui') as CommandName;
  if (!COMMANDS.includes(command)) {
    throw new UsageError(`unknown command '${positionals[0]}'; commands: ${COMMANDS.join(', ')}`);
  }
  const scenario = (v.scenario ?? 'race') as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    throw new UsageError(`unknown scenario '${v.scenario}'; scenarios: ${SCENARIOS.join(', ')}`);
  }
  const config = preset(scenario);
  if (usesExploreDefaults(command, v)) exploreDefaults(config);
  const explore = parseExploreFlags(v, command, {
    fail: (message) => {
      throw new UsageError(message);
    },
    duration,
  });
  const strategies = parseStrategies(v.sync, scenario, command);
  config.sync = strategies[0]!;
  if (v.agents !== undefined) config.depositors = int('--agents', v.agents);
  if (v.withdrawers !== undefined) config.withdrawers = int('--withdrawers', v.withdrawers);
  if (v.ops !== undefined) config.ops = int('--ops', v.ops);
  if (v.window !== undefined) config.windowUs = duration('--window', v.window);
  if (v['window-mode'] !== undefined) {
    if (v['window-mode'] !== 'sleep' && v['window-mode'] !== 'spin') {
      throw new UsageError(`--window-mode must be sleep or spin (got '${v['window-mode']}')`);
    }
    config.windowMode = v['window-mode'];
  }
  if (v.seed !== undefined) config.seed = int('--seed', v.seed);
  if (v['time-scale'] !== undefined) config.timeScale = num('--time-scale', v['time-scale']);
  if (v.permits !== undefined) config.permits = int('--permits', v.permits);
  if (v.accounts !== undefined) config.accounts = int('--accounts', v.accounts);
  if (v.order !== undefined) {
    if (!(LOCK_ORDERS as readonly string[]).includes(v.order)) {
      throw new UsageError(`--order must be one of ${LOCK_ORDERS.join(', ')} (got '${v.order}')`);
    }
    if (scenario !== 'transfer') throw new UsageError('--order applies to the transfer scenario only');
    config.order = v.order as SimConfig['order'];
  }
  if (v.initial !== undefined) config.initialCents = dollars('--initial', v.initial);
  if (v.amount !== undefined) config.deposit = range('--amount', v.amount);
  if (v.withdraw !== undefined) config.withdraw = range('--withdraw', v.withdraw);
  const trials = v.trials !== undefined ? int('--trials', v.trials) : 200;
  if (trials < 1 || trials > MAX_TRIALS) throw new UsageError(`--trials must be from 1 to ${MAX_TRIALS.toLocaleString('en-US')} (got ${raw(v.trials)})`);
  if (v.trials !== undefined && command !== 'trials' && command !== 'explore') throw new UsageError("-n/--trials applies to the 'trials' command only (and to 'explore', for measured shares)");
  if (v.crash !== undefined) config.crashAt = crash(v.crash, config);
  if (v.crash !== undefined && command === 'trials') {
    throw new UsageError("--crash applies to run, compare and the dashboard, not to 'trials' (its agents run trial after trial and must live)");
  }
  if (v.trace !== undefined && command !== 'run') throw new UsageError("--trace applies to the 'run' command only");
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
    json: v.json ?? false,
    check: v.check ?? false,
    trace: v.trace ?? null,
    trials,
    version: v.version ?? false,
    help: v.help ?? command === 'help',
    orderGiven: v.order !== undefined,
    given: Object.keys(v),
    explore,
  };
}

function parseStrategies(raw: string | undefined, scenario: ScenarioName, command: CommandName): Strategy[] {
  const applicable = APPLICABLE[scenario];
  if (raw === undefined) {
    if (command === 'compare') return [...applicable];
    if (command === 'tui') return scenario === 'race' ? ['none', 'mutex'] : applicable.slice(0, 2);
    return [applicable[0]!];
  }
  const list = raw.split(',').map((s) => s.trim());
  if ((command === 'run' || command === 'trials') && list.length > 1) {
    throw new UsageError(`'${command}' takes one --sync strategy (got ${raw}); use 'compare' for several`);
  }
  for (const s of list) {
    if (!(STRATEGIES as readonly string[]).includes(s)) {
      throw new UsageError(`unknown strategy '${s}'; strategies: ${STRATEGIES.join(', ')}`);
    }
    if (!applicable.includes(s as Strategy)) {
      throw new UsageError(`strategy '${s}' does not apply to the ${scenario} scenario; use one of: ${applicable.join(', ')}`);
    }
  }
  if (command === 'tui' && list.length > 3) throw new UsageError('the dashboard shows at most 3 strategies side by side');
  return list as Strategy[];
}

function int(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be a whole number >= 0 (got '${raw}')`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} is too large (got '${raw}')`);
  return n;
}

function num(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got '${raw}')`);
  return n;
}

/** "1ms", "500us", "0.2s", "0" -> microseconds. */
export function duration(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 0, 500us, 1ms or 0.2s (got '${raw}')`);
  const value = Number(m[1]);
  const unit = m[2] ?? (value === 0 ? 'us' : undefined);
  if (!unit) throw new UsageError(`${flag} needs a unit: us, ms or s (got '${raw}')`);
  const us = Math.round(value * { us: 1, µs: 1, ms: 1000, s: 1_000_000 }[unit]!);
  if (us > 10_000_000) throw new UsageError(`${flag} must be at most 10s (got '${raw}')`);
  return us;
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
  return { agent: agentIndexOf(m[1]!.toUpperCase(), config), op: Number(m[2]) };
}

function agentIndexOf(name: string, c: SimConfig): number {
  if (c.scenario === 'race' || c.scenario === 'async') {
    if (/^[A-Z]$/.test(name)) return name.charCodeAt(0) - 65;
    const m = /^A(\d+)$/.exec(name);
    if (m) return Number(m[1]) - 1;
  } else {
    const m = /^([DWTC])(\d+)$/.exec(name);
    if (m) return (m[1] === 'W' ? c.depositors : 0) + Number(m[2]) - 1;
  }
  throw new UsageError(`--crash: no agent named ${name} in the ${c.scenario} scenario`);
}

function raw(value: string | undefined): string {
  return `'${value ?? ''}'`;
}
