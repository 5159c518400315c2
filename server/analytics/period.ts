/**
 * The briefing's periods in the district's local time (pack meta.timezone): each is a
 * window [from, to) of instants plus its first and last local dates, and the previous period
 * is the window of equal length as many local days before it (today 00:00–09:30 → yesterday
 * 00:00–09:30; the week up to now → the 7 days before, up to the same time of day).
 */
import { BRIEFING_MAX_DAYS, type BriefingPeriodKind } from '../../shared/schemas/briefing.ts';
import { HttpError } from '../http-error.ts';
import { localDate, localMidnight } from '../sla/work-time.ts';

export interface PeriodWindow { from: number; to: number; fromDate: string; toDate: string }
export interface ResolvedPeriod { kind: BriefingPeriodKind; current: PeriodWindow; previous: PeriodWindow }

/** A local date `n` days after `date` (n may be negative): pure date arithmetic. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const isRealDate = (v: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;

function window(from: number, to: number, timeZone: string): PeriodWindow {
  // The last instant inside the window names its last local date.
  return { from, to, fromDate: localDate(from, timeZone), toDate: localDate(Math.max(from, to - 1), timeZone) };
}

/**
 * today: local midnight → now · yesterday: the whole local day before · week / month: the 7 /
 * 30 local days up to now (today included) · custom: local dates from..to inclusive.
 * Throws a 400 naming the field for a bad custom range.
 */
export function resolvePeriod(q: { period?: BriefingPeriodKind; from?: string; to?: string }, now: number, timeZone: string): ResolvedPeriod {
  const kind = q.period ?? 'yesterday';
  if (kind !== 'custom' && (q.from !== undefined || q.to !== undefined)) {
    throw new HttpError(400, 'bad_request', `${q.from !== undefined ? 'from' : 'to'}: only with period=custom`);
  }
  const today = localDate(now, timeZone);
  let from: number;
  let to: number;
  switch (kind) {
    case 'today': from = localMidnight(today, timeZone); to = now; break;
    case 'yesterday': from = localMidnight(addDays(today, -1), timeZone); to = localMidnight(today, timeZone); break;
    case 'week': from = localMidnight(addDays(today, -6), timeZone); to = now; break;
    case 'month': from = localMidnight(addDays(today, -29), timeZone); to = now; break;
    case 'custom': {
      if (q.from === undefined) throw new HttpError(400, 'bad_request', 'from: required with period=custom (YYYY-MM-DD)');
      if (q.to === undefined) throw new HttpError(400, 'bad_request', 'to: required with period=custom (YYYY-MM-DD)');
      if (!isRealDate(q.from)) throw new HttpError(400, 'bad_request', `from: ${q.from} is not a calendar date`);
      if (!isRealDate(q.to)) throw new HttpError(400, 'bad_request', `to: ${q.to} is not a calendar date`);
      if (q.to < q.from) throw new HttpError(400, 'bad_request', `to: ${q.to} is before from (${q.from})`);
      if (q.from > today) throw new HttpError(400, 'bad_request', `from: ${q.from} is in the future (today is ${today})`);
      const days = Math.round((Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / 86_400_000) + 1;
      if (days > BRIEFING_MAX_DAYS) throw new HttpError(400, 'bad_request', `to: the period is ${days} days, at most ${BRIEFING_MAX_DAYS}`);
      from = localMidnight(q.from, timeZone);
      // A range running into today stops at now, so it compares with an equally long span before it.
      to = Math.min(localMidnight(addDays(q.to, 1), timeZone), Math.max(now, from + 1));
      break;
    }
  }
  const current = window(from, to, timeZone);
  // Shifted back by its number of local days, so the previous period starts at a local midnight too.
  const days = Math.round((Date.parse(`${current.toDate}T00:00:00Z`) - Date.parse(`${current.fromDate}T00:00:00Z`)) / 86_400_000) + 1;
  const prevFrom = localMidnight(addDays(current.fromDate, -days), timeZone);
  return { kind, current, previous: window(prevFrom, prevFrom + (to - from), timeZone) };
}
