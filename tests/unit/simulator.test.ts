import { describe, it, expect, vi, afterEach } from 'vitest';
import { Simulator } from '../../server/sim/simulator.ts';
import type { IngestOutcome, IngestSink, IngestUpdate } from '../../server/ingest/types.ts';
import type { DistrictPack, RoadGraph, RoadProps } from '../../shared/district.ts';
import type { Feature, LineStringGeometry, LonLat } from '../../shared/geojson.ts';
import { ENTITY_STATUSES, type EntityKind, type ToiletClass } from '../../shared/entities.ts';
import { distanceToPolylineM } from '../../server/district/locator.ts';
import { distanceM } from '../../shared/geo.ts';
import { atLocalMinuteOfDay, localMinuteOfDay } from '../../server/sim/clock.ts';

const LON0 = 117.05, LAT0 = 36.64;
const STEP_LON = 0.0025, STEP_LAT = 0.002; // ≈ 220 m × 220 m blocks
const SIZE = 12;

/** A small synthetic district: a 12 × 12 street grid, 4 unit grids, and a fleet of every kind. */
function syntheticPack(): DistrictPack {
  const nodes: LonLat[] = [];
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) nodes.push([LON0 + x * STEP_LON, LAT0 + y * STEP_LAT]);
  const id = (x: number, y: number): number => y * SIZE + x;
  const edges: RoadGraph['edges'] = [];
  const roads: Feature<LineStringGeometry, RoadProps>[] = [];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x + 1 < SIZE; x++) {
      const [a, b] = [nodes[id(x, y)]!, nodes[id(x + 1, y)]!];
      edges.push([id(x, y), id(x + 1, y), distanceM(a[0], a[1], b[0], b[1]), `h${y}`]);
    }
    roads.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [nodes[id(0, y)]!, nodes[id(SIZE - 1, y)]!] }, properties: { id: `h${y}`, name: `East ${y}`, class: y % 4 === 0 ? 'trunk' : 'residential' } });
  }
  for (let x = 0; x < SIZE; x++) {
    for (let y = 0; y + 1 < SIZE; y++) {
      const [a, b] = [nodes[id(x, y)]!, nodes[id(x, y + 1)]!];
      edges.push([id(x, y), id(x, y + 1), distanceM(a[0], a[1], b[0], b[1]), `v${x}`]);
    }
    roads.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [nodes[id(x, 0)]!, nodes[id(x, SIZE - 1)]!] }, properties: { id: `v${x}`, name: `North ${x}`, class: 'secondary' } });
  }
  const box = (x0: number, y0: number, x1: number, y1: number): LonLat[][] => [[
    [LON0 + x0 * STEP_LON, LAT0 + y0 * STEP_LAT], [LON0 + x1 * STEP_LON, LAT0 + y0 * STEP_LAT],
    [LON0 + x1 * STEP_LON, LAT0 + y1 * STEP_LAT], [LON0 + x0 * STEP_LON, LAT0 + y1 * STEP_LAT], [LON0 + x0 * STEP_LON, LAT0 + y0 * STEP_LAT],
  ]];
  const gridIds = ['g1', 'g2', 'g3', 'g4'];
  const grids = gridIds.map((gid, i) => ({
    type: 'Feature' as const, properties: { id: gid, streetCode: '370102001', communityCode: '370102001001' },
    geometry: { type: 'Polygon' as const, coordinates: box((i % 2) * 5.5, Math.floor(i / 2) * 5.5, (i % 2) * 5.5 + 5.5, Math.floor(i / 2) * 5.5 + 5.5) },
  }));
  const roles = ['cleaner', 'roadChief', 'enforcer'] as const;
  const shifts = ['06:00-14:00', '14:00-22:00', '22:00-06:00', '08:00-17:00'];
  const staff = Array.from({ length: 60 }, (_, i) => ({
    id: `staff-${String(i + 1).padStart(4, '0')}`, name: `Staff ${i + 1}`, role: roles[i % 3]!,
    streetCode: '370102001', gridId: gridIds[i % 4]!, shift: shifts[i % 4]!,
    ...(i % 3 === 1 ? { roadId: `h${(i * 5) % SIZE}` } : {}),
  }));
  const types = ['sweeper', 'washer', 'sprinkler', 'compactor'] as const;
  const limits = { sweeper: 8, washer: 15, sprinkler: 15, compactor: 30 };
  const vehicles = Array.from({ length: 16 }, (_, i) => ({
    id: `veh-${String(i + 1).padStart(3, '0')}`, plate: `鲁A${10000 + i}`, vehicleType: types[i % 4]!,
    streetCode: '370102001', gridId: gridIds[i % 4]!, roadIds: [`h${i % SIZE}`, `v${(i * 3) % SIZE}`, 'missing-road'],
    depot: [LON0 + 0.001, LAT0 + 0.001] as LonLat, workSpeedLimitKph: limits[types[i % 4]!],
  }));
  const route: LonLat[] = Array.from({ length: SIZE }, (_, x) => nodes[id(x, 3)]!);
  const muckTrucks = Array.from({ length: 12 }, (_, i) => ({
    id: `muck-${String(i + 1).padStart(3, '0')}`, plate: `鲁A${20000 + i}`, company: 'Quancheng Transport',
    streetCode: '370102001', gridId: 'g1',
    permit: {
      id: `permit-${i % 3}`, site: { name: 'Site', lon: route[0]![0], lat: route[0]![1] },
      disposal: { name: 'Field', lon: route.at(-1)![0], lat: route.at(-1)![1] },
      routeRoadIds: ['h3'], route, hours: i % 2 === 0 ? '22:00-05:00' : '00:00-24:00', corridorM: 50,
    },
  }));
  const classes: ToiletClass[] = ['I', 'II', 'III'];
  const toilets = Array.from({ length: 12 }, (_, i) => ({
    id: `toilet-${String(i + 1).padStart(4, '0')}`, name: `Toilet ${i + 1}`,
    lon: LON0 + (i % 6) * 0.004, lat: LAT0 + Math.floor(i / 6) * 0.01, streetCode: '370102001', gridId: gridIds[i % 4]!,
    toiletClass: classes[i % 3]!, stalls: 2 + (i % 5), hours: i % 3 === 0 ? '00:00-24:00' : '06:00-22:00',
  }));
  const bins = Array.from({ length: 300 }, (_, i) => {
    const x = i % SIZE, y = Math.floor(i / SIZE) % SIZE;
    return {
      id: `bin-${String(i + 1).padStart(5, '0')}`, lon: LON0 + x * STEP_LON + 0.0001, lat: LAT0 + y * STEP_LAT,
      binType: i % 5 === 0 ? 'garbage' as const : 'litter' as const, streetCode: '370102001', gridId: gridIds[i % 4]!,
      ...(i % 2 === 0 ? { roadId: `h${y}` } : {}), capacityL: i % 5 === 0 ? 660 : 120,
    };
  });
  const empty = { type: 'FeatureCollection' as const, features: [] };
  return {
    meta: {
      id: 'test', name: '测试区', nameEn: 'Test', city: '济南', cityEn: 'Jinan', adcode: '370102',
      center: [LON0 + 0.014, LAT0 + 0.011], bbox: [LON0, LAT0, LON0 + 0.03, LAT0 + 0.025], timezone: 'Asia/Shanghai', crs: 'WGS84', approximate: true, attribution: 'synthetic',
    },
    boundary: empty, streets: empty, communities: empty, grids: { type: 'FeatureCollection', features: grids },
    roads: { type: 'FeatureCollection', features: roads }, roadGraph: { nodes, edges }, water: empty, parks: empty, landmarks: empty,
    toilets, bins, staff, vehicles, muckTrucks,
  };
}

