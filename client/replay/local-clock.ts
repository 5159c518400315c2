/** District-local clock times for the replay slider and day picker (the district's IANA zone, not the browser's). */

const formats = new Map<string, Intl.DateTimeFormat>();

function parts(ts: number, timeZone: string): Record<string, number> {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(ts)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** 'HH:MM:SS' local. */
export function localClock(ts: number, timeZone: string): string {
  const p = parts(ts, timeZone);
  return [p['hour'], p['minute'], p['second']].map((n) => String(n ?? 0).padStart(2, '0')).join(':');
}

/** 'YYYY-MM-DD HH:MM:SS' local. */
export function localDateTime(ts: number, timeZone: string): string {
  const p = parts(ts, timeZone);
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${p['year']}-${two(p['month'])}-${two(p['day'])} ${localClock(ts, timeZone)}`;
}

/** 'MM-DD HH:MM' local. */
export function localStamp(ts: number, timeZone: string): string {
  const p = parts(ts, timeZone);
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${two(p['month'])}-${two(p['day'])} ${two(p['hour'])}:${two(p['minute'])}`;
}

function offsetMs(ts: number, timeZone: string): number {
  const p = parts(ts, timeZone);
  return Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) - Math.floor(ts / 1000) * 1000;
}

/** The instant local midnight starts the day 'YYYY-MM-DD' in the zone. */
export function startOfLocalDay(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const guess = Date.UTC(y!, m! - 1, d!);
  const first = guess - offsetMs(guess, timeZone);
  return guess - offsetMs(first, timeZone);
}
