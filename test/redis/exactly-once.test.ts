/**
 * Exactly-once apply (issue 16, case 3): a job delivered twice (a queue re-claim after a paused
 * agent wakes up) is applied once on every safe strategy, because the job id is checked and
 * recorded in the same atomic step as the update (a script, or the WATCHed MULTI/EXEC). On
 * `none` nothing is deduped: the ledger shows the job applied twice.
 */
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../src/sim/model/config.js';
import { transaction, type Tx } from '../../src/sim/model/programs.js';
import type { RedisStoreOptions } from '../../src/sim/stores/redis/store.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';

const server = useRedisServer();

type Safe = 'lua' | 'watch' | 'incrby' | 'lock' | 'fenced';
const SAFE: Safe[] = ['lua', 'watch', 'incrby', 'lock', 'fenced'];

/** Store options of a strategy, as agent.ts sets them. */
function optionsOf(sync: Strategy): Omit<RedisStoreOptions, 'agent' | 'keys'> {
  return { fenced: sync === 'fenced', addVia: sync === 'lua' ? 'script' : 'incrby', moveVia: sync === 'watch' ? 'watch' : 'script', dedupe: sync !== 'none' };
}

const DEPOSIT: Tx = { role: 'depositor', amount: 250, from: 0, to: 0 };
const TRANSFER: Tx = { role: 'transfer', amount: 400, from: 0, to: 1 };

describe('a job delivered twice is applied once', () => {
  for (const sync of SAFE) {
    it(`${sync}: again after the first delivery finished, and twice at once on two agents`, async () => {
      const fx = await openRun(server().url, 2, { balances: [1000] }, optionsOf(sync));
      try {
        const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
        // A re-claim after the first delivery had finished: the same job, then another one.
        a.job = '0:7';
        await drive(a, () => transaction(sync, 'naive', DEPOSIT), 2);
        a.job = '0:8';
        await drive(a, () => transaction(sync, 'naive', DEPOSIT), 1);
        expect(a.duplicatesSkipped).toBe(1);
        // The paused agent wakes while the claimer runs the same job: both inside it at once.
        for (const s of [a, b]) s.job = '1:3';
        await Promise.all([a, b].map((s) => drive(s, () => transaction(sync, 'naive', DEPOSIT), 1, { windowMs: 20 })));
        const snap = await fx.run.snapshot();
        expect([snap.balance, snap.expected, snap.lostUpdates]).toEqual([1750, 1750, 0]);
        const applied = await fx.run.appliedJobs();
        expect([...applied.keys()].sort()).toEqual(['0:7', '0:8', '1:3']);
        for (const job of applied.values()) expect(job).toMatchObject({ count: 1, amount: 250 });
      } finally {
        await fx.close();
      }
    });
  }

  for (const sync of ['lua', 'watch', 'lock'] as const) {
    it(`${sync}: a transfer delivered twice moves its money once, and the ledger names both accounts`, async () => {
      const fx = await openRun(server().url, 1, { balances: [1000, 0] }, optionsOf(sync));
      try {
        const store = fx.stores[0]!;
        store.job = '0:1';
        await drive(store, () => transaction(sync, 'naive', TRANSFER), 2);
        const snap = await fx.run.snapshot();
        expect(snap.accounts.map((a) => a.balance)).toEqual([600, 400]);
        const job = (await fx.run.appliedJobs()).get('0:1');
        expect(job).toMatchObject({ count: 1, amount: 400 });
        expect([...job!.accounts]).toEqual([
          [0, { count: 1, cents: -400 }],
          [1, { count: 1, cents: 400 }],
        ]);
      } finally {
        await fx.close();
      }
    });
  }

  it('none: nothing is deduped, and the ledger shows the job applied twice', async () => {
    const fx = await openRun(server().url, 1, { balances: [0] }, optionsOf('none'));
    try {
      const store = fx.stores[0]!;
      store.job = '0:1';
      await drive(store, () => transaction('none', 'naive', DEPOSIT), 2);
      expect((await fx.run.snapshot()).balance).toBe(500);
      expect((await fx.run.appliedJobs()).get('0:1')).toMatchObject({ count: 2, amount: 250 });
    } finally {
      await fx.close();
    }
  });

  it('a withdrawal refused by its floor is not recorded as applied', async () => {
    const fx = await openRun(server().url, 1, { balances: [100] }, optionsOf('lua'));
    try {
      const store = fx.stores[0]!;
      store.job = '0:1';
      const r = await store.perform({ op: 'add', account: 0, delta: -500, floor: 0 });
      expect(r.ok).toBe(false);
      expect((await fx.run.appliedJobs()).size).toBe(0);
    } finally {
      await fx.close();
    }
  });
});
