/**
 * Counting deadline days in the district's time zone: calendar days (N × 24 h) or working
 * days, where only time on working days counts — weekends and holidays are skipped and the
 * adjusted working days (调休, a Saturday or Sunday worked in exchange for a holiday) count.
 *
 * The zone comes from the pack (`meta.timezone`), not a fixed offset: local midnights are
 * found with Intl, so a zone with DST gets 23 h and 25 h days right (a working day is then
 * that local day's real length).
 */
import type { WorkCalendar } from '../../shared/sla.ts';
import { DAY_MS } from '../sim/clock.ts';

export const EMPTY_CALENDAR: WorkCalendar = { holidays: [], workdays: [] };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError for a zone name Intl does not know (checked once at start). */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

interface LocalParts { y: number; m: number; d: number; h: number; min: number; s: number }

function localParts(ts: number, timeZone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ts)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, min: p.minute!, s: p.second! };
}

/** Local time minus UTC at an instant, ms (+8 h for Asia/Shanghai). */
export function zoneOffsetMs(ts: number, timeZone: string): number {
  const p = localParts(ts, timeZone);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return asUtc - (ts - (((ts % 1000) + 1000) % 1000));
}

/** The local date 'YYYY-MM-DD' of an instant. */
export function localDate(ts: number, timeZone: string): string {
  const p = localParts(ts, timeZone);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/** The instant of local midnight at the start of a local date. */
export function localMidnight(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // Two passes: the offset at the guess may differ from the offset at the answer across a DST change.
  const first = guess - zoneOffsetMs(guess, timeZone);
  return guess - zoneOffsetMs(first, timeZone);
}

/** The local date after `date` (pure date arithmetic, no zone needed). */
export function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** A working day: Monday–Friday unless a holiday, or any day listed as an adjusted working day (调休). */
export function isWorkingDate(date: string, calendar: WorkCalendar): boolean {
  if (calendar.workdays.includes(date)) return true;
  if (calendar.holidays.includes(date)) return false;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** A calendar with no working day at all would make the search below endless. */
const MAX_DAYS_SEARCHED = 3660;

/**
 * The instant at which `ms` of working time has passed since `startTs`. Time on a
 * non-working local day does not count; a start on one counts from the next working day's
 * midnight. Friday 15:00 + 24 h of working time → Monday 15:00.
 */
export function addWorkingMs(startTs: number, ms: number, calendar: WorkCalendar, timeZone: string): number {
  let date = localDate(startTs, timeZone);
  let cursor = startTs;
  let remaining = ms;
  for (let i = 0; i < MAX_DAYS_SEARCHED; i++) {
    const dayEnd = localMidnight(nextDate(date), timeZone);
    if (isWorkingDate(date, calendar)) {
      if (remaining <= dayEnd - cursor) return cursor + remaining;
      remaining -= dayEnd - cursor;
    }
    date = nextDate(date);
    cursor = dayEnd;
  }
  throw new RangeError(`the work calendar has no working day within ${MAX_DAYS_SEARCHED} days of ${new Date(startTs).toISOString()}`);
}

/** `days` deadline days after `startTs`: N × 24 h, or N days of working time. */
export function addDeadlineDays(startTs: number, days: number, mode: 'calendar' | 'working', calendar: WorkCalendar, timeZone: string): number {
  return mode === 'calendar' ? startTs + days * DAY_MS : addWorkingMs(startTs, days * DAY_MS, calendar, timeZone);
}
