/**
 * Bins (果皮箱 litter bins, 垃圾桶 garbage bins): the fill level rises through the day,
 * faster on busy roads and at lunch and evening peaks. They are emptied on a morning and an
 * afternoon round, whenever a working compactor passes close by, and by a crew sent to
 * a bin that is nearly full — so a few dozen are ≥80 % at any time and a handful overflow.
 */
import { binStatusFor, type BinAttrs } from '../../shared/entities.ts';
import type { BinSite, RoadClass } from '../../shared/district.ts';
import { HOUR_MS, MINUTE_MS } from './clock.ts';
import type { SimContext } from './context.ts';
import { atMinute, BIN_USE_BY_HOUR, integrateMinutes } from './profiles.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';

export const BIN_CONFIG = {
  /** Median fill rate, percent per hour at the daily mean use, by the class of the bin's road. */
  medianPctPerHour: { trunk: 4.4, primary: 4, secondary: 3.4, tertiary: 2.9, residential: 2.4 } satisfies Record<RoadClass, number>,
  offRoadPctPerHour: 2.4,
  rateSpread: 0.55,
  /** Collection rounds (morning, early afternoon): minute-of-day windows in which each bin gets emptied once. */
  rounds: [[300, 480], [780, 900]] as const,
  /** Share of bins a round actually empties (the rest are missed and fill on). */
  roundCoverage: 0.85,
  compactorReachM: 40,
  /** A bin at this fill gets a crew after a delay. */
  crewCallPct: 80,
  crewDelayMs: [20 * MINUTE_MS, 100 * MINUTE_MS] as const,
  emptiedPct: [2, 8] as const,
  heartbeatMs: 5 * MINUTE_MS,
};

const CELL_DEG = 0.001;

export class BinField {
  private readonly sites: readonly BinSite[];
  private readonly slotBase: number;
  private readonly fill: Float64Array;
  private readonly ratePerMs: Float64Array;
  private readonly roundAt: Float64Array[];
  private readonly lastRoundDay: Int32Array[];
  private readonly crewAt: Float64Array;
  private readonly sentFill: Int16Array;
  private readonly nextHeartbeat: Float64Array;
  private readonly cells = new Map<number, number[]>();

  constructor(world: SimWorld, sites: readonly BinSite[], private readonly rng: Rng, slotBase: number) {
    this.sites = sites;
    this.slotBase = slotBase;
    const n = sites.length;
    this.fill = new Float64Array(n);
    this.ratePerMs = new Float64Array(n);
    this.crewAt = new Float64Array(n);
    this.sentFill = new Int16Array(n);
    this.nextHeartbeat = new Float64Array(n);
    this.roundAt = BIN_CONFIG.rounds.map(() => new Float64Array(n));
    this.lastRoundDay = BIN_CONFIG.rounds.map(() => new Int32Array(n).fill(-1));
    sites.forEach((b, i) => {
      const cls = world.roadClass(b.roadId);
      const median = cls ? BIN_CONFIG.medianPctPerHour[cls] : BIN_CONFIG.offRoadPctPerHour;
      // Big garbage bins fill more slowly, in percent, than small litter bins.
      const sizeFactor = Math.min(2, Math.max(0.5, 240 / Math.max(1, b.capacityL))) ** 0.3;
      this.ratePerMs[i] = (rng.logNormal(median, BIN_CONFIG.rateSpread) * sizeFactor) / HOUR_MS;
      BIN_CONFIG.rounds.forEach(([from, to], r) => { this.roundAt[r]![i] = rng.range(from, to); });
      const key = cellKey(b.lon, b.lat);
      let list = this.cells.get(key);
      if (!list) this.cells.set(key, (list = []));
      list.push(i);
    });
  }

  get size(): number {
    return this.sites.length;
  }

  /** Count of bins at or above a fill level. */
  countAtLeast(pct: number): number {
    let k = 0;
    for (let i = 0; i < this.fill.length; i++) if (this.fill[i]! >= pct) k++;
    return k;
  }

