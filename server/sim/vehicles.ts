/**
 * Sanitation vehicles (洗扫车 sweepers, 冲洗车 washers, 洒水车 sprinklers, 压缩车 compactors).
 * In their working windows they leave the depot, work their roads in a loop at working
 * speed ('working'; the connections between roads are driven 'idle'), and drive back to
 * the depot when the window closes ('parked' there). Now and then one briefly exceeds
 * its working speed limit. Dispatched to a case, a vehicle drives there and back (idle, as
 * on any drive between roads) and its day's plan waits where it left off (server/sim/crews.ts).
 */
import type { VehicleAttrs, VehicleType } from '../../shared/entities.ts';
import type { FleetVehicle } from '../../shared/district.ts';
import { DAY_MS, inWindow, MINUTE_MS, parseWindow, type DailyWindow } from './clock.ts';
import { round, type SimContext } from './context.ts';
import { crewAgentOf, type CrewAgent, type CrewRoster, type CrewTask } from './crews.ts';
import { kphToMPerMs, Mover, newFix, Route, type MoverFix } from './movers.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';

export const VEHICLE_CONFIG = {
  /** Working windows per type, local time; banned hours are typically 7–10 and 17–20. */
  windows: {
    sweeper: ['04:30-07:00', '13:30-16:30'],
    washer: ['04:00-07:00', '14:00-16:30'],
    sprinkler: ['10:00-16:30'],
    compactor: ['05:00-07:00', '20:00-23:00'],
  } satisfies Record<VehicleType, string[]>,
  /** Each vehicle starts its windows up to this many minutes late and ends them up to this many early. */
  staggerMin: 20,
  workKph: { sweeper: [6, 8], washer: [10, 15], sprinkler: [10, 15], compactor: [15, 30] } satisfies Record<VehicleType, [number, number]>,
  idleKph: [25, 40] as const,
  movingReportMs: [4_500, 5_500] as const,
  parkedReportMs: [25_000, 30_000] as const,
  overspeedPerDay: 15,
  overspeedSimMs: [1 * MINUTE_MS, 3 * MINUTE_MS] as const,
  overspeedFactor: [1.2, 1.6] as const,
};

type Phase = 'parked' | 'toWork' | 'working' | 'toDepot';

interface Leg {
  route: Route;
  working: boolean;
  endNode: number;
}

interface VehicleAgent {
  v: FleetVehicle;
  slot: number;
  windows: DailyWindow[];
  depotNode: number;
  legs: Leg[];
  planM: number;
  workKph: number;
  idleKph: number;
  mover: Mover;
  phase: Phase;
  leg: number;
  returning: boolean;
  overspeedUntil: number;
  overspeedKph: number;
  workedM: number;
  day: number;
  nextReportWall: number;
  sentWorking: boolean;
  sentRouteDone: number;
  /** A dispatched case being answered: it moves the vehicle instead of the plan. */
  task: CrewTask | null;
}

/** The vehicle's trade, as a unit skill, for the feedback note. */
const TRADE: Record<VehicleType, string> = { sweeper: 'roadCleaning', washer: 'roadCleaning', sprinkler: 'watering', compactor: 'collection' };

export class VehicleFleet implements CrewRoster {
  private readonly agents: VehicleAgent[] = [];
  private readonly byId = new Map<string, VehicleAgent>();
  private readonly fix = newFix();

  constructor(private readonly world: SimWorld, vehicles: readonly FleetVehicle[], private readonly rng: Rng, slotBase: number) {
    vehicles.forEach((v, i) => {
      // Staggered inwards, so that no vehicle works into the banned hours around a window.
      const late = rng.range(0, VEHICLE_CONFIG.staggerMin);
      const early = rng.range(0, VEHICLE_CONFIG.staggerMin);
      const windows = VEHICLE_CONFIG.windows[v.vehicleType].map((text) => {
        const w = parseWindow(text);
        return { start: (w.start + late) % 1440, end: (w.end - early + 1440) % 1440 };
      });
      const depotNode = world.router.nearestNode(v.depot[0], v.depot[1]);
      const legs = this.workLegs(v, depotNode);
      const [lo, hi] = VEHICLE_CONFIG.workKph[v.vehicleType];
      const workKph = Math.min(rng.range(lo, hi), v.workSpeedLimitKph * 0.95);
      const workLoopM = legs.reduce((m, l) => m + (l.working ? l.route.lengthM : 0), 0);
      const windowMin = windows.reduce((m, w) => m + ((w.end - w.start + 1440) % 1440), 0);
      const achievableM = windowMin * MINUTE_MS * kphToMPerMs(workKph) * 0.8;
      const planM = Math.max(1, workLoopM * Math.max(1, Math.floor(achievableM / Math.max(1, workLoopM))));
      this.agents.push({
        v, slot: slotBase + i, windows, depotNode, legs, planM, workKph,
        idleKph: rng.range(VEHICLE_CONFIG.idleKph[0], VEHICLE_CONFIG.idleKph[1]),
        mover: new Mover(world.route(depotNode, depotNode)), phase: 'parked', leg: 0, returning: false,
        overspeedUntil: 0, overspeedKph: 0, workedM: 0, day: 0, nextReportWall: 0, sentWorking: false, sentRouteDone: 0, task: null,
      });
      this.byId.set(v.id, this.agents[i]!);
    });
  }

