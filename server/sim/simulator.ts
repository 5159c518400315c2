/**
 * The embedded district simulator: places every person, vehicle, truck, toilet and bin of
 * the district pack and makes them report through the ingest, exactly like real devices
 * (the ingest sink is its only way out). Deterministic for a given pack, seed, speed,
 * clock and sequence of steps.
 *
 * Two clocks: the world (time of day, motion, fill levels) runs on sim time, `speed`
 * times faster than the wall clock; device behaviour (report cadence, outages) and report
 * timestamps use the wall clock, so the load on the ingest and the connectivity shown on
 * the wall do not change with the speed.
 *
 * With the operations modules present (SimPorts), the district also acts: reporters file
 * cases and crews answer dispatches, through the same ports the apps' HTTP routes call.
 */
import type { DistrictPack } from '../../shared/district.ts';
import type { IngestSink, IngestUpdate } from '../ingest/types.ts';
import { BinField } from './bins.ts';
import { atLocalMinuteOfDay, SimClock } from './clock.ts';
import type { SimContext } from './context.ts';
import { CrewDesk, type CrewStats } from './crews.ts';
import { MuckFleet, type MuckMisbehaviour } from './muck-trucks.ts';
import { Outages } from './outages.ts';
import { NO_PORTS, SILENT_LOG, type SimLogger, type SimPorts } from './ports.ts';
import { CaseReporters, type ReporterStats } from './reporters.ts';
import { Rng } from './rng.ts';
import { StaffFleet } from './staff.ts';
import { ToiletFleet } from './toilets.ts';
import { VehicleFleet } from './vehicles.ts';
import { SimWorld } from './world.ts';

export interface SimulatorOptions {
  pack: DistrictPack;
  /** The only way out: one submit per report. */
  ingest: IngestSink;
  seed: number;
  /** 1 = real time; > 1 makes the day and motion run faster. */
  speed: number;
  /** Wall clock, ms (default Date.now). */
  now?: () => number;
  /** The cases and dispatch ports, read lazily; without them the district files no reports and crews never move off their routine. */
  ports?: SimPorts;
  /** Mean case reports per sim day (default 300). */
  reportsPerDay?: number;
  log?: SimLogger;
  /**
   * The district's local time of day (minutes after midnight) the world starts at, today;
   * default: now. Demos start the morning rush; tests that run the world fast pin the hour so
   * that no shift change falls inside them whenever they run.
   */
  startMinuteOfDay?: number | undefined;
  /**
   * Entities a real device drives now (the device registry's takeover): the simulator sends
   * nothing for them — as if their simulated device were silent — and resumes when the real
   * device is disabled or removed.
   */
  drivenElsewhere?: (entityId: string) => boolean;
}

export const DEFAULT_REPORTS_PER_DAY = 300;

export interface SimStats {
  /** Reports submitted to the ingest (accepted or not). */
  reportsSent: number;
  /** Timer steps that threw (logged at the 1st, 10th, 100th…; the next step runs all the same). */
  failedSteps: number;
  /** Reports the ingest refused, or that threw. */
  rejected: number;
  /** Reports not sent because a real device drives the entity. */
  skippedTakenOver: number;
  /** Sim time, ms since epoch. */
  simTime: number;
}

/** What the simulated district looks like right now (for logs and benchmarks). */
export interface SimSnapshot {
  staffOnDuty: number;
  staffSos: number;
  vehiclesWorking: number;
  muckMoving: number;
  /** Trucks misbehaving now, as the simulator knows it; whether the server notices is the alarm rules' job. */
  muckMisbehaving: Record<MuckMisbehaviour, number>;
  binsFull: number;
  binsOverflow: number;
  toiletsOdourAlarm: number;
  devicesSilent: number;
}

/** A timer-driven step never jumps the world by more than this after a stall (wall ms). */
const MAX_TICK_MS = 10_000;

export class Simulator {
  readonly stats: SimStats = { reportsSent: 0, rejected: 0, simTime: 0, failedSteps: 0, skippedTakenOver: 0 };
  /** The last error thrown by the ingest, if any (counted as rejected, never rethrown). */
  lastSubmitError: unknown = undefined;

  private readonly now: () => number;
  private readonly log: SimLogger;
  private readonly ingest: IngestSink;
  private readonly drivenElsewhere: (entityId: string) => boolean;
  private readonly clock: SimClock;
  private readonly ctx: SimContext;
  private readonly outages: Outages;
  private readonly staff: StaffFleet;
  private readonly vehicles: VehicleFleet;
  private readonly muck: MuckFleet;
  private readonly bins: BinField;
  private readonly toilets: ToiletFleet;
  private readonly reporters: CaseReporters;
  private readonly crews: CrewDesk;
  private readonly forEachWorkingCompactor: (cb: (lon: number, lat: number) => void) => void;
  private initialized = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;

