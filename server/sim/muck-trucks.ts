/**
 * Muck trucks (渣土车): in their permit hours they cycle site → disposal field along the
 * permitted route — load at the site ('loaded'), drive, tip, return empty ('empty') —
 * and outside them stay 'parked' at the site. A few trips go wrong, which is what the
 * bureau watches for: a detour off the corridor, the lid left open while loaded,
 * speeding, or a run outside the permitted hours. Like a real terminal, a truck only
 * reports what it senses (position, speed, heading, lid, load): it never labels its own
 * behaviour — the server's alarm rules decide what is a violation (server/alarms/rules).
 */
import type { MuckTruckAttrs } from '../../shared/entities.ts';
import type { FleetMuckTruck, MuckPermit } from '../../shared/district.ts';
import { DAY_MS, inWindow, MINUTE_MS, parseWindow, type DailyWindow } from './clock.ts';
import { round, type SimContext } from './context.ts';
import { kphToMPerMs, Mover, newFix, Route } from './movers.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';

export const MUCK_CONFIG = {
  cruiseKph: [30, 50] as const,
  speedingKph: [64, 75] as const,
  /** Above this a driver is misbehaving (ground truth for the snapshot; the server's rule has its own limit), km/h. */
  speedLimitKph: 60,
  loadingMs: [10 * MINUTE_MS, 20 * MINUTE_MS] as const,
  tippingMs: [5 * MINUTE_MS, 10 * MINUTE_MS] as const,
  movingReportMs: [5_000, 10_000] as const,
  parkedReportMs: [25_000, 30_000] as const,
  /** Chances per trip leg. */
  detourChance: 0.04,
  lidOpenChance: 0.05,
  speedingChance: 0.05,
  lidOpenMs: [5 * MINUTE_MS, 15 * MINUTE_MS] as const,
  speedingMs: [1 * MINUTE_MS, 3 * MINUTE_MS] as const,
  /** Chance per truck per day of one run after its permitted hours. */
  outsideHoursPerDay: 0.03,
  detourSideM: [400, 900] as const,
  detourRejoinM: 1500,
  /** Share of detours that stop off the corridor (waiting for a buyer, tipping illegally) before rejoining, and for how long. */
  detourStopChance: 0.5,
  detourStopMs: [8 * MINUTE_MS, 25 * MINUTE_MS] as const,
};

/** What a truck is doing wrong right now, as the simulator knows it (never sent: the server must find it out). */
export type MuckMisbehaviour = 'detour' | 'lidOpen' | 'outsideHours' | 'speeding';
const MISBEHAVIOURS: readonly MuckMisbehaviour[] = ['detour', 'lidOpen', 'outsideHours', 'speeding'];

type Phase = 'parked' | 'loading' | 'toDisposal' | 'tipping' | 'toSite';

interface PermitRoutes {
  out: Route;
  back: Route;
  tripMs: number;
}

interface MuckAgent {
  t: FleetMuckTruck;
  slot: number;
  hours: DailyWindow;
  routes: PermitRoutes;
  mover: Mover;
  phase: Phase;
  phaseUntil: number;
  loaded: boolean;
  lidSealed: boolean;
  lidOpenUntil: number;
  cruiseKph: number;
  speedingUntil: number;
  speedingKph: number;
  /** While on a detour: the main route and where to rejoin it. */
  detourMain: Route | null;
  detourRejoinS: number;
  detourPending: number;
  /** Where along the detour the truck stops (-1: it does not) and until when it stands there. */
  detourStopAtS: number;
  stoppedUntil: number;
  rogueDay: number;
  /** Sim time of a planned run outside the permitted hours, 0 when none. */
  rogueAt: number;
  nextReportWall: number;
  sentLoaded: boolean;
  sentLid: boolean;
}

export class MuckFleet {
  private readonly agents: MuckAgent[] = [];
  private readonly permitRoutes = new Map<string, PermitRoutes>();
  private readonly fix = newFix();
  /** The last step's context, so that ground-truth queries between steps see the same clock. */
  private ctx: SimContext | undefined;

