import { describe, expect, it } from 'vitest';
import { parse } from '../../src/cli/args.js';
import { FormatError, formatArgs, formatCommand, type FormatOptions } from '../../src/cli/format-args.js';
import { applicableOn, ConfigError, LOCK_ORDERS, SCENARIOS, validate, type SimConfig } from '../../src/sim/model/config.js';
import { between, rng } from '../../src/sim/model/rng.js';

type Next = () => number;
const pick = <T>(next: Next, xs: readonly T[]): T => xs[between(next, 0, xs.length - 1)]!;
const sometimes = (next: Next): boolean => next() < 0.5;
/** Mostly small values (the programs people run), sometimes anywhere in the allowed range. */
const count = (next: Next, lo: number, small: number, hi: number): number => (next() < 0.8 ? between(next, lo, small) : between(next, lo, hi));
const cents = (next: Next): number => pick(next, [between(next, 1, 100) * 100, between(next, 1, 99_999), between(next, 1, 2_000_000)]);

/** How the program is asked for: the command, and a replay schedule or the Redis store. */
const SHAPES = [
  { command: 'run', replay: false, redis: false },
  { command: 'run', replay: true, redis: false },
  { command: 'explore', replay: false, redis: false },
  { command: 'compare', replay: false, redis: false },
  { command: 'trials', replay: false, redis: false },
  { command: 'run', replay: false, redis: true },
  { command: 'compare', replay: false, redis: true },
] as const;

/**
 * A random program: what parse gives for the command alone (the preset, explore's defaults, the
 * store's lock order), then each field that a flag sets changed at random. Null when the result is
 * not a valid config (validate refuses it).
 */
function randomCase(next: Next): { config: SimConfig; options: FormatOptions } | null {
  const shape = pick(next, SHAPES);
  const scenario = pick(next, SCENARIOS);
  const replay = shape.replay ? 'A,B,B,A' : undefined;
  const start = [shape.command, '--scenario', scenario, ...(replay ? ['--replay', replay] : []), ...(shape.redis ? ['--store', 'redis'] : [])];
  if (shape.redis && scenario === 'async') return null; // no Redis form
  const c = parse(start).config;
  c.sync = pick(next, applicableOn(c.store, scenario));
  if (sometimes(next)) c.depositors = count(next, 1, 12, 64);
  if (sometimes(next)) c.withdrawers = count(next, scenario === 'condition' ? 1 : 0, 4, 64 - c.depositors);
  if (sometimes(next)) c.ops = count(next, 1, 20, 1_000_000);
  if (sometimes(next)) c.accounts = count(next, scenario === 'transfer' ? 2 : 1, 5, 16);
  if (scenario === 'transfer' && sometimes(next)) c.order = pick(next, LOCK_ORDERS);
  if (sometimes(next)) c.permits = count(next, 1, 4, 64);
  if (sometimes(next)) c.initialCents = pick(next, [0, cents(next)]);
  if (sometimes(next)) c.deposit = ((lo) => [lo, sometimes(next) ? lo : lo + cents(next)])(cents(next));
  if (sometimes(next)) c.withdraw = ((lo) => [lo, sometimes(next) ? lo : lo + cents(next)])(cents(next));
  if (sometimes(next)) c.seed = pick(next, [between(next, 0, 100), between(next, 0, 0xffff_ffff)]);
  if (sometimes(next)) c.windowUs = pick(next, [0, between(next, 1, 10_000), between(next, 0, 10) * 1000, between(next, 0, 10) * 1_000_000, between(next, 0, 10_000_000)]);
  if (sometimes(next)) c.windowMode = pick(next, ['sleep', 'spin'] as const);
  if (sometimes(next)) c.timeScale = pick(next, [0.01, 0.5, 2, 100, between(next, 1, 10_000) / 100, next() * 100 || 1]);
  const faults = shape.command === 'run' || shape.command === 'compare';
  if (faults && !replay && sometimes(next)) c.crashAt = { agent: between(next, 0, c.depositors + c.withdrawers - 1), op: between(next, 1, c.ops) };
  if (faults && !replay && sometimes(next)) c.pauseAt = { agent: between(next, 0, c.depositors + c.withdrawers - 1), op: between(next, 1, c.ops), ms: between(next, 0, 5000) };
  try {
    validate(c);
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
  return { config: c, options: replay ? { command: shape.command, replay } : { command: shape.command } };
}

describe('formatArgs: a config back to command-line arguments', () => {
  it('parse(format(config)) gives back the same config, for 400 randomized programs (seeded)', () => {
    const next = rng(15);
    let cases = 0;
    let tries = 0;
    const flagsSeen = new Set<string>();
    while (cases < 400) {
      tries++;
      expect(tries).toBeLessThan(4000); // the generator mostly makes valid configs
      const made = randomCase(next);
      if (!made) continue;
      cases++;
      const args = formatArgs(made.config, made.options);
      for (const a of args) if (a.startsWith('--')) flagsSeen.add(a);
      const back = parse([made.options.command, ...args]);
      expect({ args, config: back.config }).toEqual({ args, config: made.config });
      expect(back.explore.replay).toBe(made.options.replay ?? null);
    }
    // Every flag that shapes a program was printed (and read back) at least once.
    for (const flag of [
      '--agents',
      '--withdrawers',
      '--ops',
      '--accounts',
      '--order',
      '--permits',
      '--initial',
      '--amount',
      '--withdraw',
      '--seed',
      '--window',
      '--window-mode',
      '--time-scale',
      '--store',
      '--crash',
      '--pause-holder',
      '--replay',
    ]) {
      expect(flagsSeen).toContain(flag);
    }
  });

  it('prints only what differs from the command by itself, as a command that works pasted in the project', () => {
    expect(formatCommand(parse(['run', '--replay', 'A,B']).config, { command: 'run', replay: 'A,B' })).toBe('npx bank-sim run --scenario race --sync none --replay A,B');
    const c = parse(['explore', '--scenario', 'transfer', '--sync', 'none', '--initial', '12.5', '--amount', '1-2.05', '--window', '1.5ms']).config;
    expect(formatCommand(c, { command: 'run', replay: 'T1,T2' })).toBe(
      'npx bank-sim run --scenario transfer --sync none --initial 12.50 --amount 1-2.05 --window 1500us --replay T1,T2',
    );
    // On Redis a transfer takes its locks in the global order unless told: naive must be printed.
    const naive = parse(['run', '--store', 'redis', '--scenario', 'transfer', '--sync', 'lock', '--order', 'naive']).config;
    expect(formatArgs(naive, { command: 'run' })).toEqual(['--scenario', 'transfer', '--sync', 'lock', '--order', 'naive', '--store', 'redis']);
  });

  it('refuses a config its command cannot express', () => {
    const crash = parse(['run', '--crash', 'B@1']).config;
    expect(() => formatArgs(crash, { command: 'trials' })).toThrow(FormatError);
    expect(() => formatArgs({ ...crash, traceCapacity: 7 }, { command: 'run' })).toThrow(/traceCapacity 7 has no command-line flag/);
  });
});