  constructor(opts: SimulatorOptions) {
    const { pack, seed, speed } = opts;
    if (pack.roadGraph.nodes.length === 0) throw new Error('the district pack has an empty road graph: nothing can move');
    this.now = opts.now ?? Date.now;
    this.ingest = opts.ingest;
    this.drivenElsewhere = opts.drivenElsewhere ?? (() => false);
    const start = opts.startMinuteOfDay === undefined ? this.now() : atLocalMinuteOfDay(this.now(), opts.startMinuteOfDay);
    this.clock = new SimClock(start, speed);
    const world = new SimWorld(pack);
    this.outages = new Outages(new Rng(seed, 6));
    this.staff = new StaffFleet(world, pack.staff, new Rng(seed, 1), this.outages.allocate(pack.staff.length));
    this.vehicles = new VehicleFleet(world, pack.vehicles, new Rng(seed, 2), this.outages.allocate(pack.vehicles.length));
    this.muck = new MuckFleet(world, pack.muckTrucks, new Rng(seed, 3), this.outages.allocate(pack.muckTrucks.length));
    this.bins = new BinField(world, pack.bins, new Rng(seed, 4), this.outages.allocate(pack.bins.length));
    this.toilets = new ToiletFleet(pack.toilets, new Rng(seed, 5), this.outages.allocate(pack.toilets.length));
    this.forEachWorkingCompactor = (cb) => this.vehicles.forEachWorkingCompactor(cb);
    const ports = opts.ports ?? NO_PORTS;
    const log = opts.log ?? SILENT_LOG;
    this.log = log;
    this.reporters = new CaseReporters(world, opts.reportsPerDay ?? DEFAULT_REPORTS_PER_DAY, new Rng(seed, 7), ports, () => this.staff.roadChiefsOnPatrol(), log);
    this.crews = new CrewDesk(world, [this.staff, this.vehicles], new Rng(seed, 8), ports, log);
    this.ctx = {
      world, clock: this.clock, outages: this.outages, wallMs: start, ts: start,
      report: (slot, update) => this.report(slot, update),
    };
    this.stats.simTime = this.clock.simMs;
  }

  /** Places every entity and emits one full report for each, so the wall fills at once. */
  init(): void {
    if (this.initialized) return;
    this.initialized = true;
    this.ctx.ts = this.now();
    this.staff.init(this.ctx);
    this.vehicles.init(this.ctx);
    this.muck.init(this.ctx);
    this.toilets.init(this.ctx);
    this.bins.init(this.ctx);
  }

  /** Advances by dtMs of wall time (sim time by dtMs × speed) and emits the reports that fall due. */
  step(dtMs: number): void {
    if (!this.initialized) this.init();
    if (!(dtMs > 0)) return;
    const ctx = this.ctx;
    ctx.wallMs += dtMs;
    ctx.ts = this.now();
    const dtSim = this.clock.advance(dtMs);
    this.outages.step(dtMs, ctx.wallMs);
    void this.reporters.step(ctx, dtSim);
    // Crews first: a task moved this step is reported by its fleet in the same step.
    this.crews.step(ctx, dtSim);
    this.staff.step(ctx, dtSim);
    this.vehicles.step(ctx, dtSim);
    this.muck.step(ctx, dtSim);
    this.toilets.step(ctx, dtSim);
    this.bins.step(ctx, dtSim, this.forEachWorkingCompactor);
    this.stats.simTime = this.clock.simMs;
  }

  /** Steps every tickMs on a timer, by the wall time that actually passed. */
  start(tickMs = 1000): void {
    if (this.timer) return;
    this.init();
    this.lastTick = this.now();
    this.timer = setInterval(() => {
      const t = this.now();
      const dt = Math.min(MAX_TICK_MS, Math.max(0, t - this.lastTick));
      this.lastTick = t;
      // A failing step is logged and the next one tried: a timer that throws would end the server.
      try {
        this.step(dt);
      } catch (err) {
        this.stats.failedSteps++;
        if (Number.isInteger(Math.log10(this.stats.failedSteps))) this.log.warn({ err, failedSteps: this.stats.failedSteps }, 'simulator step failed');
      }
    }, tickMs);
    this.timer.unref?.();
  }

  /**
   * A unit was dispatched (the lead may wire this to the dispatch module's event): if it is
   * one of the simulator's, its crew picks the task up on the next step rather than at the next poll.
   */
  onUnitDispatched(entityId: string): void {
    this.crews.unitDispatched(entityId);
  }

  /** Case reports filed and crew tasks handled so far. */
  opsStats(): { reports: ReporterStats; crews: CrewStats & { busy: number } } {
    return { reports: this.reporters.stats, crews: { ...this.crews.stats, busy: this.crews.busy } };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  snapshot(): SimSnapshot {
    return {
      staffOnDuty: this.staff.onDutyCount(),
      staffSos: this.staff.sosCount(),
      vehiclesWorking: this.vehicles.workingCount(),
      muckMoving: this.muck.movingCount(),
      muckMisbehaving: this.muck.misbehaviourCounts(),
      binsFull: this.bins.countAtLeast(80),
      binsOverflow: this.bins.countAtLeast(95),
      toiletsOdourAlarm: this.toilets.alarmCount(),
      devicesSilent: this.outages.silentCount(this.ctx.wallMs),
    };
  }

  /** One truck's misbehaviours now (ground truth for tests of the server's rules). */
  muckMisbehaviourOf(truckId: string): MuckMisbehaviour[] {
    return this.muck.misbehaviourOf(truckId);
  }

  private report(slot: number, update: IngestUpdate): boolean {
    if (this.outages.isSilent(slot, this.ctx.wallMs)) return false;
    if (this.drivenElsewhere(update.deviceId)) {
      this.stats.skippedTakenOver++;
      return false;
    }
    this.stats.reportsSent++;
    try {
      if (!this.ingest.submit(update).accepted) this.stats.rejected++;
    } catch (err) {
      this.stats.rejected++;
      this.lastSubmitError = err;
    }
    return true;
  }
}
