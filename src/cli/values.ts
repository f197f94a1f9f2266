/**
 * What every parser of the command line shares: the error that means "bad input, exit 2", and
 * the durations options take. (A module of its own, so the option parsers import it and not
 * each other.)
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

/** "1ms", "500us", "0.2s", "0" -> microseconds. */
export function duration(flag: string, raw: string, maxUs = 10_000_000): number {
  const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s)?$/.exec(raw.trim());
  const most = maxUs >= 1_000_000 ? `${maxUs / 1_000_000}s` : `${maxUs / 1000}ms`;
  if (!m) throw new UsageError(`${flag} must be a duration from 0 to ${most}, such as 0, 500us, 1ms or 0.2s (got '${raw}')`);
  const value = Number(m[1]);
  const unit = m[2] ?? (value === 0 ? 'us' : undefined);
  if (!unit) throw new UsageError(`${flag} needs a unit: us, ms or s (got '${raw}')`);
  const us = Math.round(value * { us: 1, µs: 1, ms: 1000, s: 1_000_000 }[unit]!);
  if (us > maxUs) throw new UsageError(`${flag} must be from 0 to ${most} (got '${raw}')`);
  return us;
}