  get size(): number {
    return this.agents.length;
  }

  workingCount(): number {
    return this.agents.reduce((n, a) => n + (this.isWorking(a) ? 1 : 0), 0);
  }

  /** Calls back with the position of every compactor that is working now (bins near it get emptied). */
  forEachWorkingCompactor(cb: (lon: number, lat: number) => void): void {
    for (const a of this.agents) {
      if (a.v.vehicleType !== 'compactor' || !this.isWorking(a)) continue;
      const f = a.mover.locate(this.fix);
      cb(f.lon, f.lat);
    }
  }

  crewAgent(entityId: string): CrewAgent | undefined {
    const a = this.byId.get(entityId);
    if (!a) return undefined;
    return crewAgentOf(a, entityId, 'vehicle', TRADE[a.v.vehicleType], this.fix);
  }

  init(ctx: SimContext): void {
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    for (const a of this.agents) {
      a.day = day;
      if (this.inWork(a, minute)) {
        // Mid-window at start-up: already out on a random leg, with the day's work so far done.
        a.phase = 'working';
        a.leg = this.rng.int(a.legs.length);
        a.mover.follow(a.legs[a.leg]!.route);
        a.mover.advance(this.rng.next() * a.mover.route.lengthM);
        a.workedM = a.planM * this.doneShare(a, minute);
      }
      const attrs: VehicleAttrs = {
        vehicleType: a.v.vehicleType, plate: a.v.plate, working: this.isWorking(a), routeDone: this.routeDone(a),
      };
      this.send(ctx, a, attrs, true);
    }
  }

  step(ctx: SimContext, dtSim: number): void {
    const minute = ctx.clock.minuteOfDay();
    const day = ctx.clock.localDay();
    const simMs = ctx.clock.simMs;
    this.maybeOverspeed(simMs, dtSim);
    for (const a of this.agents) {
      if (day !== a.day) { a.day = day; a.workedM = 0; }
      const before = this.status(a);
      if (!a.task) this.move(a, minute, simMs, dtSim);
      if (this.status(a) !== before) a.nextReportWall = Math.min(a.nextReportWall, ctx.wallMs);
      if (ctx.wallMs >= a.nextReportWall) {
        const attrs: Partial<VehicleAttrs> = {};
        let changed = false;
        const working = this.isWorking(a);
        if (working !== a.sentWorking) { attrs.working = working; changed = true; }
        const done = this.routeDone(a);
        if (Math.abs(done - a.sentRouteDone) >= 0.01 || (done === 1 && a.sentRouteDone !== 1) || (done === 0 && a.sentRouteDone !== 0)) {
          attrs.routeDone = done;
          changed = true;
        }
        this.send(ctx, a, changed ? attrs : undefined, false);
      }
    }
  }

  private move(a: VehicleAgent, minute: number, simMs: number, dtSim: number): void {
    const inWork = this.inWork(a, minute);
    if (a.phase === 'parked') {
      if (!inWork) return;
      a.phase = 'toWork';
      a.returning = false;
      a.mover.follow(this.world.route(a.depotNode, this.legStart(a, 0)));
    }
    if (a.phase === 'working' && !inWork) a.returning = true;
    let budgetMs = dtSim;
    // A fast step can finish several legs; each leg takes its share of the step's time.
    for (let guard = 0; guard < 16 && budgetMs > 0; guard++) {
      const kph = this.speedKph(a, simMs);
      const mPerMs = kphToMPerMs(kph);
      const over = a.mover.advance(mPerMs * budgetMs);
      const usedM = mPerMs * budgetMs - over;
      if (a.phase === 'working' && !a.returning && a.legs[a.leg]!.working) a.workedM += usedM;
      budgetMs = mPerMs > 0 ? over / mPerMs : 0;
      if (!a.mover.done) break;
      if (!this.nextLeg(a)) break;
    }
  }

  /** Moves on to the next leg; false when the vehicle has parked. */
  private nextLeg(a: VehicleAgent): boolean {
    if (a.phase === 'toWork') {
      a.phase = 'working';
      a.leg = 0;
      a.mover.follow(a.legs[0]!.route);
    } else if (a.phase === 'working') {
      if (a.returning) {
        a.phase = 'toDepot';
        a.mover.follow(this.world.route(a.legs[a.leg]!.endNode, a.depotNode));
      } else {
        a.leg = (a.leg + 1) % a.legs.length;
        a.mover.follow(a.legs[a.leg]!.route);
      }
    } else if (a.phase === 'toDepot') {
      a.phase = 'parked';
    }
    return a.phase !== 'parked';
  }

