import { InvalidArgumentError } from './errors.js';

/**
 * Checks a timeout in milliseconds: `undefined` and `Infinity` mean no timeout; otherwise a
 * finite number >= 0. Returns the absolute deadline on the `performance.now()` clock.
 */
export function deadlineFor(timeoutMs: number | undefined, what: string): number {
  if (timeoutMs === undefined || timeoutMs === Infinity) return Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(`${what}: timeoutMs must be a number >= 0 or Infinity (got ${describe(timeoutMs)})`);
  }
  return performance.now() + timeoutMs;
}

/** Milliseconds left until `deadline` (Infinity stays Infinity, never negative). */
export function remainingMs(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

export function checkInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value;
}
