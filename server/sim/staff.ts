/**
 * Field staff (环卫工人 cleaners, 路长 road chiefs, 执法队员 enforcers): on shift they walk
 * a patrol loop on the road graph — cleaners near their grid centre, road chiefs along a
 * stretch of their road, enforcers across their street — and report every 5–10 s.
 * Off shift they stay where they stopped and report every few minutes. A handful of SOS
 * calls a day across the fleet. Dispatched to a case, a member leaves the patrol for the
 * task (server/sim/crews.ts) and picks it up again where they left it.
 */
import type { StaffAttrs } from '../../shared/entities.ts';
import type { StaffMember } from '../../shared/district.ts';
import { distanceM } from '../../shared/geo.ts';
import type { LonLat } from '../../shared/geojson.ts';
import { inWindow, MINUTE_MS, parseWindow, type DailyWindow } from './clock.ts';
import { round, type SimContext } from './context.ts';
import { crewAgentOf, type CrewAgent, type CrewMode, type CrewRoster, type CrewTask } from './crews.ts';
import type { RoadChiefOnPatrol } from './reporters.ts';
import { Mover, newFix, kphToMPerMs } from './movers.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';

export const STAFF_CONFIG = {
  walkKph: [3, 5] as const,
  onDutyReportMs: [5_000, 10_000] as const,
  // Work phones keep a low-rate heartbeat off shift, well inside the 60 s stale threshold.
  offDutyReportMs: [20_000, 40_000] as const,
  sosPerDay: 5,
  sosSimMs: [3 * MINUTE_MS, 8 * MINUTE_MS] as const,
  /** An SOS stays up at least this long on the wall clock, so a fast-running demo still shows it. */
  sosMinWallMs: 60_000,
  /** Share of time a walker stands still (sweeping a spot, talking to a shopkeeper). */
  pauseShare: 0.25,
  /** Cleaners sweep the roads at their own grid (~220 m cells): the nearest road nodes within 4× this of its centre. */
  cleanerRadiusM: 150,
  roadChiefStretchM: 1000,
  enforcerRadiusM: 1500,
};

interface StaffAgent {
  member: StaffMember;
  slot: number;
  shift: DailyWindow;
  mover: Mover;
  walkKph: number;
  onDuty: boolean;
  sos: boolean;
  sosUntilSim: number;
  sosUntilWall: number;
  paused: boolean;
  nextDecisionSim: number;
  nextReportWall: number;
  sentOnDuty: boolean;
  sentSos: boolean;
  /** A dispatched case being answered: it moves the member instead of the patrol. */
  task: CrewTask | null;
}

/** Road chiefs and enforcers ride e-bikes to a case; cleaners come on an e-trike with their tools. */
const CREW_MODE: Record<StaffAgent['member']['role'], CrewMode> = { roadChief: 'eBike', enforcer: 'eBike', cleaner: 'eTrike' };
const TRADE: Record<StaffAgent['member']['role'], string> = { roadChief: 'patrol', enforcer: 'enforcement', cleaner: 'cleaning' };

export class StaffFleet implements CrewRoster {
  private readonly agents: StaffAgent[] = [];
  private readonly byId = new Map<string, StaffAgent>();
  private readonly fix = newFix();

  constructor(private readonly world: SimWorld, members: readonly StaffMember[], private readonly rng: Rng, slotBase: number) {
    members.forEach((member, i) => {
      const route = world.loop(this.patrolNodes(member));
      const mover = new Mover(route, true, rng.next() * route.lengthM);
      this.agents.push({
        member, slot: slotBase + i, shift: parseWindow(member.shift), mover,
        walkKph: rng.range(STAFF_CONFIG.walkKph[0], STAFF_CONFIG.walkKph[1]),
        onDuty: false, sos: false, sosUntilSim: 0, sosUntilWall: 0, paused: false,
        nextDecisionSim: 0, nextReportWall: 0, sentOnDuty: false, sentSos: false, task: null,
      });
      this.byId.set(member.id, this.agents[i]!);
    });
  }

  get size(): number {
    return this.agents.length;
  }

  onDutyCount(): number {
    return this.agents.reduce((n, a) => n + (a.onDuty ? 1 : 0), 0);
  }

  sosCount(): number {
    return this.agents.reduce((n, a) => n + (a.sos ? 1 : 0), 0);
  }

