/**
 * The heat charts' answers: the weighted point layer (cases, alarms, unit dwell), the
 * street × hour matrix and the per-day calendar. Validated input in, response objects out;
 * the route only checks the query and maps errors.
 */
import type { DistrictPack } from '../../shared/district.ts';
import {
  HEAT_CELL_M, HEAT_MAX_POINTS, type CalendarResponse, type HeatEventKind, type HeatKind, type HeatResponse, type StreetHourResponse,
} from '../../shared/schemas/heat.ts';
import { localDate } from '../../shared/local-time.ts';
import type { HistoryPort } from '../history/history-store.ts';
import { DistrictLocator } from '../district/locator.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import { cellCentre, cellCount, makeGrid, topPoints, type HeatGrid } from './grid.ts';
import { HeatEventQueries } from './event-queries.ts';
import { EventSlices } from './event-slices.ts';
import { addDays, dayCounts, QuarterCalendar, streetHourMatrix } from './local-buckets.ts';
import { UnitDwell } from './unit-dwell.ts';

export interface HeatServiceOptions {
  sql: SqlExecutor;
  pack: DistrictPack;
  history: HistoryPort;
  now: () => number;
  /** How far behind real time history may be (flush period and some). */
  historySettleMs: number;
  /** Longest interval credited to one kept point of a unit. */
  dwellMaxGapMs?: number;
}

/** A unit silent longer than this is not known to be where it was last seen (the default offline delay for trackers is 600 s). */
export const DWELL_MAX_GAP_MS = 300_000;

/** History a units request decodes itself at most (then the warmer takes over): keeps a reply near 200 ms. */
const UNIT_REQUEST_BUDGET_MS = 150;

/** Alarms raised are written in batches once a second; an hour's rows are all in well within this. */
const EVENT_SETTLE_MS = 10_000;

export class HeatService {
  readonly grid: HeatGrid;
  readonly unitDwell: UnitDwell;
  readonly eventSlices: Record<HeatEventKind, EventSlices>;
  readonly timeZone: string;
  readonly streets: { code: string; name: string }[];
  private readonly streetCodes: Set<string>;
  private readonly queries: HeatEventQueries;
  private readonly cal: QuarterCalendar;
  private readonly locator: DistrictLocator;
  /** Cell → street of its centre, found once per cell (for units' heat of one street). */
  private readonly cellStreet = new Map<number, string | null>();

  constructor(private readonly opts: HeatServiceOptions) {
    this.grid = makeGrid(opts.pack.meta.bbox, HEAT_CELL_M);
    this.timeZone = opts.pack.meta.timezone;
    this.cal = new QuarterCalendar(this.timeZone);
    this.streets = opts.pack.streets.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
    this.streetCodes = new Set(this.streets.map((s) => s.code));
    this.queries = new HeatEventQueries(opts.sql);
    this.locator = new DistrictLocator(opts.pack);
    const codes = this.streets.map((s) => s.code);
    const sliceOpts = { now: opts.now, settleMs: EVENT_SETTLE_MS };
    this.eventSlices = {
      cases: new EventSlices(this.queries, 'cases', this.grid, codes, sliceOpts),
      alarms: new EventSlices(this.queries, 'alarms', this.grid, codes, sliceOpts),
    };
    this.unitDwell = new UnitDwell(opts.history, this.grid, { now: opts.now, timeZone: this.timeZone, maxGapMs: opts.dwellMaxGapMs ?? DWELL_MAX_GAP_MS, settleMs: opts.historySettleMs });
  }

  isStreet(code: string): boolean { return this.streetCodes.has(code); }

  async heat(kind: HeatKind, from: number, to: number, street: string | undefined): Promise<HeatResponse> {
    const weights = new Float64Array(cellCount(this.grid));
    let keep: ((cell: number) => boolean) | undefined;
    let pendingHours = 0;
    if (kind === 'units') {
      ({ from, to } = UnitDwell.align(from, to));
      pendingHours = await this.unitDwell.addTo(from, to, weights, UNIT_REQUEST_BUDGET_MS);
      // The street the cell lies in (where the unit was), not the street the unit belongs to.
      if (street !== undefined) keep = (c) => this.streetOfCell(c) === street;
    } else {
      await this.eventSlices[kind].addTo(from, to, weights, street);
    }
    const top = topPoints(this.grid, weights, HEAT_MAX_POINTS, keep);
    return { kind, from, to, street: street ?? null, cellM: this.grid.cellM, unit: kind === 'units' ? 'seconds' : 'count', pendingHours, ...top };
  }

  async streetHour(kind: HeatEventKind, from: number, to: number): Promise<StreetHourResponse> {
    const counts = streetHourMatrix(await this.eventSlices[kind].quarterCounts(from, to), this.streets.map((s) => s.code), this.cal);
    const total = counts.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
    return { kind, from, to, timeZone: this.timeZone, streets: this.streets, counts, total };
  }

  /** The last `days` local days, today included (so far). */
  async calendar(kind: HeatEventKind, days: number, street: string | undefined): Promise<CalendarResponse> {
    const now = this.opts.now();
    const today = localDate(now, this.timeZone);
    const list = Array.from({ length: days }, (_, i) => addDays(today, i - days + 1));
    const from = this.cal.midnight(list[0]!);
    const rows = await this.eventSlices[kind].quarterCounts(from, now + 1);
    const counts = dayCounts(street === undefined ? rows : rows.filter((r) => r.street === street), list, this.cal);
    return { kind, timeZone: this.timeZone, days: list.map((day, i) => ({ day, count: counts[i]! })), total: counts.reduce((a, b) => a + b, 0) };
  }

  private streetOfCell(c: number): string | null {
    let s = this.cellStreet.get(c);
    if (s === undefined) {
      const [lon, lat] = cellCentre(this.grid, c);
      s = this.locator.locate(lon, lat)?.streetCode ?? null;
      this.cellStreet.set(c, s);
    }
    return s;
  }
}
