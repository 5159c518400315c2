import { describe, expect, it } from 'vitest';
import { Simulator } from '../../server/sim/simulator.ts';
import { distanceToPolylineM } from '../../server/district/locator.ts';
import type { StaffMember } from '../../shared/district.ts';
import type { NewCase } from '../../shared/cases.ts';
import type { Actor } from '../../server/ops/ports.ts';
import { FakeCases, FakeSink, gridPack, LAT0, M_PER_DEG_LAT, nodeAt, SIZE, STEP_LAT, TAXONOMY } from './sim-fixtures.ts';

/** 2026-01-15 00:00 in Jinan (16:00 UTC the day before). */
const MIDNIGHT = Date.UTC(2026, 0, 14, 16, 0, 0);
const HOUR = 3_600_000;

// Road chiefs patrol 07:00–19:00 on h2 (经十路), h4, h6, h8; cleaners are there so the fleet is not only chiefs.
const CHIEF_ROADS = ['h2', 'h4', 'h6', 'h8', 'h2', 'h6'];
const STAFF: StaffMember[] = [
  ...CHIEF_ROADS.map((roadId, i) => ({ id: `staff-${String(i + 1).padStart(4, '0')}`, name: `路长${i + 1}`, role: 'roadChief' as const, streetCode: '370102001', gridId: 'g1', roadId, shift: '07:00-19:00' })),
  ...[7, 8, 9, 10].map((n) => ({ id: `staff-${String(n).padStart(4, '0')}`, name: `保洁${n}`, role: 'cleaner' as const, streetCode: '370102001', gridId: `g${(n % 4) + 1}`, shift: '06:00-14:00' })),
];
const PACK = gridPack({ staff: STAFF });

interface Filed { input: NewCase; actor: Actor; hour: number }

/** Runs the simulator one sim hour per step (speed 3600, 1 s steps) from local midnight and tags each report with its local hour. */
function runDays(days: number, seed = 7, perDay = 300): { filed: Filed[]; sim: Simulator } {
  let wall = MIDNIGHT;
  const cases = new FakeCases(() => wall);
  const sim = new Simulator({
    pack: PACK, ingest: new FakeSink(), seed, speed: 3600, now: () => wall, reportsPerDay: perDay,
    ports: { cases: () => cases, dispatch: () => undefined },
  });
  const filed: Filed[] = [];
  for (let h = 0; h < days * 24; h++) {
    const before = cases.reports.length;
    wall += 1000;
    sim.step(1000);
    for (const r of cases.reports.slice(before)) filed.push({ ...r, hour: h % 24 });
  }
  return { filed, sim };
}

const TEN_DAYS = runDays(10);
const count = (pred: (f: Filed) => boolean): number => TEN_DAYS.filed.filter(pred).length;
const inHours = (from: number, to: number) => (f: Filed) => f.hour >= from && f.hour < to;