  crewAgent(entityId: string): CrewAgent | undefined {
    const a = this.byId.get(entityId);
    if (!a) return undefined;
    return crewAgentOf(a, entityId, CREW_MODE[a.member.role], TRADE[a.member.role], this.fix);
  }

  /** Where the road chiefs on patrol are now (they file reports from where they stand). */
  roadChiefsOnPatrol(): RoadChiefOnPatrol[] {
    const out: RoadChiefOnPatrol[] = [];
    for (const a of this.agents) {
      if (a.member.role !== 'roadChief' || !a.onDuty || a.sos || a.task) continue;
      const f = a.mover.locate(this.fix);
      out.push({ id: a.member.id, lon: f.lon, lat: f.lat, ...(a.member.roadId === undefined ? {} : { roadId: a.member.roadId }) });
    }
    return out;
  }

  init(ctx: SimContext): void {
    const minute = ctx.clock.minuteOfDay();
    for (const a of this.agents) {
      a.onDuty = inWindow(minute, a.shift);
      a.nextDecisionSim = ctx.clock.simMs;
      const attrs: StaffAttrs = { role: a.member.role, shift: a.member.shift, onDuty: a.onDuty, sos: false };
      if (a.member.roadId !== undefined) attrs.roadId = a.member.roadId;
      this.send(ctx, a, attrs, true);
    }
  }

  step(ctx: SimContext, dtSim: number): void {
    const minute = ctx.clock.minuteOfDay();
    const simMs = ctx.clock.simMs;
    this.maybeStartSos(ctx, dtSim);
    for (const a of this.agents) {
      // A crew on a task finishes it even when the shift ends meanwhile.
      const onDuty = inWindow(minute, a.shift) || a.task !== null;
      if (onDuty !== a.onDuty) {
        a.onDuty = onDuty;
        a.nextReportWall = ctx.wallMs;
      }
      if (a.sos && simMs >= a.sosUntilSim && ctx.wallMs >= a.sosUntilWall) {
        a.sos = false;
        a.nextReportWall = ctx.wallMs;
      }
      if (a.onDuty && !a.sos && !a.task) {
        if (simMs >= a.nextDecisionSim) this.decide(a, simMs);
        if (!a.paused) a.mover.advance(kphToMPerMs(a.walkKph) * dtSim);
      }
      if (ctx.wallMs >= a.nextReportWall) {
        const attrs: Partial<StaffAttrs> = {};
        let changed = false;
        if (a.onDuty !== a.sentOnDuty) { attrs.onDuty = a.onDuty; changed = true; }
        if (a.sos !== a.sentSos) { attrs.sos = a.sos; changed = true; }
        this.send(ctx, a, changed ? attrs : undefined, false);
      }
    }
  }

  private send(ctx: SimContext, a: StaffAgent, attrs: Partial<StaffAttrs> | undefined, first: boolean): void {
    const fix = (a.task ?? a.mover).locate(this.fix);
    const moving = a.onDuty && !a.sos && !a.paused;
    const speed = a.task ? round(a.task.speedKph(), 1) : moving ? round(a.walkKph * this.rng.range(0.85, 1.15), 1) : 0;
    const status = a.sos ? 'sos' : a.onDuty ? 'onDuty' : 'offDuty';
    const sent = ctx.report(a.slot, {
      source: 'sim', deviceId: a.member.id, ts: ctx.ts,
      pos: { lon: round(fix.lon, 7), lat: round(fix.lat, 7), speed, heading: round(fix.heading, 1) },
      status,
      ...(attrs ? { attrs: attrs as Record<string, unknown> } : {}),
    });
    const [lo, hi] = a.onDuty || a.sos ? STAFF_CONFIG.onDutyReportMs : STAFF_CONFIG.offDutyReportMs;
    a.nextReportWall = ctx.wallMs + this.rng.range(lo, hi);
    if (sent || first) {
      a.sentOnDuty = a.onDuty;
      a.sentSos = a.sos;
    }
  }

  private decide(a: StaffAgent, simMs: number): void {
    const pause = this.rng.chance(STAFF_CONFIG.pauseShare);
    a.paused = pause;
    a.nextDecisionSim = simMs + (pause ? this.rng.range(1, 5) : this.rng.range(5, 20)) * MINUTE_MS;
  }