  constructor(private readonly world: SimWorld, trucks: readonly FleetMuckTruck[], private readonly rng: Rng, slotBase: number) {
    trucks.forEach((t, i) => {
      const routes = this.routesOf(t.permit);
      this.agents.push({
        t, slot: slotBase + i, hours: parseWindow(t.permit.hours), routes, mover: new Mover(routes.out),
        phase: 'parked', phaseUntil: 0, loaded: false, lidSealed: true, lidOpenUntil: 0,
        cruiseKph: rng.range(MUCK_CONFIG.cruiseKph[0], MUCK_CONFIG.cruiseKph[1]), speedingUntil: 0, speedingKph: 0,
        detourMain: null, detourRejoinS: 0, detourPending: -1, detourStopAtS: -1, stoppedUntil: 0, rogueDay: -1, rogueAt: 0,
        nextReportWall: 0, sentLoaded: false, sentLid: true,
      });
    });
  }

  get size(): number {
    return this.agents.length;
  }

  /** Trucks misbehaving in each way now (the simulator's ground truth, for logs and tests). */
  misbehaviourCounts(): Record<MuckMisbehaviour, number> {
    const out: Record<MuckMisbehaviour, number> = { detour: 0, lidOpen: 0, outsideHours: 0, speeding: 0 };
    for (const a of this.agents) {
      const mask = this.misbehaviourMask(a);
      MISBEHAVIOURS.forEach((v, bit) => { if (mask & (1 << bit)) out[v]++; });
    }
    return out;
  }

  /** The misbehaviours of one truck now (ground truth, for tests). */
  misbehaviourOf(truckId: string): MuckMisbehaviour[] {
    const a = this.agents.find((x) => x.t.id === truckId);
    if (!a) return [];
    const mask = this.misbehaviourMask(a);
    return MISBEHAVIOURS.filter((_, bit) => (mask & (1 << bit)) !== 0);
  }

  movingCount(): number {
    return this.agents.reduce((n, a) => n + (a.phase === 'toDisposal' || a.phase === 'toSite' ? 1 : 0), 0);
  }

  init(ctx: SimContext): void {
    this.ctx = ctx;
    const minute = ctx.clock.minuteOfDay();
    for (const a of this.agents) {
      if (inWindow(minute, a.hours)) {
        // Mid-shift at start-up: somewhere along a trip.
        const out = this.rng.chance(0.5);
        this.startLeg(a, out ? 'toDisposal' : 'toSite', ctx);
        a.mover.advance(this.rng.next() * a.mover.route.lengthM);
      }
      const attrs: Omit<MuckTruckAttrs, 'violations'> = {
        plate: a.t.plate, company: a.t.company, permitId: a.t.permit.id, loaded: a.loaded, lidSealed: a.lidSealed,
      };
      this.send(ctx, a, attrs, true);
    }
  }

  step(ctx: SimContext, dtSim: number): void {
    this.ctx = ctx;
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    const simMs = ctx.clock.simMs;
    for (const a of this.agents) {
      const before = this.status(a);
      this.advance(a, ctx, minute, day, simMs, dtSim);
      if (this.status(a) !== before) a.nextReportWall = ctx.wallMs;
      if (a.lidOpenUntil > 0 && simMs >= a.lidOpenUntil) { a.lidSealed = true; a.lidOpenUntil = 0; }
      if (a.loaded !== a.sentLoaded || a.lidSealed !== a.sentLid) a.nextReportWall = Math.min(a.nextReportWall, ctx.wallMs);
      if (ctx.wallMs >= a.nextReportWall) {
        const attrs: Partial<MuckTruckAttrs> = {};
        let changed = false;
        if (a.loaded !== a.sentLoaded) { attrs.loaded = a.loaded; changed = true; }
        if (a.lidSealed !== a.sentLid) { attrs.lidSealed = a.lidSealed; changed = true; }
        this.send(ctx, a, changed ? attrs : undefined, false);
      }
    }
  }

