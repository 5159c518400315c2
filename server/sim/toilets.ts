/**
 * Public toilets (公共卫生间): visits follow a daily curve with morning and evening peaks;
 * NH₃ and H₂S build up with use and fall back after cleaning (every few hours, 'cleaning'
 * for ~15 min); a few poorly ventilated ones go over the GB/T 17217 limit. Closed outside
 * their opening hours. Report every 30–60 s, and at once when the status changes.
 */
import { isOdourAlarm, NH3_LIMIT_MG_M3, type ToiletAttrs } from '../../shared/entities.ts';
import type { ToiletSite } from '../../shared/district.ts';
import { HOUR_MS, inWindow, MINUTE_MS, parseWindow, type DailyWindow } from './clock.ts';
import { round, type SimContext } from './context.ts';
import { atMinute, TOILET_USE_BY_HOUR } from './profiles.ts';
import type { Rng } from './rng.ts';

export const TOILET_CONFIG = {
  /** Visits per stall per hour at the daily mean use. */
  visitsPerStallHour: 3,
  /** Each visit adds this share of the class NH₃ limit, divided by the stalls (ventilation scales with size). */
  nh3PerVisit: 0.06,
  nh3HalfLifeMs: HOUR_MS,
  /** Background NH₃ as a share of the class limit. */
  nh3Baseline: [0.08, 0.2] as const,
  /** H₂S at the class NH₃ limit, mg/m³ (before each toilet's own factor). */
  h2sAtNh3Limit: 0.006,
  cleanEveryMs: [2 * HOUR_MS, 4 * HOUR_MS] as const,
  cleaningMs: 15 * MINUTE_MS,
  reportMs: [30_000, 60_000] as const,
};

interface ToiletAgent {
  site: ToiletSite;
  slot: number;
  hours: DailyWindow;
  limit: number;
  popularity: number;
  /** How badly odour builds up here (ventilation, drainage). */
  smell: number;
  h2sFactor: number;
  baseline: number;
  excess: number;
  visits: number;
  day: number;
  cleanEveryMs: number;
  nextCleanSim: number;
  cleaningUntil: number;
  lastCleanedTs: number;
  open: boolean;
  nextReportWall: number;
  sent: Partial<ToiletAttrs>;
}

export class ToiletFleet {
  private readonly agents: ToiletAgent[] = [];

  constructor(sites: readonly ToiletSite[], private readonly rng: Rng, slotBase: number) {
    sites.forEach((site, i) => {
      const limit = NH3_LIMIT_MG_M3[site.toiletClass];
      this.agents.push({
        site, slot: slotBase + i, hours: parseWindow(site.hours), limit,
        popularity: rng.logNormal(1, 0.4), smell: rng.logNormal(1, 0.45), h2sFactor: rng.logNormal(1, 0.3),
        baseline: limit * rng.range(TOILET_CONFIG.nh3Baseline[0], TOILET_CONFIG.nh3Baseline[1]),
        excess: 0, visits: 0, day: 0,
        cleanEveryMs: rng.range(TOILET_CONFIG.cleanEveryMs[0], TOILET_CONFIG.cleanEveryMs[1]),
        nextCleanSim: 0, cleaningUntil: 0, lastCleanedTs: 0, open: false, nextReportWall: 0, sent: {},
      });
    });
  }

  get size(): number {
    return this.agents.length;
  }

  alarmCount(): number {
    return this.agents.reduce((n, a) => n + (isOdourAlarm(a.site.toiletClass, this.nh3(a), this.h2s(a)) ? 1 : 0), 0);
  }

  init(ctx: SimContext): void {
    const minute = ctx.clock.minuteOfDay();
    const simMs = ctx.clock.simMs;
    for (const a of this.agents) {
      a.day = ctx.clock.localDay();
      a.open = inWindow(minute, a.hours);
      const sinceClean = this.rng.next() * a.cleanEveryMs;
      a.nextCleanSim = simMs + a.cleanEveryMs - sinceClean;
      a.lastCleanedTs = Math.round(ctx.ts - sinceClean / ctx.clock.speed);
      // Start with the odour and visits a toilet would have built up by now.
      const rate = this.visitRatePerMs(a, minute);
      a.excess = a.open ? rate * Math.min(sinceClean, 2 * HOUR_MS) * this.nh3PerVisit(a) * 0.6 : 0;
      a.visits = a.open ? Math.floor(rate * Math.min(minute, 16 * 60) * MINUTE_MS * 0.8) : 0;
      this.send(ctx, a, true);
    }
  }