  private maybeStartSos(ctx: SimContext, dtSim: number): void {
    const calls = this.rng.poisson((STAFF_CONFIG.sosPerDay * dtSim) / 86_400_000);
    for (let k = 0; k < calls && this.agents.length > 0; k++) {
      const a = this.agents[this.rng.int(this.agents.length)]!;
      if (!a.onDuty || a.sos || a.task) continue;
      a.sos = true;
      a.sosUntilSim = ctx.clock.simMs + this.rng.range(STAFF_CONFIG.sosSimMs[0], STAFF_CONFIG.sosSimMs[1]);
      a.sosUntilWall = ctx.wallMs + STAFF_CONFIG.sosMinWallMs;
      a.nextReportWall = ctx.wallMs;
    }
  }

  /** The nodes a staff member's patrol loop passes through, by role. */
  private patrolNodes(m: StaffMember): number[] {
    const w = this.world;
    const r = w.router;
    const centre = w.gridCentre(m.gridId, m.streetCode);
    if (m.role === 'roadChief' && m.roadId !== undefined) {
      const roadNodes = new Set(w.roadNodes(m.roadId));
      if (roadNodes.size > 1) {
        const anchor = nearestOf(w, centre, roadNodes);
        const [alon, alat] = r.nodeLonLat(anchor);
        const stretch = r.nodesWithin(alon, alat, STAFF_CONFIG.roadChiefStretchM).filter((n) => roadNodes.has(n));
        const far = nearestOf(w, [alon, alat], new Set(stretch), true);
        if (far !== anchor) {
          w.prepareRoutes(anchor, [far]);
          return [anchor, far];
        }
      }
    }
    const [lon, lat] = m.role === 'enforcer' ? w.streetCentre(m.streetCode) : centre;
    const anchor = r.nearestNode(centre[0], centre[1]);
    const points: number[] = [];
    if (m.role === 'enforcer') {
      // Enforcers patrol their own street: points inside it, around its centre.
      let radius = STAFF_CONFIG.enforcerRadiusM;
      const inStreet = (n: number) => w.nodeInStreet(n, m.streetCode);
      let candidates = r.nodesWithin(lon, lat, radius).filter(inStreet);
      while (candidates.length < 4 && radius < 5000) {
        radius *= 2;
        candidates = r.nodesWithin(lon, lat, radius).filter(inStreet);
      }
      // A street with no road node of its own (a small pack): patrol around its centre all the same.
      if (candidates.length === 0) candidates = r.nodesWithin(lon, lat, radius);
      if (candidates.length === 0) candidates = [anchor];
      for (let k = 0; k < 3 && candidates.length > 0; k++) points.push(this.rng.pick(candidates));
    } else {
      // A cleaner sweeps the roads at their own grid: the few road nodes nearest its centre
      // (the road lattice is coarser than the ~220 m grid, so "within R" would send them far off).
      const near = r.nodesWithin(lon, lat, STAFF_CONFIG.cleanerRadiusM * 4)
        .filter((n) => n !== anchor)
        .map((n) => ({ n, d: distanceM(lon, lat, ...w.nodeLonLat(n)) }))
        .sort((a, b) => a.d - b.d || a.n - b.n);
      // The nearest other node always; a second one only when it is about as close to the grid.
      const picked = near.filter((x, k) => k === 0 || (k === 1 && x.d <= STAFF_CONFIG.cleanerRadiusM * 2)).map((x) => x.n);
      points.push(...(picked.length > 0 ? picked : r.nodesWithin(lon, lat, 5000).filter((n) => n !== anchor).slice(0, 1)));
    }
    // Out and back from the post to a few points around it: one search prepares all the legs.
    w.prepareRoutes(anchor, points);
    return points.flatMap((p) => [anchor, p]);
  }
}

/** The node of a set nearest to (or, with `farthest`, farthest from) a point. */
function nearestOf(w: SimWorld, [lon, lat]: LonLat, nodes: ReadonlySet<number>, farthest = false): number {
  let best = -1, bestD = farthest ? -1 : Infinity;
  for (const n of nodes) {
    const [x, y] = w.nodeLonLat(n);
    const d = (x - lon) ** 2 + ((y - lat) * 1.25) ** 2;
    if (farthest ? d > bestD : d < bestD) { bestD = d; best = n; }
  }
  return best;
}
