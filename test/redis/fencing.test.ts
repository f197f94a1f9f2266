/**
 * Fencing that covers reads (issue 16, case 4). A holder stalls after its read; its lease
 * expires; a new holder takes the lock and *reads* with its newer token. If only writes carried
 * tokens, the store would never have seen the new token, would accept the stale holder's write,
 * and the new holder's write (computed from its read) would then erase that deposit. Every
 * access carries the token, so the stale write is refused and the stale holder retries.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Seen, WriteResult } from '../../src/sim/model/steps.js';
import { drive, openRun, useRedisServer } from '../helpers/redis.js';
import { transaction } from '../../src/sim/model/programs.js';

const server = useRedisServer();
const DEPOSIT = { role: 'depositor', amount: 100, from: 0, to: 0 } as const;
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

describe('fenced: every access under the lock carries the token', () => {
  it('a stale holder whose successor has only read is refused; nothing is lost', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] }, { lockTtlMs: 150, fenced: true });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      await a.perform({ op: 'lock', lock: 0 });
      const seenA: Seen = await a.perform({ op: 'read', account: 0 });
      // B blocks until A's lease runs out (the lock's TTL is the event it waits for).
      await b.perform({ op: 'lock', lock: 0 });
      const seenB: Seen = await b.perform({ op: 'read', account: 0 });
      expect(b.fencingTokens.get(0)).toBeGreaterThan(a.fencingTokens.get(0)!);
      // A wakes and writes with its old token: B has only read, yet the store knows B's token.
      const wa: WriteResult = await a.perform({ op: 'write', account: 0, seen: seenA, value: seenA.value + 100 });
      expect(wa.rejected).toBe(true);
      const wb: WriteResult = await b.perform({ op: 'write', account: 0, seen: seenB, value: seenB.value + 100 });
      expect(wb.rejected).toBeUndefined();
      expect(wb.stale).toBe(false);
      await b.perform({ op: 'unlock', lock: 0 });
      await a.perform({ op: 'unlock', lock: 0 }); // expired: releases nothing
      const snap = await fx.run.snapshot();
      expect([snap.balance, snap.expected, snap.lostUpdates, snap.staleWrites, snap.fencedRejects, snap.lockLost]).toEqual([100, 100, 0, 0, 1, 1]);
    } finally {
      await fx.close();
    }
  });

  it('a read with a token older than the newest seen is refused and counted', async () => {
    const fx = await openRun(server().url, 2, { balances: [500] }, { lockTtlMs: 150, fenced: true });
    try {
      const [a, b] = fx.stores as [NonNullable<(typeof fx.stores)[0]>, NonNullable<(typeof fx.stores)[0]>];
      await a.perform({ op: 'lock', lock: 0 });
      await b.perform({ op: 'lock', lock: 0 }); // after A's lease ran out
      await b.perform({ op: 'read', account: 0 });
      const seen: Seen = await a.perform({ op: 'read', account: 0 });
      expect(seen.value).toBe(500);
      expect(a.readsRefused).toBe(1);
      expect((await fx.run.snapshot()).fencedReadRejects).toBe(1);
    } finally {
      await fx.close();
    }
  });

  it('a holder stalled past its lease under real concurrency: deposits all land, the stale write is refused and retried', async () => {
    const fx = await openRun(server().url, 2, { balances: [0] }, { lockTtlMs: 100, fenced: true });
    try {
      const moved = await Promise.all(
        // The engine's own `fenced` deposit: a refused write lets go of the lock and tries again.
        fx.stores.map((s, agent) => drive(s, () => transaction('fenced', 'naive', DEPOSIT), 5, { windowMs: 50, stallMs: (txn) => (agent === 0 && txn === 2 ? 80 : 0) })),
      );
      const snap = await fx.run.snapshot();
      expect(moved.reduce((x, y) => x + y, 0)).toBe(1000);
      expect([snap.balance, snap.expected, snap.lostUpdates, snap.staleWrites]).toEqual([1000, 1000, 0, 0]);
    } finally {
      await fx.close();
    }
  });

  it('the CLI case of issue 16 (--lock-ttl 100ms --window 50ms --pause-holder A@2:80ms): loses 0', async () => {
    const args = [
      'run',
      '--redis-url',
      server().url,
      '--sync',
      'fenced',
      '--lock-ttl',
      '100ms',
      '--window',
      '50ms',
      '--pause-holder',
      'A@2:80ms',
      '--agents',
      '2',
      '--ops',
      '5',
      '--json',
    ];
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, out) => resolve({ code: error ? 1 : 0, stdout: out })),
    );
    const report: unknown = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: true, balance: 1000, expected: 1000, lostUpdates: 0, staleWrites: 0, transactions: 10 });
    expect(code).toBe(0);
    // The story: when the successor got in before the stale write (nearly always; not under any
    // load), the report tells of the refusal and the retry instead of a lost deposit.
    if (stdout.includes('another agent took it')) expect(stdout).toMatch(/old fencing token and was refused \(1\), then retried/);
  });
});
