/** Numbers for people: thousands separators and natural units (shared by the reports and the dashboard). */

/** 1657 -> "1,657". */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration in microseconds in its natural unit: "0", "500 µs", "10 ms", "1.5 s". */
export function micros(us: number): string {
  if (us === 0) return '0';
  if (us < 1000) return `${trim(us)} µs`;
  if (us < 1_000_000) return `${trim(us / 1000)} ms`;
  return `${trim(us / 1_000_000)} s`;
}

/** A duration in milliseconds in its natural unit: "12 ms", "1.5 s", "2 min 5 s". */
export function millis(ms: number): string {
  if (ms >= 120_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return micros(Math.round(ms * 1000));
}

/** Seconds with one decimal for a running clock: "12.3 s". */
export function clock(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Up to 3 significant digits for small values, whole numbers with separators for large ones. */
function trim(x: number): string {
  if (x >= 100) return count(x);
  return String(Number(x.toPrecision(x >= 10 ? 3 : 2)));
}
