/** Time constants and event-time helpers. All times are epoch milliseconds (UTC). */
export const SECOND_MS = 1000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** UTC hour of day, 0..23. */
export function utcHour(ms: number): number {
  return Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** True on Saturday or Sunday (UTC), as pandas' `weekday() >= 5`. */
export function isWeekend(ms: number): boolean {
  const dow = new Date(ms).getUTCDay();
  return dow === 0 || dow === 6;
}

/**
 * Index of the first element of the ascending array `ts` that is strictly
 * greater than `t` (the upper bound). Equals ts.length when none is.
 */
export function upperBound(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