  init(ctx: SimContext): void {
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    for (let i = 0; i < this.sites.length; i++) {
      // Start at the level the litter since this bin's last round would give.
      let lastRound = -1, sinceMin = Infinity;
      BIN_CONFIG.rounds.forEach((_, r) => {
        const at = this.roundAt[r]![i]!;
        const since = minute >= at ? minute - at : minute + 1440 - at;
        if (since < sinceMin) { sinceMin = since; lastRound = at; }
        if (minute >= at) this.lastRoundDay[r]![i] = day;
      });
      const perHour = this.ratePerMs[i]! * HOUR_MS;
      let fill = this.emptyLevel() + perHour * integrateMinutes(BIN_USE_BY_HOUR, lastRound, minute);
      // The last round missed some bins: they still hold the litter of the interval before it.
      if (!this.rng.chance(BIN_CONFIG.roundCoverage)) {
        const previous = this.roundAt.map((r) => r[i]!).filter((at) => at !== lastRound)[0] ?? lastRound;
        fill += perHour * integrateMinutes(BIN_USE_BY_HOUR, previous, lastRound);
      }
      if (fill >= BIN_CONFIG.crewCallPct) {
        // Past the crew threshold: most have had their crew by now; the rest are still waiting for it.
        if (this.rng.chance(0.25)) {
          // …having crossed the threshold within the crew's delay: mostly just past it.
          this.crewAt[i] = ctx.clock.simMs + this.rng.range(0, BIN_CONFIG.crewDelayMs[1]);
          fill = Math.min(fill, BIN_CONFIG.crewCallPct + this.rng.range(0, 1) ** 2 * 20);
        } else {
          fill = this.rng.range(BIN_CONFIG.emptiedPct[0], BIN_CONFIG.crewCallPct);
        }
      }
      this.fill[i] = fill;
      this.send(ctx, i, true);
    }
  }

  step(ctx: SimContext, dtSim: number, forEachWorkingCompactor: (cb: (lon: number, lat: number) => void) => void): void {
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    const simMs = ctx.clock.simMs;
    const use = atMinute(BIN_USE_BY_HOUR, minute) * dtSim;
    forEachWorkingCompactor((lon, lat) => this.emptyNear(lon, lat));
    for (let i = 0; i < this.fill.length; i++) {
      let f = this.fill[i]! + this.ratePerMs[i]! * use;
      for (let r = 0; r < this.roundAt.length; r++) {
        if (this.lastRoundDay[r]![i] !== day && minute >= this.roundAt[r]![i]!) {
          this.lastRoundDay[r]![i] = day;
          if (this.rng.chance(BIN_CONFIG.roundCoverage)) f = this.emptyLevel();
        }
      }
      if (f >= BIN_CONFIG.crewCallPct && this.crewAt[i] === 0) {
        this.crewAt[i] = simMs + this.rng.range(BIN_CONFIG.crewDelayMs[0], BIN_CONFIG.crewDelayMs[1]);
      }
      if (this.crewAt[i]! > 0 && simMs >= this.crewAt[i]!) f = this.emptyLevel();
      if (f < BIN_CONFIG.crewCallPct) this.crewAt[i] = 0;
      this.fill[i] = Math.min(100, f);
      if (Math.abs(Math.round(this.fill[i]!) - this.sentFill[i]!) >= 1 || ctx.wallMs >= this.nextHeartbeat[i]!) this.send(ctx, i, false);
    }
  }

  private emptyNear(lon: number, lat: number): void {
    const reach = BIN_CONFIG.compactorReachM;
    const cx = Math.floor(lon / CELL_DEG), cy = Math.floor(lat / CELL_DEG);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const list = this.cells.get((cx + dx) * 1_000_003 + (cy + dy));
        if (!list) continue;
        for (const i of list) {
          const b = this.sites[i]!;
          const mx = (b.lon - lon) * 89_000, my = (b.lat - lat) * 111_000;
          if (mx * mx + my * my <= reach * reach && this.fill[i]! > 20) this.fill[i] = this.emptyLevel();
        }
      }
    }
  }

  private emptyLevel(): number {
    return this.rng.range(BIN_CONFIG.emptiedPct[0], BIN_CONFIG.emptiedPct[1]);
  }

  private send(ctx: SimContext, i: number, first: boolean): void {
    const b = this.sites[i]!;
    const fill = Math.round(this.fill[i]!);
    let attrs: Partial<BinAttrs> = { fill };
    if (first) {
      const full: BinAttrs = { binType: b.binType, fill };
      if (b.roadId !== undefined) full.roadId = b.roadId;
      attrs = full;
    }
    const sent = ctx.report(this.slotBase + i, { source: 'sim', deviceId: b.id, ts: ctx.ts, status: binStatusFor(fill), attrs: attrs as Record<string, unknown> });
    this.nextHeartbeat[i] = ctx.wallMs + BIN_CONFIG.heartbeatMs;
    if (sent || first) this.sentFill[i] = fill;
  }
}

function cellKey(lon: number, lat: number): number {
  return Math.floor(lon / CELL_DEG) * 1_000_003 + Math.floor(lat / CELL_DEG);
}
