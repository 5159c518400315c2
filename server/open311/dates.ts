/**
 * Times as Open311 writes and reads them: W3C datetimes (ISO 8601 profiles), written in the
 * district's offset (+08:00 for Jinan) so a citizen reads local time; and the GET requests
 * filters with their defaults (the last 90 days) and caps.
 */
import { refuse } from './errors.ts';

const W3C = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Epoch ms of a W3C datetime, or null. A date alone (YYYY-MM-DD) is midnight at
 * `dateOnlyOffsetMin` (the district's offset); a time needs its zone designator (Z or ±hh:mm).
 */
export function parseW3cDate(text: string, dateOnlyOffsetMin: number): number | null {
  const m = W3C.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = h === undefined ? 0 : Number(h), minute = mi === undefined ? 0 : Number(mi), second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > dim) return null;
  let offsetMin = dateOnlyOffsetMin;
  if (tz !== undefined && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const oh = Number(tz.slice(1, 3)), om = Number(tz.slice(4, 6));
    if (oh > 14 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  } else if (tz === 'Z') offsetMin = 0;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

/** The offset of `timeZone` at `ts`, in minutes east of UTC. */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function offsetMinutes(ts: number, timeZone: string): number {
  let fmt = formatters.get(timeZone);
  // Building a formatter costs far more than using one: one per zone (GET requests writes thousands of times).
  if (!fmt) formatters.set(timeZone, (fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })));
  const name = fmt.formatToParts(ts).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** ISO 8601 in the zone's offset, seconds precision: 2026-11-28T09:30:00+08:00. */
export function formatLocal(ts: number, timeZone: string): string {
  const off = offsetMinutes(ts, timeZone);
  const local = new Date(ts + off * 60_000).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export interface RequestFilters {
  /** When given, the other filters are ignored (the spec). */
  ids: string[] | null;
  serviceCodes: string[] | null;
  status: ('open' | 'closed')[] | null;
  start: number;
  end: number;
  limit: number;
}

export const DEFAULT_WINDOW_MS = 90 * 86_400_000;

const list = (v: string | undefined) => (v === undefined ? null : v.split(',').map((x) => x.trim()).filter(Boolean));

/** The GET requests filters from the query; refuses (400) naming the parameter. */
export function parseRequestFilters(q: Record<string, string | undefined>, now: number, timeZone: string, maxResults: number): RequestFilters {
  const ids = list(q.service_request_id);
  if (ids && ids.length > maxResults) throw refuse(400, `service_request_id: at most ${maxResults} ids at once, got ${ids.length}`);
  const serviceCodes = list(q.service_code);
  const statuses = list(q.status);
  if (statuses) for (const s of statuses) if (s !== 'open' && s !== 'closed') throw refuse(400, `status: ${JSON.stringify(s)} is not open or closed`);
  const offset = offsetMinutes(now, timeZone);
  const date = (name: 'start_date' | 'end_date'): number | null => {
    const v = q[name];
    if (v === undefined || v === '') return null;
    const t = parseW3cDate(v, offset);
    if (t === null) throw refuse(400, `${name}: ${JSON.stringify(v)} is not a W3C datetime (e.g. 2026-11-28T09:30:00+08:00 or 2026-11-28)`);
    return t;
  };
  const s = date('start_date');
  const e = date('end_date');
  const end = e ?? (s !== null ? s + DEFAULT_WINDOW_MS : now + 1);
  const start = s ?? end - DEFAULT_WINDOW_MS;
  if (start >= end) throw refuse(400, 'start_date must be before end_date');
  return { ids, serviceCodes, status: statuses as ('open' | 'closed')[] | null, start, end, limit: maxResults };
}
