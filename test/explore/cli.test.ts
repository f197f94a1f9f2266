import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('bank-sim explore / run --replay (built binary)', () => {
  it('explore --json: counts, outcomes in integer cents, witnesses with the fewest preemptions', async () => {
    const { code, stdout } = await cli(['explore', '--scenario', 'race', '--sync', 'none', '--agents', '2', '--ops', '1', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ interleavings: 6, classes: 4, complete: true });
    expect(r.outcomes).toHaveLength(2);
    expect(r.outcomes[0]).toMatchObject({ balance: 200, balances: [200], verdict: 'acceptable', violations: [], interleavings: 2 });
    expect(r.outcomes[1]).toMatchObject({ balance: 100, verdict: 'forbidden', interleavings: 4, witness: { schedule: ['A', 'B', 'B', 'A'], preemptions: 1 } });
    expect(r.outcomes[1].violations[0].name).toBe('balance');
  });

  it('run --replay drives the witness on real threads and says it matches the model', async () => {
    const { code, stdout } = await cli(['run', '--replay', 'A,B,B,A']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/final balance +\$1\.00/);
    expect(stdout).toMatch(/the model predicted \$1\.00: match/);
    // --json: the run report every command gives (integer cents, ok, version), plus the replay.
    const json = JSON.parse((await cli(['run', '--replay', 'A,B,B,A', '--json'])).stdout);
    expect(json).toMatchObject({ ok: false, balance: 100, expected: 200, lostUpdates: 1, replay: { schedule: ['A', 'B', 'B', 'A'], complete: true, matches: true } });
    expect(json.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.violations.map((v: { name: string }) => v.name)).toEqual(['balance']);
  });

  it("a witness's printed replay command carries the program's amounts and replays to the predicted outcome", async () => {
    const explored = await cli(['explore', '--scenario', 'race', '--sync', 'none', '--agents', '2', '--ops', '1', '--initial', '50', '--amount', '2']);
    expect(explored.code).toBe(0);
    const printed = /replay on real threads: (.+)$/m.exec(explored.stdout)?.[1];
    expect(printed).toBe('npx bank-sim run --scenario race --sync none --initial 50 --amount 2 --replay A,B,B,A');
    // Run as printed: `npx bank-sim` is this package's bin, dist/cli.js.
    const args = printed!.split(' ').slice(2);
    const replayed = JSON.parse((await cli([...args, '--json'])).stdout);
    expect(replayed).toMatchObject({ balance: 5200, expected: 5400, lostUpdates: 1, replay: { complete: true, matches: true } });
  });

  it('bad replay input exits 2 naming the step, before anything runs', async () => {
    const unknown = await cli(['run', '--replay', 'A,Z']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("bank-sim: --replay: step 2: no agent named 'Z'; the agents are A, B\n");
    const tui = await cli(['tui', '--replay', 'A,Z']);
    expect(tui.code).toBe(2);
    expect(tui.stderr).toBe("bank-sim: --replay: step 2: no agent named 'Z'; the agents are A, B\n");
    const blocked = await cli(['run', '--sync', 'mutex', '--replay', 'A,B']);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toBe("bank-sim: --replay: step 2: B cannot take 'lock': A holds lock 0\n");
    expect((await cli(['explore', '--scenario', 'transfer', '--order', 'trylock'])).stderr).toMatch(/livelock.*naive and global/);
  });

  it('the state limit prints a clear message with the partial counts', async () => {
    const { code, stdout, stderr } = await cli(['explore', '--agents', '5', '--ops', '3', '--max-states', '1000']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^bank-sim explore: stopped at the state limit \(1,000 states\); counts so far: [\d,]+ interleavings, \d+ outcomes/);
    expect(stdout).toMatch(/PARTIAL: stopped at the state limit/);
  });
});

describe('every witness explore prints replays on real threads, exactly as printed', () => {
  // Programs of two and three transactions per agent with drawn amounts: the schedules reach the
  // later transactions, whose inputs the threads and the model must draw alike.
  it.each([
    ['race', '--scenario race --sync none --agents 2 --ops 2 --amount 1-9'],
    ['transfer (deadlocks)', '--scenario transfer --sync mutex --order naive --agents 2 --ops 2 --accounts 3'],
    ['race, 3 transactions each', '--scenario race --sync none --agents 2 --ops 3'],
  ])('%s', async (_, args) => {
    const explored = await cli(['explore', ...args.split(' '), '--json']);
    expect(explored.code).toBe(0);
    const forbidden = (JSON.parse(explored.stdout).outcomes as { verdict: string; witness: { replay: string } }[]).filter((o) => o.verdict === 'forbidden');
    expect(forbidden.length).toBeGreaterThan(0);
    const results = await Promise.all(
      forbidden.map(async (o) => {
        const [npx, bin, ...rest] = o.witness.replay.split(' ');
        expect(`${npx} ${bin}`).toBe('npx bank-sim');
        const { stdout } = await cli([...rest, '--json']);
        return { command: o.witness.replay, matches: JSON.parse(stdout).replay.matches };
      }),
    );
    expect(results.filter((r) => r.matches !== true)).toEqual([]);
  });
});
