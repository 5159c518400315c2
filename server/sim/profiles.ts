/** Daily usage curves (local time): how busy the streets are at each hour, relative to the daily mean. */

/** Litter in the bins: low at night, peaks at lunch and in the evening. */
export const BIN_USE_BY_HOUR = [
  0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.0, 1.1, 1.5, 1.8, 1.6, 1.2, 1.1, 1.2, 1.6, 1.8, 1.7, 1.4, 1.0, 0.6, 0.3,
] as const;

/** Toilet visits: morning and evening peaks. */
export const TOILET_USE_BY_HOUR = [
  0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.9, 1.6, 1.8, 1.4, 1.2, 1.3, 1.4, 1.2, 1.1, 1.1, 1.3, 1.7, 1.9, 1.6, 1.3, 0.9, 0.5, 0.2,
] as const;

/**
 * Case reports (patrols, hotline, citizens): almost none at night, a mid-morning peak when
 * patrols are out and offices open, a second one late in the afternoon.
 */
export const CASE_REPORTS_BY_HOUR = [
  0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0, 2.1, 1.7, 1.1, 1.0, 1.3, 1.7, 1.9, 1.7, 1.2, 0.9, 0.7, 0.5, 0.35, 0.2,
] as const;

/** Linear interpolation of an hourly curve at a minute of the day. */
export function atMinute(curve: readonly number[], minute: number): number {
  const h = minute / 60;
  const i = Math.floor(h) % 24;
  const t = h - Math.floor(h);
  return curve[i]! * (1 - t) + curve[(i + 1) % 24]! * t;
}

/** Integral of an hourly curve from one minute of the day forward to another (wrapping midnight), in curve-hours. */
export function integrateMinutes(curve: readonly number[], fromMinute: number, toMinute: number): number {
  const span = (toMinute - fromMinute + 1440) % 1440;
  let sum = 0;
  for (let m = 0; m < span; m += 10) sum += atMinute(curve, (fromMinute + m + 5) % 1440) * (Math.min(10, span - m) / 60);
  return sum;
}
