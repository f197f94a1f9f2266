/** The explorer's limits (states expanded, time) and its progress reports. */

export interface Limits {
  /** Most states to expand before stopping with partial counts. */
  maxStates?: number;
  /** Most milliseconds before stopping with partial counts. */
  timeLimitMs?: number;
  /** Called about every 100 ms with the states expanded so far. */
  onProgress?: (states: number, elapsedMs: number) => void;
}

export const DEFAULT_MAX_STATES = 2_000_000;
export const DEFAULT_TIME_LIMIT_MS = 60_000;

/** Thrown out of the search when a limit strikes; `partial` carries what was counted so far. */
export class LimitReached extends Error {
  override name = 'LimitReached';
  partial: unknown;

  constructor(
    readonly limit: 'states' | 'time',
    readonly value: number,
  ) {
    super(limit === 'states' ? `stopped at the state limit (${value.toLocaleString('en-US')} states)` : `stopped at the time limit (${value / 1000} s)`);
  }
}

export class Budget {
  states = 0;
  private readonly t0 = performance.now();
  private lastProgress = this.t0;
  private readonly maxStates: number;
  private readonly timeLimitMs: number;

  constructor(private readonly limits: Limits) {
    this.maxStates = limits.maxStates ?? DEFAULT_MAX_STATES;
    this.timeLimitMs = limits.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  }

  /** Counts one expanded state; throws LimitReached past a limit. */
  tick(): void {
    if (++this.states > this.maxStates) throw new LimitReached('states', this.maxStates);
    if ((this.states & 1023) !== 0) return;
    const now = performance.now();
    if (now - this.t0 > this.timeLimitMs) throw new LimitReached('time', this.timeLimitMs);
    if (this.limits.onProgress && now - this.lastProgress > 100) {
      this.lastProgress = now;
      this.limits.onProgress(this.states, now - this.t0);
    }
  }

  elapsedMs(): number {
    return performance.now() - this.t0;
  }
}