describe('simulated case reports', () => {
  it('files about the configured number a day', () => {
    // 300 a day for 10 days: 3000 expected, Poisson σ ≈ 55; the band is ±200 (3.6 σ).
    expect(TEN_DAYS.filed.length).toBeGreaterThanOrEqual(2800);
    expect(TEN_DAYS.filed.length).toBeLessThanOrEqual(3200);
    expect(TEN_DAYS.sim.opsStats().reports).toMatchObject({ filed: TEN_DAYS.filed.length, refused: 0 });
  });

  it('follows the hour of the day: few at night, peaks mid-morning and late afternoon', () => {
    // The hourly curve (server/sim/profiles.ts) sums to 22.16 curve-hours a day, linear between hours.
    // 00–06: (0.15+0.1)/2 + (0.1+0.08)/2 + 0.08 + (0.08+0.1)/2 + (0.1+0.2)/2 + (0.2+0.5)/2 = 0.885 → 3000 × 0.885 / 22.16 ≈ 120
    const night = count(inHours(0, 6));
    expect(night).toBeGreaterThanOrEqual(80);
    expect(night).toBeLessThanOrEqual(165);
    // 08–12: 1.8 + 2.05 + 1.9 + 1.4 = 7.15 → ≈ 968
    const morning = count(inHours(8, 12));
    expect(morning).toBeGreaterThanOrEqual(880);
    expect(morning).toBeLessThanOrEqual(1060);
    // Late afternoon 15–17 (1.8 + 1.8 = 3.6 → ≈ 487) above the lunch dip 12–14 (1.05 + 1.15 = 2.2 → ≈ 298).
    expect(count(inHours(15, 17))).toBeGreaterThan(count(inHours(12, 14)) + 100);
  });

  it('mixes the sources: patrols most, then the hotline and citizens, a few of the rest, never IoT', () => {
    const n = TEN_DAYS.filed.length;
    const share = (...sources: string[]) => count((f) => sources.includes(f.input.source)) / n;
    // Configured mix: road chief 0.30 + supervisor 0.22, hotline 0.18, citizen photo 0.16, video AI 0.06, department 0.04, media 0.02, leader 0.02.
    expect(share('roadChief', 'supervisor')).toBeGreaterThan(0.47);
    expect(share('roadChief', 'supervisor')).toBeLessThan(0.57);
    // Road chiefs are out 07–19 only (≈ 85 % of the day's reports fall then): 0.30 × 0.85 ≈ 0.25.
    expect(share('roadChief')).toBeGreaterThan(0.2);
    expect(share('roadChief')).toBeLessThan(0.3);
    expect(share('hotline')).toBeGreaterThan(0.15);
    expect(share('hotline')).toBeLessThan(0.21);
    expect(share('citizenPhoto')).toBeGreaterThan(0.13);
    expect(share('citizenPhoto')).toBeLessThan(0.19);
    expect(share('videoAi')).toBeGreaterThan(0.04);
    expect(share('videoAi')).toBeLessThan(0.08);
    for (const rare of ['media', 'leader', 'deptTransfer']) {
      expect(share(rare)).toBeGreaterThan(0.005);
      expect(share(rare)).toBeLessThan(0.06);
    }
    expect(share('iotAlarm')).toBe(0);
  });

  it('names each reporter and picks items that fit the source', () => {
    const chiefRoads = new Map(STAFF.filter((s) => s.role === 'roadChief').map((s) => [`roadChief:${s.id}`, s.roadId!]));
    const checklist = new Set(TAXONOMY.items.filter((i) => i.roadChecklist).map((i) => i.code));
    const quietEvents = new Set(TAXONOMY.items.filter((i) => i.category === 'event' && !i.emergency).map((i) => i.code));
    for (const f of TEN_DAYS.filed) {
      expect(f.actor.role).toBe('sim');
      expect(f.input.description).toContain(TAXONOMY.items.find((i) => i.code === f.input.itemCode)!.name);
      switch (f.input.source) {
        case 'roadChief': {
          // A road chief files from where they stand: on their own road.
          const road = chiefRoads.get(f.actor.name);
          expect(road).toBeDefined();
          const y = Number(road!.slice(1));
          expect(Math.abs(f.input.lat - (LAT0 + y * STEP_LAT)) * M_PER_DEG_LAT).toBeLessThan(1);
          expect(checklist.has(f.input.itemCode)).toBe(true);
          expect(f.hour >= 7 && f.hour < 19).toBe(true);
          break;
        }
        case 'hotline': expect(f.actor.name).toBe('hotline-12345'); break;
        case 'citizenPhoto': expect(f.actor.name).toBe('citizen'); break;
        case 'supervisor': expect(f.actor.name).toBe('supervisor:370102001'); break;
        case 'deptTransfer': expect(['dept:D01', 'dept:D02']).toContain(f.actor.name); break;
        case 'videoAi': expect(quietEvents.has(f.input.itemCode)).toBe(true); break;
        default: break;
      }
    }
    // Emergencies are weighted down to 0.15 of an ordinary item: well under 1 in 7 of all items.
    expect(count((f) => f.input.itemCode === '02.04.001') / TEN_DAYS.filed.length).toBeLessThan(0.06);
  });

  it('puts every report beside a road inside the district, denser on key roads and at landmarks', () => {
    const edges = PACK.roadGraph.edges.map(([a, b]) => [PACK.roadGraph.nodes[a]!, PACK.roadGraph.nodes[b]!]);
    const [west, south] = nodeAt(-0.5, -0.5);
    const [east, north] = nodeAt(SIZE - 0.5, SIZE - 0.5);
    let onKey = 0;
    for (const f of TEN_DAYS.filed) {
      const { lon, lat } = f.input;
      expect(lon > west && lon < east && lat > south && lat < north).toBe(true);
      // At most 8 m off the centre line (pavement), plus rounding.
      expect(Math.min(...edges.map((e) => distanceToPolylineM(lon, lat, e)))).toBeLessThan(8.5);
      if ([2, 6].some((y) => Math.abs(lat - (LAT0 + y * STEP_LAT)) * M_PER_DEG_LAT < 8.5)) onKey++;
    }
    // Key roads h2 and h6 are 2 of the 20 roads (10 % of the length). Non-chief reports (≈ 0.715 of all) land on a key
    // road with 0.45 + 0.35 × 0.10 = 0.485; chiefs add theirs (4 of 6 patrol h2 or h6): ≥ 0.35 overall, i.e. ≥ 3× per km.
    const keyShare = onKey / TEN_DAYS.filed.length;
    expect(keyShare).toBeGreaterThan(0.35);
    expect(keyShare / 0.1).toBeGreaterThan(3 * ((1 - keyShare) / 0.9));
    // Landmark reports: 0.2 of the non-chief ones ≈ 0.143, labelled by the landmark.
    const atLandmark = count((f) => f.input.address === '芙蓉街附近') / TEN_DAYS.filed.length;
    expect(atLandmark).toBeGreaterThan(0.11);
    expect(atLandmark).toBeLessThan(0.18);
    const onJingshi = TEN_DAYS.filed.find((f) => f.input.address === '经十路' && f.input.source === 'hotline');
    expect(onJingshi?.input.description).toMatch(/^市民来电反映经十路/);
  });

  it('is the same for the same seed and differs for another', () => {
    const key = (r: { filed: Filed[] }) => r.filed.map((f) => `${f.hour}|${f.input.source}|${f.input.itemCode}|${f.input.lon}|${f.input.lat}|${f.actor.name}`);
    const a = runDays(2, 11);
    const b = runDays(2, 11);
    const c = runDays(2, 12);
    expect(a.filed.length).toBeGreaterThan(400);
    expect(key(a)).toEqual(key(b));
    expect(key(c)).not.toEqual(key(a));
  });

  it('files nothing when the rate is 0 or the cases module is absent, and the devices report the same', () => {
    expect(runDays(1, 7, 0).filed).toEqual([]);
    const stream = (ports: boolean) => {
      let wall = MIDNIGHT;
      const sink = new FakeSink();
      const cases = new FakeCases(() => wall);
      const sim = new Simulator({
        pack: PACK, ingest: sink, seed: 3, speed: 3600, now: () => wall,
        ...(ports ? { ports: { cases: () => cases, dispatch: () => undefined } } : {}),
      });
      for (let i = 0; i < 30; i++) { wall += 1000; sim.step(1000); }
      return { updates: sink.updates, reports: cases.reports.length, sim };
    };
    const without = stream(false);
    const withPorts = stream(true);
    expect(without.reports).toBe(0);
    expect(without.sim.opsStats().reports.filed).toBe(0);
    expect(withPorts.reports).toBeGreaterThan(100);
    // Reports use their own random stream: the devices' life is the same with or without them.
    expect(withPorts.updates).toEqual(without.updates);
  });

  it('never lets a failing cases module stop the simulator', () => {
    let wall = MIDNIGHT;
    const cases = new FakeCases(() => wall);
    cases.taxonomy = () => { throw new Error('taxonomy not loaded'); };
    const sim = new Simulator({ pack: PACK, ingest: new FakeSink(), seed: 7, speed: 3600, now: () => wall, ports: { cases: () => cases, dispatch: () => undefined } });
    for (let i = 0; i < 24; i++) {
      wall += 1000;
      expect(() => sim.step(1000)).not.toThrow();
    }
    expect(sim.opsStats().reports).toMatchObject({ filed: 0 });
    expect(sim.opsStats().reports.errors).toBeGreaterThan(5);
  });
});
