/**
 * The ingest before any gateway opens (issue 8, parts 5 and 6): vocabularies, ordering of
 * status and readings by their own time, late reports, a refused fix that keeps its status,
 * per-source normalisation and the source taken from the connection.
 */
import { describe, expect, it } from 'vitest';
import { computeKpis } from '../../shared/kpis.ts';
import { isOdourAlarm, type AnyEntity } from '../../shared/entities.ts';
import { wgs84ToGcj02 } from '../../shared/geo.ts';
import { connectivityPolicy, LiveState, type LateReport } from '../../server/live/live-state.ts';
import { DeviceRegistry } from '../../server/ingest/device-registry.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import type { SourcePolicyOverrides } from '../../server/ingest/source-policy.ts';
import type { IngestSource, IngestUpdate } from '../../server/ingest/types.ts';

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);
const base = { orgCode: '370102001', gridId: 'g1', connectivity: 'offline', lastSeen: 0, version: 0 } as const;
const ENTITIES: AnyEntity[] = [
  { ...base, id: 'veh-001', kind: 'vehicle', name: '鲁A·10001', status: 'parked', attrs: { vehicleType: 'sweeper', plate: '鲁A·10001', working: false } },
  { ...base, id: 'staff-001', kind: 'staff', name: '张三', status: 'offDuty', attrs: { role: 'cleaner', shift: '08:00-17:00', onDuty: false } },
  { ...base, id: 'bin-00001', kind: 'bin', name: 'bin-00001', status: 'ok', pos: { lon: 117.02, lat: 36.66, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
  { ...base, id: 'toilet-0001', kind: 'toilet', name: 'WC', status: 'open', pos: { lon: 117.03, lat: 36.66, ts: 0 }, attrs: { toiletClass: 'I', open: true, stalls: 8, occupied: 0, nh3: 0.1, h2s: 0.001, footfallToday: 0, lastCleanedTs: 0, odourAlarm: false } },
];

function fixture(perSource: Partial<Record<IngestSource, SourcePolicyOverrides>> = {}) {
  let now = T0;
  const live = new LiveState(structuredClone(ENTITIES), connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
  const rows = [
    { source: 'jt808', deviceId: 't1', entityId: 'veh-001' }, { source: 'mqtt', deviceId: 'b1', entityId: 'bin-00001' },
    { source: 'http', deviceId: 'p1', entityId: 'staff-001' }, { source: 'mqtt', deviceId: 'w1', entityId: 'toilet-0001' },
  ];
  const ingest = new Ingest(live, new DeviceRegistry(rows, (id) => live.get(id) !== undefined), { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now, {}, perSource);
  const late: LateReport[] = [];
  live.onLate('test', (l) => late.push(l));
  return { live, ingest, late, tick: (ms: number) => (now += ms), now: () => now };
}

describe('ingest: vocabularies', () => {
  it('refuses every enumerated value outside its vocabulary, saying which and what is allowed', () => {
    const { ingest, live } = fixture();
    const cases: [string, Omit<IngestUpdate, 'ts'>, RegExp][] = [
      ['vehicleType', { source: 'jt808', deviceId: 't1', attrs: { vehicleType: 'tank' } }, /"vehicleType" "tank" is not one of sweeper, washer, sprinkler, compactor/],
      ['toiletClass', { source: 'mqtt', deviceId: 'w1', attrs: { toiletClass: 'IV' } }, /"toiletClass" "IV" is not one of I, II, III/],
      ['binType', { source: 'mqtt', deviceId: 'b1', attrs: { binType: 'recycling' } }, /"binType" "recycling" is not one of litter, garbage/],
      ['role', { source: 'http', deviceId: 'p1', attrs: { role: 'mayor' } }, /"role" "mayor" is not one of cleaner, roadChief, enforcer/],
      ['satellites', { source: 'jt808', deviceId: 't1', attrs: { satellites: 3.5 } }, /"satellites" 3.5 must be a whole number/],
      ['rssi', { source: 'jt808', deviceId: 't1', attrs: { rssi: -4 } }, /"rssi" -4 is outside 0/],
      ['occupied', { source: 'mqtt', deviceId: 'w1', attrs: { occupied: 9, stalls: 8 } }, /"occupied" 9 exceeds "stalls" 8/],
      ['nh3', { source: 'mqtt', deviceId: 'w1', attrs: { nh3: -1 } }, /"nh3" -1 is outside/],
    ];
    for (const [what, u, message] of cases) {
      const out = ingest.submit({ ...u, ts: T0 } as IngestUpdate);
      expect(out, what).toMatchObject({ accepted: false, reason: 'malformed' });
      expect((out as { detail: string }).detail, what).toMatch(message);
    }
    expect(live.get('veh-001')!.attrs).toMatchObject({ vehicleType: 'sweeper' });
    expect(live.version).toBe(0);
    // The tracker attributes a JT/T 808 terminal sends are taken.
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0, attrs: { sos: false, acc: true, mileageKm: 1234.5, fuelL: 40, rssi: 25, satellites: 11, terminalAlarms: 0x00040000 } }).accepted).toBe(true);
  });

  it('summaries and the odour alarm do not break on a value outside the vocabulary that got in some other way', () => {
    const odd = { ...ENTITIES[0]!, attrs: { vehicleType: 'tank', plate: 'x', working: true } } as unknown as AnyEntity;
    expect(() => computeKpis([odd], T0)).not.toThrow();
    expect(computeKpis([{ ...odd, status: 'working' } as AnyEntity], T0).vehiclesWorking).toBe(1);
    // An unknown class is held to the strictest NH₃ limit (class I, 0.3 mg/m³) rather than never alarming.
    expect(isOdourAlarm('IV' as never, 0.5, 0)).toBe(true);
    expect(isOdourAlarm('IV' as never, 0.2, 0)).toBe(false);
  });
});

describe('ingest: ordering by the reports\' own time', () => {
  it('a late reading does not overwrite a newer one; it is handed on as late', () => {
    const { ingest, live, late, tick } = fixture();
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0, attrs: { fill: 50 } }).accepted).toBe(true);
    tick(60_000);
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0 - 30_000, attrs: { fill: 96 } })).toEqual({ accepted: true, entityId: 'bin-00001', late: true });
    expect(live.get('bin-00001')).toMatchObject({ status: 'ok', attrs: { fill: 50 } });
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ ts: T0 - 30_000, status: 'overflow', attrs: { fill: 96 }, at: T0 + 60_000 });
    // At the same time as the newest one it is not late: the later arrival wins.
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0, attrs: { fill: 55 } })).toEqual({ accepted: true, entityId: 'bin-00001' });
    expect(live.get('bin-00001')!.attrs).toMatchObject({ fill: 55 });
  });

  it('a late reading does not mark a silent device online', () => {
    const { ingest, live, tick } = fixture();
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0, attrs: { fill: 70 } }).accepted).toBe(true);
    tick(2 * 3_600_000);
    live.sweepConnectivity(T0 + 2 * 3_600_000);
    expect(live.get('bin-00001')).toMatchObject({ connectivity: 'offline', lastSeen: T0 });
    const v = live.version;
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0 - 60_000, attrs: { fill: 65 } })).toMatchObject({ accepted: true, late: true });
    expect(live.get('bin-00001')).toMatchObject({ connectivity: 'offline', lastSeen: T0, attrs: { fill: 70 } });
    expect(live.version).toBe(v);
    // A newer one does: the device has just been heard from.
    expect(ingest.submit({ source: 'mqtt', deviceId: 'b1', ts: T0 + 2 * 3_600_000 - 5000, attrs: { fill: 71 } }).accepted).toBe(true);
    expect(live.get('bin-00001')).toMatchObject({ connectivity: 'online', lastSeen: T0 + 2 * 3_600_000, attrs: { fill: 71 } });
  });

  it('a blind-area fix moves no marker back, and the SOS that came with it is handed on (for the alarm rules)', () => {
    const { ingest, live, late, tick } = fixture();
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0, pos: { lon: 117.05, lat: 36.65 }, attrs: { sos: false } }).accepted).toBe(true);
    tick(10_000);
    const out = ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0 - 120_000, pos: { lon: 117.04, lat: 36.64 }, attrs: { sos: true } });
    expect(out).toEqual({ accepted: true, entityId: 'veh-001', late: true });
    expect(live.get('veh-001')).toMatchObject({ pos: { lon: 117.05, lat: 36.65, ts: T0 }, attrs: { sos: false } });
    expect(late.at(-1)).toMatchObject({ ts: T0 - 120_000, pos: { lon: 117.04, lat: 36.64 }, attrs: { sos: true } });
    expect(late.at(-1)!.entity.id).toBe('veh-001');
    expect(ingest.snapshotStats().bySource.jt808).toMatchObject({ accepted: 2, late: 1, dropped: 0 });
  });

  it('a refused fix does not take the status that came with it down: an SOS without a GPS fix still counts', () => {
    const { ingest, live } = fixture();
    const out = ingest.submit({ source: 'http', deviceId: 'p1', ts: T0, pos: { lon: 117.05, lat: 36.65, valid: false }, status: 'sos', attrs: { sos: true } });
    expect(out).toEqual({ accepted: true, entityId: 'staff-001' });
    expect(live.get('staff-001')).toMatchObject({ status: 'sos', attrs: { sos: true } });
    expect(live.get('staff-001')!.pos).toBeUndefined();
    expect(ingest.snapshotStats().bySource.http.positionsDropped.invalidFix).toBe(1);
    // Alone, the same fix is refused with its reason.
    expect(ingest.submit({ source: 'http', deviceId: 'p1', ts: T0 + 1000, pos: { lon: 117.05, lat: 36.65, valid: false } })).toMatchObject({ accepted: false, reason: 'invalidFix' });
  });
});