const PACK = syntheticPack();
const KIND_BY_PREFIX: Record<string, EntityKind> = { staff: 'staff', veh: 'vehicle', muck: 'muckTruck', toilet: 'toilet', bin: 'bin' };
const kindOf = (deviceId: string): EntityKind => KIND_BY_PREFIX[deviceId.split('-')[0]!]!;

const ATTR_KEYS: Record<EntityKind, string[]> = {
  staff: ['role', 'shift', 'onDuty', 'roadId', 'sos'],
  vehicle: ['vehicleType', 'plate', 'working', 'routeDone'],
  // No 'violations': a terminal does not label its own behaviour (the server's rules do).
  muckTruck: ['plate', 'company', 'permitId', 'loaded', 'lidSealed'],
  toilet: ['toiletClass', 'open', 'stalls', 'occupied', 'nh3', 'h2s', 'footfallToday', 'lastCleanedTs', 'odourAlarm'],
  bin: ['binType', 'fill', 'roadId'],
};

/** DOMAIN.md's thresholds written out by hand, not the functions the simulator and ingest use. */
const expectedBinStatus = (fill: number) => (fill >= 95 ? 'overflow' : fill >= 80 ? 'full' : 'ok');
const NH3_LIMIT: Record<ToiletClass, number> = { I: 0.3, II: 1, III: 3 };
const expectedOdourAlarm = (cls: ToiletClass, nh3: number, h2s: number) => nh3 > NH3_LIMIT[cls] || h2s > 0.01;

