/**
 * The cost of the change stream's consumers per accepted report: the Lixia simulator's
 * reports are recorded once, then replayed through a fresh live state and the real ingest
 * with a chosen set of consumers subscribed — the fan-out's change log, dispatch's unit
 * book (index upkeep and arrival detection), and the alarm rules with their SQLite store on
 * a temp file (synchronous=FULL as in production). Every replay gets the same reports, the
 * same ingest and the same once-a-second connectivity sweep; only the subscribers differ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DistrictPack } from '../../../shared/district.ts';
import { createAlarms } from '../../../server/alarms/alarms.ts';
import { SqliteStore } from '../../../server/store/sql/sqlite-store.ts';
import { Dispatcher } from '../../../server/dispatch/dispatcher.ts';
import { DEFAULT_DISPATCH_SETTINGS } from '../../../server/dispatch/settings.ts';
import { UnitBook } from '../../../server/dispatch/unit-book.ts';
import { buildTravelRouters, type TravelRouters } from '../../../server/district/travel-time.ts';
import { DeviceRegistry } from '../../../server/ingest/device-registry.ts';
import { Ingest } from '../../../server/ingest/ingest.ts';
import type { IngestOutcome, IngestSink, IngestUpdate } from '../../../server/ingest/types.ts';
import { entitiesFromPack } from '../../../server/live/entities-from-pack.ts';
import { LiveFanOut } from '../../../server/live/fan-out.ts';
import { connectivityPolicy, LiveState } from '../../../server/live/live-state.ts';
import { DomainEvents } from '../../../server/ops/domain-events.ts';
import type { CasesPort } from '../../../server/ops/ports.ts';
import { Simulator } from '../../../server/sim/simulator.ts';
import { openDatabase } from '../../../server/store/database.ts';

export interface Recording {
  pack: DistrictPack;
  reports: IngestUpdate[];
  /** Device time the reports span, minutes. */
  simMinutes: number;
}

/** The simulator at speed 1 from 08:00 in Jinan (staff on shift, vehicles working, trucks parked or running), into a sink that keeps the reports. */
export function recordReports(pack: DistrictPack, count: number): Recording {
  const reports: IngestUpdate[] = [];
  const sink: IngestSink = { submit: (u): IngestOutcome => { reports.push(u); return { accepted: true, entityId: u.deviceId }; } };
  let wall = Date.UTC(2026, 0, 15, 0, 0, 0);
  const sim = new Simulator({ pack, ingest: sink, seed: 808, speed: 1, now: () => wall });
  sim.init();
  while (reports.length < count) {
    wall += 1000;
    sim.step(1000);
  }
  reports.length = count;
  return { pack, reports, simMinutes: (reports.at(-1)!.ts - reports[0]!.ts) / 60_000 };
}

export interface Consumers {
  fanOut: boolean;
  dispatch: boolean;
  rules: boolean;
}

export interface ReplayResult {
  /** CPU time of the process (user + system, all threads: GC included, waiting for the disk not), ms. */
  cpuMs: number;
  wallMs: number;
  /** Wall time spent in the alarm store's batched commits (an fsync each, paid per tick of device time, not per report). */
  commitMs: number;
  /** CPU time in those commits, ms. */
  commitCpuMs: number;
  commits: number;
  accepted: number;
  alarms: number;
  /** Rule evaluations (on reports, connectivity changes and sweeps). */
  evaluations: number;
}

/** Cases are never touched on this path (no unit is engaged); any call would be a bench bug. */
const NO_CASES = (): CasesPort => { throw new Error('the ingest replay has no cases module'); };

let routers: TravelRouters | undefined;

