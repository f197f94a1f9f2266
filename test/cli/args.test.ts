import { describe, expect, it } from 'vitest';
import { COMMANDS, parse, UsageError } from '../../src/cli/args.js';
import { cli } from '../helpers/cli.js';

/** The UsageError parse throws for argv (fails the test when it parses). */
function refusal(argv: string[]): string {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`parse accepted ${argv.join(' ')}`);
}

const STORE_OPTIONS = [
  ['--store', 'redis'],
  ['--redis-url', 'redis://127.0.0.1:6379'],
  ['--agents-on', 'processes'],
  ['--agents-on', 'remote'],
  ['--lock-ttl', '100ms'],
];

describe('explore and --replay take no store or process option', () => {
  it.each(STORE_OPTIONS)('explore %s %s: refused, saying the model is store-independent and how to replay on threads', (flag, value) => {
    const message = refusal(['explore', '--scenario', 'race', '--sync', 'none', flag!, value!]);
    expect(message).toMatch(/^explore models the programs, not a store: .* same on shared memory and on Redis/);
    expect(message).toContain(`(got ${flag} ${value})`);
    expect(message).toContain('npx bank-sim run ... --replay');
  });

  it.each(['run', 'tui'])('%s --replay with a store or process option: refused', (command) => {
    for (const [flag, value] of [...STORE_OPTIONS, ['--on-deadlock', 'expire']]) {
      expect(refusal([command, '--replay', 'A,B,B,A', flag!, value!])).toBe(
        `--replay drives worker threads on shared memory: it takes no store or process options (got ${flag} ${value}); leave them out`,
      );
    }
  });

  it('the options that name the default store still parse, and other commands keep their Redis options', () => {
    expect(parse(['explore', '--store', 'memory', '--agents-on', 'threads']).redis).toBeNull();
    expect(parse(['run', '--replay', 'A,B', '--store', 'memory']).explore.replay).toBe('A,B');
    expect(parse(['run', '--store', 'redis']).redis).toMatchObject({ url: null, agentsOn: 'threads' });
    expect(parse(['compare', '--redis-url', 'redis://127.0.0.1:6379']).config.store).toBe('redis');
  });

  it('the built binary exits 2 on explore --store redis instead of running something else', async () => {
    const { code, stdout, stderr } = await cli(['explore', '--store', 'redis']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^bank-sim: explore models the programs, not a store/);
  });
});

describe('--help', () => {
  it('parses for every command, even one whose run needs more (agent without --redis-url)', () => {
    for (const command of COMMANDS) {
      const cmd = parse([command, '--help']);
      expect(cmd).toMatchObject({ command, help: true, helpTopic: command });
    }
    expect(parse(['agent', '--version'])).toMatchObject({ command: 'agent', version: true });
  });

  it('every command --help exits 0 with its usage (the built binary)', async () => {
    const results = await Promise.all(COMMANDS.map((command) => cli([command, '--help'])));
    results.forEach(({ code, stdout, stderr }, i) => {
      expect({ command: COMMANDS[i], code, stderr }).toEqual({ command: COMMANDS[i], code: 0, stderr: '' });
      expect(stdout).toMatch(COMMANDS[i] === 'help' ? /^bank-sim - / : new RegExp(`^Usage: bank-sim \\[?${COMMANDS[i]}\\b`));
    });
  });
});
