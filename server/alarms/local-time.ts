/**
 * Local time of day in the district's time zone (pack.meta.timezone). The UTC offset is
 * looked up through Intl once per quarter hour, so the rules can ask on every report.
 */
const QUARTER_MS = 15 * 60_000;

export class LocalClock {
  private readonly fmt: Intl.DateTimeFormat;
  private cachedQuarter = Number.NaN;
  private cachedOffsetMs = 0;

  constructor(readonly timeZone: string) {
    // Throws a RangeError for an unknown zone: better at start than a wrong hour all day.
    this.fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  }

  /** Minutes since local midnight, 0..1440. */
  minuteOfDay(ms: number): number {
    const local = ms + this.offsetMs(ms);
    const day = 86_400_000;
    return (((local % day) + day) % day) / 60_000;
  }

  private offsetMs(ms: number): number {
    const quarter = Math.floor(ms / QUARTER_MS);
    if (quarter !== this.cachedQuarter) {
      const p = Object.fromEntries(this.fmt.formatToParts(new Date(quarter * QUARTER_MS)).map((x) => [x.type, x.value]));
      const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
      this.cachedOffsetMs = asUtc - quarter * QUARTER_MS;
      this.cachedQuarter = quarter;
    }
    return this.cachedOffsetMs;
  }
}