export async function replay(rec: Recording, use: Consumers): Promise<ReplayResult> {
  const { pack, reports } = rec;
  const mobile = { staleAfterMs: 60_000, offlineAfterMs: 600_000 };
  const sensor = { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 };
  const live = new LiveState(entitiesFromPack(pack), connectivityPolicy(mobile, sensor));
  let now = reports[0]!.ts;
  const ingest = new Ingest(live, new DeviceRegistry([], (id) => live.get(id) !== undefined), { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now);
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bench-'));
  const db = openDatabase(dir);
  const events = new DomainEvents();
  const fanOut = use.fanOut ? new LiveFanOut(live, () => now) : null;
  let offDispatch: (() => void) | null = null;
  if (use.dispatch) {
    routers ??= buildTravelRouters(pack);
    const settings = DEFAULT_DISPATCH_SETTINGS;
    // A fresh store: no unit is engaged yet.
    const book = new UnitBook(live, [], () => now, settings, pack.meta.center[1]);
    const dispatcher = new Dispatcher({ store: new SqliteStore(db), book, routers, cases: NO_CASES, events, now: () => now, settings });
    offDispatch = live.changes.subscribe('dispatch', (c) => dispatcher.onLiveChange(c));
  }
  const mod = use.rules ? await createAlarms({ sql: new SqliteStore(db), live, pack, events, now: () => now, onThresholds: (t) => { ingest.thresholds = t; } }) : null;
  mod?.engine.start();
  let commitMs = 0;
  let commitCpuMs = 0;
  let commits = 0;
  if (mod) {
    const flush = mod.book.flush.bind(mod.book);
    mod.book.flush = async () => {
      const t = performance.now();
      const c = process.cpuUsage();
      await flush();
      const dc = process.cpuUsage(c);
      commitCpuMs += (dc.user + dc.system) / 1000;
      commitMs += performance.now() - t;
      commits++;
    };
  }
  let accepted = 0;
  let lastSecond = Math.floor(now / 1000);
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const u of reports) {
    now = u.ts;
    const second = Math.floor(now / 1000);
    if (second !== lastSecond) {
      // Once a second, as the server does: the connectivity sweep, and the rules' tick (clear holds, batched writes, the 30 s sweep).
      lastSecond = second;
      live.sweepConnectivity(now);
      mod?.engine.tick(now);
      await mod?.book.settle();
    }
    if (ingest.submit(u).accepted) accepted++;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const alarms = mod ? (db.prepare('SELECT COUNT(*) AS n FROM alarms').get() as { n: number }).n : 0;
  const evaluations = mod?.engine.evaluations ?? 0;
  mod?.engine.stop();
  fanOut?.unsubscribe();
  offDispatch?.();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, commitMs, commitCpuMs, commits, accepted, alarms, evaluations };
}

/** CPU ms of one replay, best of the rounds, per set of consumers. */
export interface ReplayCost {
  /** The ingest with nothing subscribed. */
  ingestOnly: number;
  /** With the fan-out's change log subscribed. */
  fanOut: number;
  /** With the fan-out and dispatch subscribed: the server with its rules off. */
  others: number;
  /** With the fan-out, dispatch and the alarm rules: the server as it runs. */
  all: number;
}

export interface RuleCost {
  reports: number;
  accepted: number;
  simMinutes: number;
  alarms: number;
  commits: number;
  /** Wall ms per commit (mostly the fsync). */
  commitMsEach: number;
  /** CPU ms in the commits of the best 'all' replay (part of cpu.all). */
  commitCpuMs: number;
  evaluations: number;
  cpu: ReplayCost;
  /** Wall ms, best of the rounds, for the same sets (the replay squeezes the commits' fsyncs of the whole device time into it). */
  wall: ReplayCost;
}

/**
 * Each set of consumers over the same recording, in interleaved rounds, best of each: a
 * noisy neighbour hurts every variant alike. CPU time is the figure compared, as it counts
 * the work done (the rules' batched commits included) and not the waiting for the disk or
 * for a core another process holds.
 */
export async function measureRuleCost(rec: Recording, rounds = 3): Promise<RuleCost> {
  const sets: Record<keyof ReplayCost, Consumers> = {
    ingestOnly: { fanOut: false, dispatch: false, rules: false },
    fanOut: { fanOut: true, dispatch: false, rules: false },
    others: { fanOut: true, dispatch: true, rules: false },
    all: { fanOut: true, dispatch: true, rules: true },
  };
  const keys = Object.keys(sets) as (keyof ReplayCost)[];
  for (const k of keys) await replay(rec, sets[k]); // warm-up of every path
  const cpu = { ingestOnly: Infinity, fanOut: Infinity, others: Infinity, all: Infinity };
  const wall = { ...cpu };
  let best: ReplayResult | undefined;
  for (let r = 0; r < rounds; r++) {
    for (const k of keys) {
      const res = await replay(rec, sets[k]);
      if (k === 'all' && res.cpuMs < cpu.all) best = res;
      cpu[k] = Math.min(cpu[k], res.cpuMs);
      wall[k] = Math.min(wall[k], res.wallMs);
    }
  }
  const b = best!;
  return {
    reports: rec.reports.length, accepted: b.accepted, simMinutes: rec.simMinutes, alarms: b.alarms, evaluations: b.evaluations,
    commits: b.commits, commitMsEach: b.commits > 0 ? b.commitMs / b.commits : 0, commitCpuMs: b.commitCpuMs, cpu, wall,
  };
}