describe('ingest: per-source normalisation and the source of a report', () => {
  it('applies each source\'s own speed limit, minimum distance, accuracy and default CRS', () => {
    const { ingest, live, tick } = fixture({
      jt808: { limits: { maxSpeedKph: 120 }, minDistanceM: 15 },
      http: { maxAccuracyM: 50, crs: 'GCJ02' },
    });
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    tick(60_000);
    // 3 km in 60 s = 180 km/h: over jt808's 120, under the global 250.
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0 + 60_000, pos: { lon: 117.05 + 3 / 89.3, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'impossibleJump' });
    // 8 m away: jitter, the fix time moves on, the marker stays.
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0 + 61_000, pos: { lon: 117.05 + 0.00009, lat: 36.65, speed: 1 } }).accepted).toBe(true);
    expect(live.get('veh-001')!.pos).toEqual({ lon: 117.05, lat: 36.65, ts: T0 + 61_000, speed: 1 });
    expect(ingest.submit({ source: 'jt808', deviceId: 't1', ts: T0 + 62_000, pos: { lon: 117.0503, lat: 36.65 } }).accepted).toBe(true);
    expect(live.get('veh-001')!.pos!.lon).toBe(117.0503);
    expect(ingest.snapshotStats().bySource.jt808.jitterSnapped).toBe(1);

    // http: positions without a CRS are GCJ-02; a fix worse than 50 m is refused.
    const [gLon, gLat] = wgs84ToGcj02(117.06, 36.66);
    expect(ingest.submit({ source: 'http', deviceId: 'p1', ts: T0 + 62_000, pos: { lon: gLon, lat: gLat, accuracy: 12 } }).accepted).toBe(true);
    expect(live.get('staff-001')!.pos!.lon).toBeCloseTo(117.06, 5);
    expect(live.get('staff-001')!.pos!.lat).toBeCloseTo(36.66, 5);
    expect(ingest.submit({ source: 'http', deviceId: 'p1', ts: T0 + 63_000, pos: { lon: gLon, lat: gLat, accuracy: 400 } })).toMatchObject({ accepted: false, reason: 'lowAccuracy', detail: 'accuracy 400 m > 50 m' });
    const policies = ingest.sourcePolicies();
    expect(policies.jt808).toMatchObject({ limits: { maxSpeedKph: 120, maxAgeMs: 86_400_000 }, minDistanceM: 15, maxAccuracyM: null, crs: 'WGS84' });
    expect(policies.mqtt).toMatchObject({ limits: { maxSpeedKph: 250 }, minDistanceM: 0, crs: 'WGS84' });
  });

  it('a gateway\'s sink stamps its own source over whatever the payload says', () => {
    const { ingest } = fixture();
    const jt808 = ingest.sink('jt808');
    // A payload claiming to be the simulator (which may drive any entity) is still a jt808 report.
    const forged = { deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 }, source: 'sim' } as Omit<IngestUpdate, 'source'>;
    expect(jt808.submit(forged)).toMatchObject({ accepted: false, reason: 'unknownDevice' });
    expect(jt808.submit({ deviceId: 't1', ts: T0, pos: { lon: 117.05, lat: 36.65 } })).toMatchObject({ accepted: true, entityId: 'veh-001' });
    expect(ingest.snapshotStats().bySource.sim.accepted).toBe(0);
    expect(ingest.submit({ source: 'carrier-pigeon' as IngestSource, deviceId: 't1', ts: T0 })).toMatchObject({ accepted: false, reason: 'malformed' });
  });
});
