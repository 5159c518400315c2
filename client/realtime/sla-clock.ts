/**
 * Countdown arithmetic for SLA clocks (7123) on screens: time left, the green/amber/red colour
 * and the mm:ss text. Pure functions of (clock, now) so a screen re-evaluates them once a second
 * without any per-clock timer. Time left and colour are shared/sla.ts's, as the server counts them.
 */
import type { CaseSummary } from '../../shared/cases.ts';
import type { SlaClock } from '../../shared/sla.ts';

export { clockColour, timeLeftMs, type ClockColour } from '../../shared/sla.ts';
import { timeLeftMs } from '../../shared/sla.ts';

/** Still counting (or paused): not ended met or breached. A breached clock with no endTs is overdue and still open. */
export function isOpenClock(c: SlaClock): boolean {
  return c.endTs === null;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * "mm:ss" under an hour, "h:mm:ss" under two days, "Nd hh:mm" beyond; a leading "-" when
 * overdue. Seconds are truncated towards zero so a countdown shows 00:00 only once it is due.
 */
export function formatCountdown(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const total = Math.floor(Math.abs(ms) / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  if (h === 0) return `${sign}${pad(m)}:${pad(s)}`;
  if (h < 48) return `${sign}${h}:${pad(m)}:${pad(s)}`;
  return `${sign}${Math.floor(h / 24)}d ${pad(h % 24)}:${pad(m)}`;
}

/** "mm:ss" for an ETA in seconds (recommendations, routes). */
export function formatEta(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/** The open clock with the least time left, or null when none is open. */
export function mostUrgentClock(clocks: readonly SlaClock[], now: number): SlaClock | null {
  let best: SlaClock | null = null;
  let bestLeft = Number.POSITIVE_INFINITY;
  for (const c of clocks) {
    if (!isOpenClock(c)) continue;
    const left = timeLeftMs(c, now);
    if (left < bestLeft) {
      best = c;
      bestLeft = left;
    }
  }
  return best;
}

/**
 * Queue order: open emergencies first, then by time left on the most urgent open clock
 * (overdue first), cases with no open clock last; ties oldest first.
 */
export function compareByUrgency(a: CaseSummary, b: CaseSummary, now: number): number {
  if (a.emergency !== b.emergency) return a.emergency ? -1 : 1;
  const ca = mostUrgentClock(a.clocks, now);
  const cb = mostUrgentClock(b.clocks, now);
  if (ca && !cb) return -1;
  if (!ca && cb) return 1;
  if (ca && cb) {
    const d = timeLeftMs(ca, now) - timeLeftMs(cb, now);
    if (d !== 0) return d;
  }
  return a.createdTs - b.createdTs || a.id - b.id;
}
