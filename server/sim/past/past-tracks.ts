/**
 * The district's past motion and readings, for history (issue 7 part 3): the simulator's own
 * fleet models (staff patrols, sanitation routes, muck-truck permits, bin filling and
 * emptying, toilet air) run over past time with no ingest behind them; each report they make
 * becomes a point, connectivity is judged from each device's silence with the live policy, and
 * the points go to history through `HistoryStore.appendPast` — the same downsampling rule,
 * bucket encoding and roll-up as live points.
 *
 * Resolution (README, "History on first start"): `fine` periods (yesterday and today) step
 * the world like the live simulator — devices report at their live cadence, history keeps
 * its live rule; `coarse` periods (older days) step a minute at a time with devices reporting
 * `coarseCadence` times less often, and history keeps a point per 100 m or 5 min (plus every
 * status, connectivity and reading change). Case crews are not simulated here: past cases
 * (past-ops.ts) name their units, the units' tracks do not go to them.
 */
import type { DistrictPack } from '../../../shared/district.ts';
import { ENTITY_STATUSES, type EntityKind } from '../../../shared/entities.ts';
import type { DownsamplePolicy } from '../../history/downsample.ts';
import type { PastEntry } from '../../history/history-store.ts';
import { readingsOf } from '../../history/readings.ts';
import type { TrackPoint } from '../../history/track-codec.ts';
import type { IngestUpdate } from '../../ingest/types.ts';
import type { ConnectivityPolicy } from '../../live/live-state.ts';
import { BinField } from '../bins.ts';
import { SimClock } from '../clock.ts';
import type { SimContext } from '../context.ts';
import { MuckFleet } from '../muck-trucks.ts';
import { Outages } from '../outages.ts';
import { Rng } from '../rng.ts';
import { StaffFleet } from '../staff.ts';
import { ToiletFleet } from '../toilets.ts';
import { VehicleFleet } from '../vehicles.ts';
import { SimWorld } from '../world.ts';

export interface Resolution {
  /** World step, sim ms. */
  stepMs: number;
  /** Devices report this many times less often than live (their cadence is in device time). */
  cadence: number;
  /** History's rule for these points; undefined: the live rule. */
  policy: DownsamplePolicy | undefined;
}

export const FINE: Resolution = { stepMs: 5_000, cadence: 1, policy: undefined };
export const COARSE: Resolution = { stepMs: 60_000, cadence: 6, policy: { minMoveM: 100, maxGapS: 300 } };

interface Tracked {
  id: string;
  kind: EntityKind;
  orgCode: string;
  lon: number | null;
  lat: number | null;
  status: number;
  conn: number;
  readings: number[];
  /** Device time of the last report, ms (0: never). */
  lastDev: number;
  /** Sim time of the last report, ms. */
  lastSim: number;
  points: TrackPoint[];
  reports: number;
  lastReportT: number;
}

const ONLINE = 0, STALE = 1, OFFLINE = 2;

/** The fleets of the district over past time, stepped by the caller, collecting points per entity. */
export class PastFleet {
  private readonly clock: SimClock;
  private readonly ctx: SimContext;
  private readonly outages: Outages;
  private readonly staff: StaffFleet;
  private readonly vehicles: VehicleFleet;
  private readonly muck: MuckFleet;
  private readonly bins: BinField;
  private readonly toilets: ToiletFleet;
  private readonly slots: Tracked[] = [];
  private readonly byId = new Map<string, Tracked>();
  private initialized = false;
  /** Device time runs `1 / cadence` as fast as sim time. */
  private cadence = 1;
  reportsSeen = 0;

  constructor(pack: DistrictPack, seed: number, startMs: number, private readonly policy: ConnectivityPolicy) {
    this.clock = new SimClock(startMs, 1);
    const world = new SimWorld(pack);
    // Streams of their own, apart from the live simulator's (seed, 1..9): the past is another life of the same district.
    this.outages = new Outages(new Rng(seed, 16));
    this.staff = new StaffFleet(world, pack.staff, new Rng(seed, 11), this.outages.allocate(pack.staff.length));
    this.vehicles = new VehicleFleet(world, pack.vehicles, new Rng(seed, 12), this.outages.allocate(pack.vehicles.length));
    this.muck = new MuckFleet(world, pack.muckTrucks, new Rng(seed, 13), this.outages.allocate(pack.muckTrucks.length));
    this.bins = new BinField(world, pack.bins, new Rng(seed, 14), this.outages.allocate(pack.bins.length));
    this.toilets = new ToiletFleet(pack.toilets, new Rng(seed, 15), this.outages.allocate(pack.toilets.length));
    const add = (id: string, kind: EntityKind, orgCode: string, lon: number | null, lat: number | null) => {
      const t: Tracked = {
        id, kind, orgCode, lon: lon === null ? null : Math.round(lon * 1e6), lat: lat === null ? null : Math.round(lat * 1e6),
        status: 0, conn: OFFLINE, readings: readingsOf(kind, {}), lastDev: 0, lastSim: 0, points: [], reports: 0, lastReportT: 0,
      };
      this.slots.push(t);
      this.byId.set(id, t);
    };
    // Slot order is the allocation order above, so outages and entities line up.
    for (const s of pack.staff) add(s.id, 'staff', s.streetCode, null, null);
    for (const v of pack.vehicles) add(v.id, 'vehicle', v.streetCode, null, null);
    for (const m of pack.muckTrucks) add(m.id, 'muckTruck', m.streetCode, null, null);
    for (const b of pack.bins) add(b.id, 'bin', b.streetCode, b.lon, b.lat);
    for (const t of pack.toilets) add(t.id, 'toilet', t.streetCode, t.lon, t.lat);
    this.ctx = { world, clock: this.clock, outages: this.outages, wallMs: startMs, ts: startMs, report: (slot, u) => this.report(slot, u) };
  }

