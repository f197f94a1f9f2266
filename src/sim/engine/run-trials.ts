/**
 * Trials as whole runs, one after another, on a store whose agents cannot be held at a
 * shared-memory barrier (Redis: every trial is a run with its own keys, connections and start).
 * Outcomes are grouped and summarized as the shared-memory trials are (trials.ts).
 */
import type { SimConfig } from '../model/config.js';
import type { Report, RunHandle } from './run.js';
import { summarize, type TrialOutcome, type TrialsResult } from './trials.js';

/** Most trials of whole runs one command may ask for. */
export const MAX_RUN_TRIALS = 1000;

export interface RunTrialsOptions {
  trials: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RunTrialsResult {
  result: TrialsResult;
  /** A trial that could not finish (a lost store): why, and which trial. */
  failure: { trial: number; message: string } | null;
}

export async function runTrialsOfRuns<F extends { failure: string | null }>(config: SimConfig, open: () => RunHandle<F>, options: RunTrialsOptions): Promise<RunTrialsResult> {
  const groups = new Map<string, TrialOutcome>();
  let expected: number | null | undefined;
  let done = 0;
  let failure: RunTrialsResult['failure'] = null;
  const t0 = performance.now();
  for (; done < options.trials && !options.signal?.aborted; done++) {
    const run = open();
    const onAbort = (): void => void run.kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let r: Report<F>;
    try {
      r = await run.run();
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (r.interrupted || options.signal?.aborted) {
      if (r.redis?.failure) failure = { trial: done + 1, message: r.redis.failure };
      break;
    }
    expected = expected === undefined || expected === r.expected ? r.expected : null;
    const key = `${r.ok}|${r.balance}|${r.violations.map((v) => v.name).join(',')}`;
    const group = groups.get(key) ?? { verdict: r.ok ? 'acceptable' : 'forbidden', balance: r.balance, count: 0, violations: r.violations };
    group.count++;
    groups.set(key, group);
    options.onProgress?.(done + 1, options.trials);
  }
  const durationMs = performance.now() - t0;
  const result = summarize(config, groups, { trials: done, expected: expected ?? null, durationMs, stride: 1, interrupted: options.signal?.aborted ?? false });
  return { result, failure };
}