  private advance(a: MuckAgent, ctx: SimContext, minute: number, day: number, simMs: number, dtSim: number): void {
    const inHours = inWindow(minute, a.hours);
    switch (a.phase) {
      case 'parked': {
        if (inHours && this.timeLeftMs(a, minute) > a.routes.tripMs) return this.beginLoading(a, simMs);
        if (!inHours && a.rogueDay !== day) {
          // Once a day a truck may decide to run a load after its hours, a little later.
          a.rogueDay = day;
          if (this.rng.chance(MUCK_CONFIG.outsideHoursPerDay)) a.rogueAt = simMs + this.rng.range(0, 90) * MINUTE_MS;
        }
        if (a.rogueAt > 0 && simMs >= a.rogueAt) {
          a.rogueAt = 0;
          this.beginLoading(a, simMs);
        }
        return;
      }
      case 'loading':
        if (simMs >= a.phaseUntil) {
          a.loaded = true;
          this.startLeg(a, 'toDisposal', ctx);
        }
        return;
      case 'tipping':
        if (simMs >= a.phaseUntil) {
          a.loaded = false;
          this.startLeg(a, 'toSite', ctx);
        }
        return;
      case 'toDisposal':
      case 'toSite': {
        if (simMs < a.stoppedUntil) return;
        a.mover.advance(kphToMPerMs(this.kph(a, simMs)) * dtSim);
        if (a.detourMain && a.detourStopAtS >= 0 && a.mover.s >= a.detourStopAtS) {
          a.detourStopAtS = -1;
          a.stoppedUntil = simMs + this.rng.range(MUCK_CONFIG.detourStopMs[0], MUCK_CONFIG.detourStopMs[1]);
          return;
        }
        if (a.detourMain === null && a.detourPending >= 0 && a.mover.s >= a.detourPending) this.startDetour(a);
        if (!a.mover.done) return;
        if (a.detourMain) {
          const main = a.detourMain;
          a.detourMain = null;
          a.mover.follow(main);
          a.mover.advance(a.detourRejoinS);
          return;
        }
        if (a.phase === 'toDisposal') {
          a.phase = 'tipping';
          a.phaseUntil = simMs + this.rng.range(MUCK_CONFIG.tippingMs[0], MUCK_CONFIG.tippingMs[1]);
        } else if (inHours && this.timeLeftMs(a, minute) > a.routes.tripMs) {
          this.beginLoading(a, simMs);
        } else {
          a.phase = 'parked';
        }
        return;
      }
    }
  }

  private beginLoading(a: MuckAgent, simMs: number): void {
    a.phase = 'loading';
    a.phaseUntil = simMs + this.rng.range(MUCK_CONFIG.loadingMs[0], MUCK_CONFIG.loadingMs[1]);
    a.mover.follow(a.routes.out);
  }

  private startLeg(a: MuckAgent, phase: 'toDisposal' | 'toSite', ctx: SimContext): void {
    const simMs = ctx.clock.simMs;
    a.phase = phase;
    a.loaded = phase === 'toDisposal';
    a.mover.follow(phase === 'toDisposal' ? a.routes.out : a.routes.back);
    a.detourMain = null;
    a.detourStopAtS = -1;
    a.stoppedUntil = 0;
    a.detourPending = this.rng.chance(MUCK_CONFIG.detourChance) ? this.rng.range(0.2, 0.6) * a.mover.route.lengthM : -1;
    a.cruiseKph = this.rng.range(MUCK_CONFIG.cruiseKph[0], MUCK_CONFIG.cruiseKph[1]);
    if (this.rng.chance(MUCK_CONFIG.speedingChance)) {
      a.speedingUntil = simMs + this.rng.range(MUCK_CONFIG.speedingMs[0], MUCK_CONFIG.speedingMs[1]);
      a.speedingKph = this.rng.range(MUCK_CONFIG.speedingKph[0], MUCK_CONFIG.speedingKph[1]);
    }
    if (a.loaded && this.rng.chance(MUCK_CONFIG.lidOpenChance)) {
      a.lidSealed = false;
      a.lidOpenUntil = simMs + this.rng.range(MUCK_CONFIG.lidOpenMs[0], MUCK_CONFIG.lidOpenMs[1]);
    }
  }

