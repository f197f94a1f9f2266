/**
 * Trials, as OpenJDK's jcstress runs them: the agents are started once and run trial after
 * trial. Each round of trials starts at one shared-memory barrier and works through a *stride*
 * of independent trial states (slots), so the cost of the barrier is shared by many trials.
 * Every trial is judged by the one verdict function; outcomes are grouped by (verdict, final
 * balance, violations).
 */
import { AgentPool } from '../stores/memory/agent-pool.js';
import { validate, type SimConfig } from '../model/config.js';
import { ACCOUNT, SLOT } from '../stores/memory/layout.js';
import { outcomeOf } from '../stores/memory/backend.js';
import { judge, type Violation } from '../model/verdict.js';

/** Most trials one command may ask for. */
export const MAX_TRIALS = 100_000_000;
/** Trial states per round when trials are short (no window, no pauses): jcstress's stride. */
export const STRIDE = 256;

export interface TrialOutcome {
  verdict: 'acceptable' | 'forbidden';
  /** Final balance (cents), all accounts together. */
  balance: number;
  count: number;
  /** The invariants that broke, each with the reason seen in the first such trial. */
  violations: Violation[];
}

export interface TrialsResult {
  scenario: SimConfig['scenario'];
  sync: SimConfig['sync'];
  config: SimConfig;
  seed: number;
  trials: number;
  acceptable: number;
  forbidden: number;
  /** What the balance should be: the same in every trial when the inputs fix it, else null. */
  expected: number | null;
  outcomes: TrialOutcome[];
  durationMs: number;
  trialsPerSecond: number;
  /** Trial states per barrier. */
  stride: number;
  interrupted: boolean;
}

export interface TrialsOptions {
  trials: number;
  signal?: AbortSignal;
  /** Trial states per barrier; by default STRIDE for short trials, else 1 (see strideFor). */
  stride?: number;
  /** Called now and then with the trials done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Short trials (no race window, no pauses between transactions) share one barrier among many. */
export function strideFor(c: SimConfig, trials: number): number {
  const short = c.windowUs === 0 && c.depositEveryUs === 0 && c.withdrawers === 0 && c.scenario === 'race' && c.sync !== 'async' && c.sync !== 'async-mutex';
  return short ? Math.min(STRIDE, trials) : 1;
}

export async function runTrials(config: SimConfig, options: TrialsOptions): Promise<TrialsResult> {
  const c = validate({ ...config });
  const total = options.trials;
  const stride = Math.max(1, Math.min(options.stride ?? strideFor(c, total), total));
  const pool = new AgentPool(c, stride, { trace: false });
  const groups = new Map<string, TrialOutcome>();
  // Judging costs microseconds (it writes sentences); the raw figures repeat, so each distinct
  // set of figures is judged once and looked up after that.
  const bySignature = new Map<string, TrialOutcome>();
  const shared = pool.shared;
  let done = 0;
  let interrupted = false;
  let expected: number | null | undefined;
  const onAbort = (): void => {
    interrupted = true;
    pool.abandon();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) interrupted = true;
  const t0 = performance.now();
  let lastProgress = 0;
  try {
    await pool.start();
    while (done < total && !interrupted) {
      const slots = Math.min(stride, total - done);
      const round = await pool.round(slots);
      if (interrupted) break; // the unfinished round does not count
      if (pool.crashed.length > 0) throw new Error(`an agent died during the trials: ${pool.crashed[0]!.agent}: ${pool.crashed[0]!.message}`);
      for (let slot = 0; slot < slots; slot++) {
        let signature = '';
        for (let a = 0; a < c.accounts; a++) {
          signature += `${shared.balance(slot, a)},${shared.version(slot, a)},${shared.g(shared.account(slot, a, ACCOUNT.EXPECTED))},${shared.g(shared.account(slot, a, ACCOUNT.COMMITS))};`;
        }
        signature += `${shared.g(shared.slot(slot, SLOT.MIN_BALANCE))},${shared.g(shared.slot(slot, SLOT.SERVING_MAX))},${round.deadlock?.text ?? ''}`;
        let group = bySignature.get(signature);
        if (!group) {
          const outcome = outcomeOf(shared, slot, round.deadlock, []);
          const verdict = judge(c, outcome);
          const balance = outcome.accounts.reduce((sum, a) => sum + a.balance, 0);
          const due = outcome.accounts.reduce((sum, a) => sum + a.expected, 0);
          expected = expected === undefined || expected === due ? due : null;
          const key = `${verdict.ok}|${balance}|${verdict.violations.map((v) => v.name).join(',')}`;
          group = groups.get(key);
          if (!group) {
            group = { verdict: verdict.ok ? 'acceptable' : 'forbidden', balance, count: 0, violations: verdict.violations };
            groups.set(key, group);
          }
          bySignature.set(signature, group);
        }
        group.count++;
      }
      done += slots;
      const now = performance.now();
      if (options.onProgress && now - lastProgress > 100) {
        lastProgress = now;
        options.onProgress(done, total);
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (interrupted) await pool.kill();
    else await pool.close();
  }
  const durationMs = performance.now() - t0;
  return summarize(c, groups, { trials: done, expected: expected ?? null, durationMs, stride, interrupted });
}

/** The trials result from its outcome groups: outcomes in balance order, counts by verdict. */
export function summarize(c: SimConfig, groups: Map<string, TrialOutcome>, run: Pick<TrialsResult, 'trials' | 'expected' | 'durationMs' | 'stride' | 'interrupted'>): TrialsResult {
  const outcomes = [...groups.values()].sort((a, b) => a.balance - b.balance || a.verdict.localeCompare(b.verdict));
  const count = (v: TrialOutcome['verdict']): number => outcomes.filter((o) => o.verdict === v).reduce((sum, o) => sum + o.count, 0);
  return {
    scenario: c.scenario,
    sync: c.sync,
    config: c,
    seed: c.seed,
    acceptable: count('acceptable'),
    forbidden: count('forbidden'),
    outcomes,
    trialsPerSecond: run.durationMs > 0 ? (run.trials * 1000) / run.durationMs : 0,
    ...run,
  };
}
