/**
 * Local hours and days for the street × hour matrix and the calendar. The store groups events
 * by UTC quarter hour (ts / 900,000) — every real time zone's offset is a multiple of 15 min,
 * so a quarter lies in one local hour and one local day — and each quarter is mapped to local
 * time here, with the zone's offset looked up through Intl once per quarter.
 */
export const QUARTER_MS = 900_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class QuarterCalendar {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private readonly days = new Map<number, string>();

  constructor(readonly timeZone: string) {
    // Throws a RangeError for an unknown zone: at start, not on the first request.
    this.fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  }

  /** The zone's UTC offset (ms) during the quarter hour containing `ms`. */
  offsetMs(ms: number): number {
    const q = Math.floor(ms / QUARTER_MS);
    let off = this.offsets.get(q);
    if (off === undefined) {
      const p = Object.fromEntries(this.fmt.formatToParts(new Date(q * QUARTER_MS)).map((x) => [x.type, x.value]));
      off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - q * QUARTER_MS;
      // A quarter of offsets is 35 KB; the cache only needs to outlive one request's window.
      if (this.offsets.size > 20_000) this.offsets.clear();
      this.offsets.set(q, off);
    }
    return off;
  }

  /** Local hour of day (0–23) of a quarter-hour index. */
  hourOfQuarter(q: number): number {
    const local = q * QUARTER_MS + this.offsetMs(q * QUARTER_MS);
    return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  }

  /** Local 'YYYY-MM-DD' of a quarter-hour index. */
  dayOfQuarter(q: number): string {
    let day = this.days.get(q);
    if (day === undefined) {
      day = new Date(q * QUARTER_MS + this.offsetMs(q * QUARTER_MS)).toISOString().slice(0, 10);
      if (this.days.size > 20_000) this.days.clear();
      this.days.set(q, day);
    }
    return day;
  }

  /** The instant (ms) local midnight starts a local day 'YYYY-MM-DD'. */
  midnight(day: string): number {
    const asUtc = Date.parse(`${day}T00:00:00Z`);
    // Two steps: the offset at the guess may differ from the offset at midnight itself around a DST change.
    const guess = asUtc - this.offsetMs(asUtc);
    return asUtc - this.offsetMs(guess);
  }
}

/** 'YYYY-MM-DD' plus n calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export interface QuarterCount { q: number; n: number }
export interface StreetQuarterCount extends QuarterCount { street: string }

/** counts[street][hour], streets in the given order; events of other streets are left out. */
export function streetHourMatrix(rows: Iterable<StreetQuarterCount>, streets: readonly string[], cal: QuarterCalendar): number[][] {
  const index = new Map(streets.map((s, i) => [s, i]));
  const m = streets.map(() => new Array<number>(24).fill(0));
  for (const r of rows) {
    const i = index.get(r.street);
    if (i !== undefined) m[i]![cal.hourOfQuarter(r.q)]! += r.n;
  }
  return m;
}

/** Counts per local day for the listed days (oldest first); quarters of other days are left out. */
export function dayCounts(rows: Iterable<QuarterCount>, days: readonly string[], cal: QuarterCalendar): number[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const out = new Array<number>(days.length).fill(0);
  for (const r of rows) {
    const i = index.get(cal.dayOfQuarter(r.q));
    if (i !== undefined) out[i]! += r.n;
  }
  return out;
}