  /** Leaves the corridor: out to a side street and back onto the route further on. */
  private startDetour(a: MuckAgent): void {
    a.detourPending = -1;
    const main = a.mover.route;
    const f = a.mover.locate(this.fix);
    const r = this.world.router;
    const from = r.nearestNode(f.lon, f.lat);
    const candidates = r.nodesWithin(f.lon, f.lat, MUCK_CONFIG.detourSideM[1]);
    let side = -1;
    let sideD: number = MUCK_CONFIG.detourSideM[0];
    for (let k = 0; k < 12 && candidates.length > 0; k++) {
      const n = this.rng.pick(candidates);
      const [lon, lat] = r.nodeLonLat(n);
      const d = main.distanceToM(lon, lat);
      if (d > sideD) { sideD = d; side = n; }
    }
    if (side < 0) return;
    const rejoinS = Math.min(main.lengthM, a.mover.s + MUCK_CONFIG.detourRejoinM);
    const probe = new Mover(main, false, rejoinS).locate(newFix());
    const rejoin = r.nearestNode(probe.lon, probe.lat);
    a.detourMain = main;
    a.detourRejoinS = rejoinS;
    const toSide = Route.concat([new Route([[f.lon, f.lat]]), this.world.route(from, side)]);
    a.detourStopAtS = this.rng.chance(MUCK_CONFIG.detourStopChance) ? toSide.lengthM : -1;
    a.mover.follow(Route.concat([toSide, this.world.route(side, rejoin), new Route([[probe.lon, probe.lat]])]));
  }

  private status(a: MuckAgent): 'loaded' | 'empty' | 'parked' {
    return a.phase === 'parked' ? 'parked' : a.loaded ? 'loaded' : 'empty';
  }

  private kph(a: MuckAgent, simMs: number): number {
    if (simMs < a.stoppedUntil) return 0;
    return simMs < a.speedingUntil ? a.speedingKph : a.cruiseKph;
  }

  private moving(a: MuckAgent): boolean {
    return a.phase === 'toDisposal' || a.phase === 'toSite';
  }

  private misbehaviourMask(a: MuckAgent): number {
    if (!this.moving(a) || !this.ctx) return 0;
    let mask = 0;
    if (a.detourMain) {
      const f = a.mover.locate(newFix());
      if (a.detourMain.distanceToM(f.lon, f.lat) > a.t.permit.corridorM) mask |= 1;
    }
    if (a.loaded && !a.lidSealed) mask |= 2;
    if (!inWindow(this.ctx.clock.minuteOfDay(), a.hours)) mask |= 4;
    if (this.kph(a, this.ctx.clock.simMs) > MUCK_CONFIG.speedLimitKph) mask |= 8;
    return mask;
  }

  private timeLeftMs(a: MuckAgent, minute: number): number {
    const left = (a.hours.end - minute + 1440) % 1440;
    return (a.hours.start === a.hours.end ? 1440 : left) * MINUTE_MS;
  }

  private routesOf(p: MuckPermit): PermitRoutes {
    let routes = this.permitRoutes.get(p.id);
    if (!routes) {
      const w = this.world;
      const out = p.route.length >= 2
        ? new Route(p.route)
        : w.route(w.router.nearestNode(p.site.lon, p.site.lat), w.router.nearestNode(p.disposal.lon, p.disposal.lat));
      const tripMs = (2 * out.lengthM) / kphToMPerMs(40) + MUCK_CONFIG.loadingMs[1] + MUCK_CONFIG.tippingMs[1];
      routes = { out, back: out.reversed(), tripMs: Math.min(tripMs, DAY_MS / 2) };
      this.permitRoutes.set(p.id, routes);
    }
    return routes;
  }

  private send(ctx: SimContext, a: MuckAgent, attrs: Partial<MuckTruckAttrs> | undefined, first: boolean): void {
    const f = a.mover.locate(this.fix);
    const moving = this.moving(a);
    const speed = moving ? round(this.kph(a, ctx.clock.simMs) * this.rng.range(0.95, 1.05), 1) : 0;
    const status = this.status(a);
    const sent = ctx.report(a.slot, {
      source: 'sim', deviceId: a.t.id, ts: ctx.ts,
      pos: { lon: round(f.lon, 7), lat: round(f.lat, 7), speed, heading: round(f.heading, 1) },
      status,
      ...(attrs ? { attrs: attrs as Record<string, unknown> } : {}),
    });
    const [lo, hi] = moving ? MUCK_CONFIG.movingReportMs : MUCK_CONFIG.parkedReportMs;
    a.nextReportWall = ctx.wallMs + this.rng.range(lo, hi);
    if (sent || first) {
      a.sentLoaded = a.loaded;
      a.sentLid = a.lidSealed;
    }
  }
}