  get simMs(): number {
    return this.clock.simMs;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Advances the world by `res.stepMs` of sim time (device time by stepMs / cadence). */
  step(res: Resolution): void {
    this.cadence = res.cadence;
    const ctx = this.ctx;
    if (!this.initialized) {
      this.initialized = true;
      this.staff.init(ctx);
      this.vehicles.init(ctx);
      this.muck.init(ctx);
      this.toilets.init(ctx);
      this.bins.init(ctx);
    }
    const dtDev = res.stepMs / res.cadence;
    ctx.wallMs += dtDev;
    const dtSim = this.clock.advance(res.stepMs);
    ctx.ts = this.clock.simMs;
    this.outages.step(dtDev, ctx.wallMs);
    this.staff.step(ctx, dtSim);
    this.vehicles.step(ctx, dtSim);
    this.muck.step(ctx, dtSim);
    this.toilets.step(ctx, dtSim);
    this.bins.step(ctx, dtSim, (cb) => this.vehicles.forEachWorkingCompactor(cb));
    this.sweep();
  }

  /** The points collected since the last call, per entity, and forgets them. */
  take(): PastEntry[] {
    const out: PastEntry[] = [];
    for (const t of this.slots) {
      if (t.points.length === 0 && t.reports === 0) continue;
      out.push({ id: t.id, kind: t.kind, orgCode: t.orgCode, points: t.points, reports: t.reports, lastReportT: t.lastReportT });
      t.points = [];
      t.reports = 0;
    }
    return out;
  }

  /** Drops what was collected (a chunk already written by an earlier, interrupted run). */
  discard(): void {
    for (const t of this.slots) { t.points = []; t.reports = 0; }
  }

  private report(slot: number, u: IngestUpdate): boolean {
    if (this.outages.isSilent(slot, this.ctx.wallMs)) return false;
    const t = this.byId.get(u.deviceId);
    if (!t) return false;
    this.reportsSeen++;
    const sec = Math.floor(this.clock.simMs / 1000);
    if (u.pos) { t.lon = Math.round(u.pos.lon * 1e6); t.lat = Math.round(u.pos.lat * 1e6); }
    if (u.status !== undefined) {
      const i = (ENTITY_STATUSES[t.kind] as readonly string[]).indexOf(u.status);
      if (i >= 0) t.status = i;
    }
    if (u.attrs) t.readings = readingsOf(t.kind, u.attrs, t.readings);
    t.conn = ONLINE;
    t.lastDev = this.ctx.wallMs;
    t.lastSim = this.clock.simMs;
    t.reports++;
    t.lastReportT = sec;
    t.points.push({ t: sec, lon: t.lon, lat: t.lat, status: t.status, conn: ONLINE, readings: t.readings });
    return true;
  }

  /** online → stale → offline after the policy's silences, measured in device time, each at the sim time it happened. */
  private sweep(): void {
    const now = this.ctx.wallMs;
    for (const t of this.slots) {
      if (t.lastDev === 0 || t.conn === OFFLINE) continue;
      const { staleAfterMs, offlineAfterMs } = this.policy[t.kind];
      const silence = now - t.lastDev;
      const next = silence >= offlineAfterMs ? OFFLINE : silence >= staleAfterMs ? STALE : ONLINE;
      if (next === t.conn) continue;
      if (t.conn === ONLINE && next === OFFLINE) this.connPoint(t, STALE, staleAfterMs);
      this.connPoint(t, next, next === OFFLINE ? offlineAfterMs : staleAfterMs);
    }
  }

  private connPoint(t: Tracked, conn: number, afterDevMs: number): void {
    t.conn = conn;
    const sec = Math.min(Math.floor((t.lastSim + afterDevMs * this.cadence) / 1000), Math.floor(this.clock.simMs / 1000));
    const last = t.points[t.points.length - 1];
    t.points.push({ t: Math.max(sec, last?.t ?? sec, t.lastReportT), lon: t.lon, lat: t.lat, status: t.status, conn, readings: t.readings });
  }
}