/** 2026-01-15 10:00 in Jinan (02:00 UTC). */
const T0 = Date.UTC(2026, 0, 15, 2, 0, 0);

class FakeSink implements IngestSink {
  updates: IngestUpdate[] = [];
  constructor(private readonly answer: (u: IngestUpdate) => IngestOutcome = (u) => ({ accepted: true, entityId: u.deviceId })) {}
  submit(update: IngestUpdate): IngestOutcome {
    this.updates.push(update);
    return this.answer(update);
  }
}

function makeSim(opts: { seed?: number; speed?: number; start?: number; sink?: FakeSink } = {}) {
  let wall = opts.start ?? T0;
  const sink = opts.sink ?? new FakeSink();
  const sim = new Simulator({ pack: PACK, ingest: sink, seed: opts.seed ?? 42, speed: opts.speed ?? 1, now: () => wall });
  const run = (steps: number, dtMs = 1000): void => {
    for (let i = 0; i < steps; i++) {
      wall += dtMs;
      sim.step(dtMs);
    }
  };
  return { sim, sink, run, wall: () => wall };
}

/** Latest state per device, merged the way the live state merges updates. */
function latest(updates: readonly IngestUpdate[]) {
  const out = new Map<string, { status?: string; attrs: Record<string, unknown>; pos?: IngestUpdate['pos']; ts: number }>();
  for (const u of updates) {
    const cur = out.get(u.deviceId) ?? { attrs: {}, ts: 0 };
    out.set(u.deviceId, { status: u.status ?? cur.status, attrs: { ...cur.attrs, ...u.attrs }, pos: u.pos ?? cur.pos, ts: u.ts });
  }
  return out;
}