  private speedKph(a: VehicleAgent, simMs: number): number {
    if (a.task) return a.task.speedKph();
    if (a.phase === 'parked') return 0;
    if (!this.isWorking(a)) return a.idleKph;
    return simMs < a.overspeedUntil ? a.overspeedKph : a.workKph;
  }

  private status(a: VehicleAgent): 'working' | 'idle' | 'parked' {
    if (a.task) return 'idle';
    return a.phase === 'parked' ? 'parked' : this.isWorking(a) ? 'working' : 'idle';
  }

  private isWorking(a: VehicleAgent): boolean {
    return !a.task && a.phase === 'working' && !a.returning && a.legs[a.leg]!.working;
  }

  private inWork(a: VehicleAgent, minute: number): boolean {
    return a.windows.some((w) => inWindow(minute, w));
  }

  private routeDone(a: VehicleAgent): number {
    return round(Math.min(1, a.workedM / a.planM), 3);
  }

  /** Share of today's working minutes already past at this minute (for a mid-day start). */
  private doneShare(a: VehicleAgent, minute: number): number {
    let total = 0, past = 0;
    for (const w of a.windows) {
      const len = (w.end - w.start + 1440) % 1440;
      total += len;
      if (inWindow(minute, w)) past += (minute - w.start + 1440) % 1440;
      else if ((w.end <= minute && w.start < w.end)) past += len;
    }
    return total > 0 ? (past / total) * 0.9 : 0;
  }

  private legStart(a: VehicleAgent, leg: number): number {
    const prev = a.legs[(leg - 1 + a.legs.length) % a.legs.length]!;
    return prev.endNode;
  }

  private send(ctx: SimContext, a: VehicleAgent, attrs: Partial<VehicleAttrs> | undefined, first: boolean): void {
    const fix: MoverFix = (a.task ?? a.mover).locate(this.fix);
    const kph = this.speedKph(a, ctx.clock.simMs);
    const speed = kph > 0 ? round(kph * this.rng.range(0.95, 1.05), 1) : 0;
    const status = this.status(a);
    const sent = ctx.report(a.slot, {
      source: 'sim', deviceId: a.v.id, ts: ctx.ts,
      pos: { lon: round(fix.lon, 7), lat: round(fix.lat, 7), speed, heading: round(fix.heading, 1) },
      status,
      ...(attrs ? { attrs: attrs as Record<string, unknown> } : {}),
    });
    const [lo, hi] = a.phase === 'parked' && !a.task ? VEHICLE_CONFIG.parkedReportMs : VEHICLE_CONFIG.movingReportMs;
    a.nextReportWall = ctx.wallMs + this.rng.range(lo, hi);
    if (sent || first) {
      a.sentWorking = this.isWorking(a);
      a.sentRouteDone = this.routeDone(a);
    }
  }

  private maybeOverspeed(simMs: number, dtSim: number): void {
    const events = this.rng.poisson((VEHICLE_CONFIG.overspeedPerDay * dtSim) / DAY_MS);
    for (let k = 0; k < events && this.agents.length > 0; k++) {
      const a = this.agents[this.rng.int(this.agents.length)]!;
      if (!this.isWorking(a)) continue;
      a.overspeedUntil = simMs + this.rng.range(VEHICLE_CONFIG.overspeedSimMs[0], VEHICLE_CONFIG.overspeedSimMs[1]);
      a.overspeedKph = a.v.workSpeedLimitKph * this.rng.range(VEHICLE_CONFIG.overspeedFactor[0], VEHICLE_CONFIG.overspeedFactor[1]);
    }
  }

  /** The day's plan as legs: each road worked along its own edges, with idle connections between roads. */
  private workLegs(v: FleetVehicle, depotNode: number): Leg[] {
    const w = this.world;
    const roads: { route: Route; start: number; end: number }[] = [];
    for (const id of v.roadIds) {
      const walk = w.roadWalk(id);
      if (walk) roads.push(walk);
    }
    if (roads.length === 0) {
      // No road of the plan is in the graph: work the streets around the depot instead.
      const [lon, lat] = w.nodeLonLat(depotNode);
      const near = w.router.nodesWithin(lon, lat, 1000);
      const a = near.length > 0 ? this.rng.pick(near) : depotNode;
      const b = near.length > 0 ? this.rng.pick(near) : depotNode;
      roads.push({ route: w.route(a, b), start: a, end: b });
    }
    // Every leg end may be where the window closes and the drive back to the depot starts.
    w.prepareRoutes(depotNode, roads.flatMap((r) => [r.start, r.end]));
    const legs: Leg[] = [];
    roads.forEach((road, i) => {
      legs.push({ route: road.route, working: true, endNode: road.end });
      const nextStart = roads[(i + 1) % roads.length]!.start;
      legs.push({ route: w.route(road.end, nextStart), working: false, endNode: nextStart });
    });
    return legs;
  }
}