  step(ctx: SimContext, dtSim: number): void {
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    const simMs = ctx.clock.simMs;
    const decay = Math.pow(0.5, dtSim / TOILET_CONFIG.nh3HalfLifeMs);
    for (const a of this.agents) {
      if (day !== a.day) { a.day = day; a.visits = 0; }
      const before = this.status(a);
      a.open = inWindow(minute, a.hours);
      if (a.cleaningUntil > 0 && simMs >= a.cleaningUntil) {
        a.cleaningUntil = 0;
        a.excess = 0;
        a.lastCleanedTs = ctx.ts;
        a.nextCleanSim = simMs + a.cleanEveryMs * this.rng.range(0.85, 1.15);
      } else if (a.cleaningUntil === 0 && a.open && simMs >= a.nextCleanSim) {
        a.cleaningUntil = simMs + TOILET_CONFIG.cleaningMs;
      } else if (!a.open && simMs >= a.nextCleanSim) {
        a.nextCleanSim = simMs + a.cleanEveryMs;
      }
      a.excess *= decay;
      if (a.open && a.cleaningUntil === 0) {
        const v = this.visitRatePerMs(a, minute) * dtSim;
        a.visits += v;
        a.excess += v * this.nh3PerVisit(a);
      }
      if (this.status(a) !== before) a.nextReportWall = ctx.wallMs;
      if (ctx.wallMs >= a.nextReportWall) this.send(ctx, a, false);
    }
  }

  private status(a: ToiletAgent): 'open' | 'cleaning' | 'closed' {
    return a.cleaningUntil > 0 ? 'cleaning' : a.open ? 'open' : 'closed';
  }

  private visitRatePerMs(a: ToiletAgent, minute: number): number {
    return (a.site.stalls * TOILET_CONFIG.visitsPerStallHour * a.popularity * atMinute(TOILET_USE_BY_HOUR, minute)) / HOUR_MS;
  }

  private nh3PerVisit(a: ToiletAgent): number {
    return (a.limit * TOILET_CONFIG.nh3PerVisit * a.smell) / Math.max(1, a.site.stalls);
  }

  private nh3(a: ToiletAgent): number {
    return round(a.baseline + a.excess, 3);
  }

  private h2s(a: ToiletAgent): number {
    return round((this.nh3(a) / a.limit) * TOILET_CONFIG.h2sAtNh3Limit * a.h2sFactor, 4);
  }

  private occupied(a: ToiletAgent, minute: number): number {
    if (this.status(a) !== 'open') return 0;
    const p = Math.min(0.95, 0.25 * a.popularity * atMinute(TOILET_USE_BY_HOUR, minute));
    let k = 0;
    for (let s = 0; s < a.site.stalls; s++) if (this.rng.chance(p)) k++;
    return k;
  }

  private send(ctx: SimContext, a: ToiletAgent, first: boolean): void {
    const nh3 = this.nh3(a);
    const h2s = this.h2s(a);
    const now: ToiletAttrs = {
      toiletClass: a.site.toiletClass, open: a.open, stalls: a.site.stalls,
      occupied: this.occupied(a, ctx.clock.minuteOfDay()), nh3, h2s, footfallToday: Math.floor(a.visits),
      lastCleanedTs: a.lastCleanedTs, odourAlarm: isOdourAlarm(a.site.toiletClass, nh3, h2s),
    };
    let attrs: Partial<ToiletAttrs> = now;
    if (!first) {
      attrs = {};
      for (const key of Object.keys(now) as (keyof ToiletAttrs)[]) {
        if (now[key] !== a.sent[key]) (attrs as Record<string, unknown>)[key] = now[key];
      }
    }
    const status = this.status(a);
    const changed = Object.keys(attrs).length > 0;
    const sent = ctx.report(a.slot, {
      source: 'sim', deviceId: a.site.id, ts: ctx.ts, status,
      ...(changed ? { attrs: attrs as Record<string, unknown> } : {}),
    });
    a.nextReportWall = ctx.wallMs + this.rng.range(TOILET_CONFIG.reportMs[0], TOILET_CONFIG.reportMs[1]);
    if (sent || first) {
      a.sent = now;
    }
  }
}