describe('Simulator', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('fills the wall on init: one full report per entity, stamped with the wall clock', () => {
    const { sim, sink } = makeSim();
    sim.init();
    const total = PACK.staff.length + PACK.vehicles.length + PACK.muckTrucks.length + PACK.toilets.length + PACK.bins.length;
    expect(sink.updates).toHaveLength(total);
    expect(new Set(sink.updates.map((u) => u.deviceId)).size).toBe(total);
    expect(sim.stats.reportsSent).toBe(total);
    const required: Record<EntityKind, string[]> = {
      staff: ['role', 'shift', 'onDuty'],
      vehicle: ['vehicleType', 'plate', 'working'],
      muckTruck: ['plate', 'company', 'permitId', 'loaded', 'lidSealed'],
      toilet: ['toiletClass', 'open', 'stalls', 'occupied', 'nh3', 'h2s', 'footfallToday', 'lastCleanedTs', 'odourAlarm'],
      bin: ['binType', 'fill'],
    };
    for (const u of sink.updates) {
      const kind = kindOf(u.deviceId);
      expect(u.source).toBe('sim');
      expect(u.ts).toBe(T0);
      expect((ENTITY_STATUSES[kind] as readonly string[]).includes(u.status!)).toBe(true);
      expect(Object.keys(u.attrs ?? {})).toEqual(expect.arrayContaining(required[kind]));
      if (kind === 'toilet' || kind === 'bin') {
        expect(u.pos).toBeUndefined();
      } else {
        expect(u.pos!.lon).toBeGreaterThan(LON0 - 0.01);
        expect(u.pos!.lat).toBeGreaterThan(LAT0 - 0.01);
        expect(u.pos!.speed).toBeGreaterThanOrEqual(0);
        expect(u.pos!.heading).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('puts staff on duty by their shift, also for a shift across midnight', () => {
    const at = (utcHour: number) => {
      const { sim, sink } = makeSim({ start: Date.UTC(2026, 0, 15, utcHour, 0, 0) });
      sim.init();
      return latest(sink.updates);
    };
    const tenAm = at(2); // 10:00 local
    const twoAm = at(18); // 02:00 local next day
    for (const m of PACK.staff) {
      const morning = m.shift === '06:00-14:00' || m.shift === '08:00-17:00';
      expect(tenAm.get(m.id)!.status).toBe(morning ? 'onDuty' : 'offDuty');
      expect(tenAm.get(m.id)!.attrs.onDuty).toBe(morning);
      expect(twoAm.get(m.id)!.status).toBe(m.shift === '22:00-06:00' ? 'onDuty' : 'offDuty');
    }
  });

  it('is deterministic for a seed, and different seeds give a different district', () => {
    const runOnce = (seed: number) => {
      const { sim, sink, run } = makeSim({ seed, speed: 60 });
      sim.init();
      run(600);
      return sink.updates;
    };
    const a = runOnce(7);
    const b = runOnce(7);
    expect(a.length).toBeGreaterThan(1000);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(runOnce(8))).not.toBe(JSON.stringify(a));
  });

  it('advances sim time by dt × speed and reports on the wall clock', () => {
    const { sim, sink, run, wall } = makeSim({ speed: 60 });
    sim.init();
    run(10);
    expect(sim.stats.simTime).toBe(T0 + 10 * 1000 * 60);
    expect(Math.max(...sink.updates.map((u) => u.ts))).toBe(wall());
    // Staff report every 5–10 s of wall time whatever the speed.
    const one = sink.updates.filter((u) => u.deviceId === 'staff-0001');
    expect(one.length).toBeGreaterThanOrEqual(2);
    expect(one.length).toBeLessThanOrEqual(3);
  });

  it('counts rejected reports and survives an ingest that throws', () => {
    const rejecting = new FakeSink(() => ({ accepted: false, reason: 'duplicate', detail: 'test' }));
    const { sim, run } = makeSim({ sink: rejecting });
    sim.init();
    run(20);
    expect(sim.stats.rejected).toBe(sim.stats.reportsSent);
    expect(sim.stats.reportsSent).toBeGreaterThan(PACK.bins.length);

    const throwing = new FakeSink(() => { throw new Error('ingest down'); });
    const broken = makeSim({ sink: throwing });
    expect(() => { broken.sim.init(); broken.run(5); }).not.toThrow();
    expect(broken.sim.stats.rejected).toBe(broken.sim.stats.reportsSent);
    expect(broken.sim.lastSubmitError).toBeInstanceOf(Error);
  });

  it('keeps its timer running when a step throws, counting the failures', () => {
    vi.useFakeTimers();
    try {
      const { sim } = makeSim();
      sim.start(1000);
      let calls = 0;
      (sim as unknown as { step: (dt: number) => void }).step = () => {
        calls++;
        throw new Error('a bug in a fleet');
      };
      expect(() => vi.advanceTimersByTime(3000)).not.toThrow();
      expect(calls).toBe(3);
      expect(sim.stats.failedSteps).toBe(3);
      sim.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('moves staff at walking pace along the roads near their post', () => {
    const { sim, sink, run } = makeSim();
    sim.init();
    run(600);
    const byId = new Map<string, IngestUpdate[]>();
    for (const u of sink.updates) if (u.deviceId.startsWith('staff-')) byId.set(u.deviceId, [...(byId.get(u.deviceId) ?? []), u]);
    let moved = 0;
    for (const m of PACK.staff) {
      const ups = byId.get(m.id)!;
      if (ups[0]!.status !== 'onDuty') continue;
      for (let i = 1; i < ups.length; i++) {
        const [p, q] = [ups[i - 1]!, ups[i]!];
        const kph = (distanceM(p.pos!.lon, p.pos!.lat, q.pos!.lon, q.pos!.lat) / ((q.ts - p.ts) / 1000)) * 3.6;
        expect(kph).toBeLessThan(5.5);
        expect(q.pos!.speed).toBeLessThan(6);
      }
      const first = ups[0]!.pos!, last = ups.at(-1)!.pos!;
      if (distanceM(first.lon, first.lat, last.lon, last.lat) > 20) moved++;
      // On a street of the grid: one coordinate sits on a grid line.
      const onLine = (v: number, v0: number, step: number) => Math.abs((v - v0) / step - Math.round((v - v0) / step)) < 1e-3;
      expect(onLine(last.lon, LON0, STEP_LON) || onLine(last.lat, LAT0, STEP_LAT)).toBe(true);
    }
    expect(moved).toBeGreaterThan(5);
  });

  it('runs a day at speed 60 with consistent readings for every kind', () => {
    const { sim, sink, run } = makeSim({ speed: 60 });
    sim.init();
    const seen = { vehicleWorking: new Set<number>(), muckStatus: new Set<string>(), toiletStatus: new Set<string>(), binStatus: new Set<string>() };
    let maxOverLimit = 0;
    let odourChecked = 0;
    const toiletReadings = new Map<string, Record<string, unknown>>();
    let lastCount = 0;
    for (let i = 0; i < 1440; i++) {
      run(1);
      const minute = localMinuteOfDay(sim.stats.simTime);
      for (let k = lastCount; k < sink.updates.length; k++) {
        const u = sink.updates[k]!;
        const kind = kindOf(u.deviceId);
        // What the ingest accepts: a status of the kind, known attributes, positions only for mobile kinds.
        expect((ENTITY_STATUSES[kind] as readonly string[]).includes(u.status!)).toBe(true);
        for (const key of Object.keys(u.attrs ?? {})) expect(ATTR_KEYS[kind]).toContain(key);
        if (kind === 'toilet') {
          const merged = { ...toiletReadings.get(u.deviceId), ...u.attrs };
          toiletReadings.set(u.deviceId, merged);
          if (u.attrs?.odourAlarm !== undefined) {
            const site = PACK.toilets.find((t) => t.id === u.deviceId)!;
            expect(u.attrs.odourAlarm).toBe(expectedOdourAlarm(site.toiletClass, merged.nh3 as number, merged.h2s as number));
            odourChecked++;
          }
        }
        expect(u.pos === undefined).toBe(kind === 'toilet' || kind === 'bin');
        if (kind === 'toilet') {
          const site = PACK.toilets.find((t) => t.id === u.deviceId)!;
          const allDay = site.hours === '00:00-24:00';
          const inHours = allDay || (minute >= 360 && minute < 1320);
          // Reports are stamped at the end of a 1-minute step: allow the boundary minute.
          if (Math.abs(minute - 360) > 1 && Math.abs(minute - 1320) > 1) expect(u.status === 'closed').toBe(!inHours);
          if (u.attrs?.open !== undefined) expect(u.attrs.open).toBe(u.status !== 'closed');
        }
        if (kind === 'vehicle' && u.status === 'working') {
          seen.vehicleWorking.add(Math.floor(minute / 60));
          const v = PACK.vehicles.find((x) => x.id === u.deviceId)!;
          maxOverLimit = Math.max(maxOverLimit, u.pos!.speed! / v.workSpeedLimitKph);
        }
        if (kind === 'muckTruck') seen.muckStatus.add(u.status!);
        if (kind === 'toilet') seen.toiletStatus.add(u.status!);
        if (kind === 'bin') {
          expect(u.status).toBe(expectedBinStatus(u.attrs!.fill as number));
          seen.binStatus.add(u.status!);
        }
      }
      lastCount = sink.updates.length;
    }
    // Vehicles work in the morning and afternoon windows, never in the banned 07–10 / 17–20 hours.
    expect([...seen.vehicleWorking].some((h) => h >= 4 && h < 7)).toBe(true);
    expect([...seen.vehicleWorking].some((h) => h >= 10 && h < 17)).toBe(true);
    expect([...seen.vehicleWorking].filter((h) => (h >= 7 && h < 10) || (h >= 17 && h < 20))).toEqual([]);
    expect(maxOverLimit).toBeLessThan(1.7);
    expect([...seen.muckStatus].sort()).toEqual(['empty', 'loaded', 'parked']);
    expect([...seen.toiletStatus].sort()).toEqual(['cleaning', 'closed', 'open']);
    expect(seen.binStatus.has('ok')).toBe(true);
    expect(seen.binStatus.has('full')).toBe(true);

    expect(seen.binStatus.has('overflow') || seen.binStatus.has('full')).toBe(true);
    expect(odourChecked).toBeGreaterThan(PACK.toilets.length);
    const state = latest(sink.updates);
    for (const t of PACK.toilets) expect(state.get(t.id)!.attrs.occupied as number).toBeLessThanOrEqual(t.stalls);
    expect(sim.stats.rejected).toBe(0);
  }, 60_000); // a whole simulated day checked update by update: seconds on a quiet machine, more when CI runs two files at once

  it('lets muck trucks misbehave the way a terminal shows it, without labelling it: detours beyond the corridor and back, speeding, lid open', () => {
    const { sim, sink, run } = makeSim({ speed: 60, seed: 3 });
    sim.init();
    const route = PACK.muckTrucks[0]!.permit.route; // every permit of the synthetic pack shares this line, corridor 50 m
    /** Per truck: distance of each report from the permit line while the simulator says it is on a detour, and after. */
    const detourEpisodes = new Map<string, { offM: number[]; backM: number | null }[]>();
    let speedingReports = 0;
    let lidOpenMoving = 0;
    let lastCount = 0;
    for (let i = 0; i < 3 * 1440; i++) {
      run(1);
      for (let k = lastCount; k < sink.updates.length; k++) {
        const u = sink.updates[k]!;
        if (kindOf(u.deviceId) !== 'muckTruck') continue;
        expect(u.attrs?.violations).toBeUndefined();
        const truth = sim.muckMisbehaviourOf(u.deviceId);
        const d = distanceToPolylineM(u.pos!.lon, u.pos!.lat, route);
        const episodes = detourEpisodes.get(u.deviceId) ?? [];
        const open = episodes.at(-1);
        if (truth.includes('detour')) {
          if (!open || open.backM !== null) episodes.push({ offM: [d], backM: null });
          else open.offM.push(d);
        } else if (open && open.backM === null) {
          open.backM = d;
        }
        detourEpisodes.set(u.deviceId, episodes);
        if (truth.includes('speeding')) {
          expect(u.pos!.speed!).toBeGreaterThan(60);
          speedingReports++;
        }
        if (truth.includes('lidOpen') && u.pos!.speed! > 20) lidOpenMoving++;
      }
      lastCount = sink.updates.length;
    }
    const finished = [...detourEpisodes.values()].flat().filter((e) => e.backM !== null);
    expect(finished.length).toBeGreaterThan(0);
    for (const e of finished) {
      // Each detour takes the truck well beyond its 50 m corridor, and it reports from inside it again afterwards.
      expect(Math.max(...e.offM)).toBeGreaterThan(50);
      expect(e.backM!).toBeLessThanOrEqual(50);
    }
    expect(speedingReports).toBeGreaterThan(0);
    expect(lidOpenMoving).toBeGreaterThan(0);
  });

  it('lets a few devices fall silent for minutes, then resume', () => {
    const { sim, sink, run } = makeSim();
    sim.init();
    run(3 * 3600, 1000);
    const lastTs = new Map<string, number>();
    let longGaps = 0;
    for (const u of sink.updates) {
      if (!/^(staff|veh|muck)-/.test(u.deviceId)) continue;
      const prev = lastTs.get(u.deviceId);
      if (prev !== undefined && u.ts - prev > 3 * 60_000 && u.status === 'onDuty') longGaps++;
      lastTs.set(u.deviceId, u.ts);
    }
    expect(longGaps).toBeGreaterThan(0);
    expect(sim.snapshot().devicesSilent).toBeLessThan(0.06 * (PACK.staff.length + PACK.vehicles.length + PACK.muckTrucks.length + PACK.toilets.length + PACK.bins.length));
  });

  it('steps on a timer once started, and stops', () => {
    vi.useFakeTimers({ now: T0 });
    const sink = new FakeSink();
    const sim = new Simulator({ pack: PACK, ingest: sink, seed: 1, speed: 1 });
    sim.start(1000);
    const afterInit = sink.updates.length;
    vi.advanceTimersByTime(10_000);
    expect(sim.stats.simTime).toBe(T0 + 10_000);
    expect(sink.updates.length).toBeGreaterThan(afterInit);
    expect(sink.updates.at(-1)!.ts).toBe(T0 + 10_000);
    sim.stop();
    const stopped = sink.updates.length;
    vi.advanceTimersByTime(10_000);
    expect(sink.updates.length).toBe(stopped);
  });
});

describe('the simulated world\'s start time of day', () => {
  it('is the same district day at the given local minute (UTC+8), across the UTC date line', () => {
    // 2026-11-28 20:07 in Jinan is 12:07 UTC; 09:00 that local day is 01:00 UTC
    expect(atLocalMinuteOfDay(Date.UTC(2026, 10, 28, 12, 7), 9 * 60)).toBe(Date.UTC(2026, 10, 28, 1, 0));
    // 2026-11-29 03:00 in Jinan is 2026-11-28 19:00 UTC: 09:00 of the 29th local is 01:00 UTC on the 29th
    expect(atLocalMinuteOfDay(Date.UTC(2026, 10, 28, 19, 0), 9 * 60)).toBe(Date.UTC(2026, 10, 29, 1, 0));
    expect(atLocalMinuteOfDay(Date.UTC(2026, 10, 28, 16, 0), 0)).toBe(Date.UTC(2026, 10, 28, 16, 0));
  });
});
