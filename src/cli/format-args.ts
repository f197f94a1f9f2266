/**
 * A config back to command-line arguments. Every command the program prints (explore's witness
 * replays) is made here, so it carries every flag that shapes the program: only the values that
 * differ from what the command would take by itself are printed, and parsing the result gives
 * the same config back (test/cli/format-args.test.ts checks that on randomized configs).
 */
import { preset, type SimConfig } from '../sim/model/config.js';
import { agentName, rolesOf } from '../sim/model/programs.js';
import { exploreDefaults, usesExploreDefaults } from './explore-args.js';
import { optionSpec, type CommandName } from './options.js';

/** How a printed command starts: works as pasted in the project after `npm install` (package.json's bin). */
export const BIN = 'npx bank-sim';

/** A config that no command line of that command can express (a caller's mistake, not a user's). */
export class FormatError extends Error {
  override name = 'FormatError';
}

export interface FormatOptions {
  command: CommandName;
  /** run / tui --replay: the schedule, agent names joined by commas. */
  replay?: string;
}

/** The config the command starts from before any flag: the scenario's preset, explore's small defaults, Redis's lock order. */
function startingPoint(c: SimConfig, o: FormatOptions): SimConfig {
  const base = preset(c.scenario);
  if (usesExploreDefaults(o.command, o.replay === undefined ? {} : { replay: o.replay })) exploreDefaults(base);
  if (c.store === 'redis' && c.scenario === 'transfer') base.order = 'global';
  return base;
}

/** 1234 cents -> "12.34"; 1200 -> "12" (the form --initial, --amount and --withdraw read). */
export function dollarsText(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0')}`;
}

function amountText([lo, hi]: readonly [number, number]): string {
  return lo === hi ? dollarsText(lo) : `${dollarsText(lo)}-${dollarsText(hi)}`;
}

/** Microseconds -> the shortest exact duration: 0, 250us, 5ms, 2s. */
export function durationText(us: number): string {
  if (us === 0) return '0';
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

function agentText(c: SimConfig, agent: number): string {
  const role = rolesOf(c)[agent];
  if (role === undefined) throw new FormatError(`agent ${agent + 1} does not exist: the config has ${rolesOf(c).length} agents`);
  return agentName(c, role, agent);
}

/** The arguments after the command name (e.g. ['--scenario', 'race', '--sync', 'none', ...]). */
export function formatArgs(c: SimConfig, o: FormatOptions): string[] {
  const base = startingPoint(c, o);
  for (const field of ['depositEveryUs', 'withdrawEveryUs', 'traceCapacity'] as const) {
    if (c[field] !== base[field]) throw new FormatError(`${field} ${c[field]} has no command-line flag (the ${c.scenario} scenario has ${base[field]})`);
  }
  const args: [string, string][] = [
    ['scenario', c.scenario],
    ['sync', c.sync],
  ];
  const differs = (name: string, value: string, baseValue: string): void => {
    if (value !== baseValue) args.push([name, value]);
  };
  differs('agents', String(c.depositors), String(base.depositors));
  differs('withdrawers', String(c.withdrawers), String(base.withdrawers));
  differs('ops', String(c.ops), String(base.ops));
  differs('accounts', String(c.accounts), String(base.accounts));
  differs('order', c.order, base.order);
  differs('permits', String(c.permits), String(base.permits));
  differs('initial', dollarsText(c.initialCents), dollarsText(base.initialCents));
  differs('amount', amountText(c.deposit), amountText(base.deposit));
  differs('withdraw', amountText(c.withdraw), amountText(base.withdraw));
  differs('seed', String(c.seed), String(base.seed));
  differs('window', durationText(c.windowUs), durationText(base.windowUs));
  differs('window-mode', c.windowMode, base.windowMode);
  differs('time-scale', String(c.timeScale), String(base.timeScale));
  if (c.store === 'redis') args.push(['store', 'redis']);
  if (c.crashAt) args.push(['crash', `${agentText(c, c.crashAt.agent)}@${c.crashAt.op}`]);
  if (c.pauseAt) args.push(['pause-holder', `${agentText(c, c.pauseAt.agent)}@${c.pauseAt.op}:${c.pauseAt.ms}ms`]);
  if (o.replay !== undefined) args.push(['replay', o.replay]);
  for (const [name] of args) {
    if (!optionSpec(name)?.commands.includes(o.command)) throw new FormatError(`--${name} does not apply to '${o.command}': this config has no '${o.command}' command line`);
  }
  return args.flatMap(([name, value]) => [`--${name}`, value]);
}

/** The whole command, as a user pastes it: `npx bank-sim run --scenario race ... --replay A,B,B,A`. */
export function formatCommand(c: SimConfig, o: FormatOptions): string {
  return [BIN, o.command, ...formatArgs(c, o)].join(' ');
}
