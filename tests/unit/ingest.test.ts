import { describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { DeviceRegistry } from '../../server/ingest/device-registry.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import { wgs84ToGcj02 } from '../../shared/geo.ts';

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);

function fixture() {
  const entities: AnyEntity[] = [
    { id: 'veh-001', kind: 'vehicle', name: '鲁A·10001', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: '鲁A·10001', working: false } },
    { id: 'bin-00001', kind: 'bin', name: 'bin-00001', orgCode: '370102001', gridId: 'g1', status: 'ok', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: 117.02, lat: 36.66, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
    { id: 'muck-001', kind: 'muckTruck', name: '鲁A·20001', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { plate: '鲁A·20001', company: 'C', permitId: 'p1', loaded: false, lidSealed: true, violations: [] } },
    { id: 'toilet-0001', kind: 'toilet', name: '泉城路公厕', orgCode: '370102004', gridId: 'g2', status: 'open', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: 117.03, lat: 36.66, ts: 0 }, attrs: { toiletClass: 'I', open: true, stalls: 8, occupied: 0, nh3: 0.1, h2s: 0.001, footfallToday: 0, lastCleanedTs: 0, odourAlarm: false } },
  ];
  let now = T0;
  const live = new LiveState(entities, connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
  const registry = new DeviceRegistry([{ source: 'jt808', deviceId: '14450376202', entityId: 'veh-001' }], (id) => live.get(id) !== undefined);
  const ingest = new Ingest(live, registry, { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now);
  return { live, ingest, tick: (ms: number) => (now += ms), now: () => now };
}

describe('ingest', () => {
  it('turns a valid fix into the live position and bumps the version', () => {
    const { live, ingest } = fixture();
    const out = ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65, speed: 8, heading: 90 }, status: 'working', attrs: { working: true } });
    expect(out).toEqual({ accepted: true, entityId: 'veh-001' });
    const e = live.get('veh-001')!;
    expect(e.pos).toEqual({ lon: 117.05, lat: 36.65, ts: T0, speed: 8, heading: 90 });
    expect(e.status).toBe('working');
    expect(e.connectivity).toBe('online');
    expect(live.version).toBe(1);
    expect(live.changedSince(0).map((x) => x.id)).toEqual(['veh-001']);
  });

  it('resolves registered devices and refuses unknown ones', () => {
    const { ingest } = fixture();
    expect(ingest.submit({ source: 'jt808', deviceId: '14450376202', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    expect(ingest.submit({ source: 'jt808', deviceId: '999', ts: T0, pos: { lon: 117.05, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'unknownDevice' });
    // A simulator id is no credential for a real gateway.
    expect(ingest.submit({ source: 'mqtt', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'unknownDevice' });
  });

  it('drops what a tracking server drops, each with its reason, and counts it', () => {
    const { ingest, live, tick } = fixture();
    const sub = (ts: number, lon: number, lat: number, extra: object = {}) => ingest.submit({ source: 'sim', deviceId: 'veh-001', ts, pos: { lon, lat, ...extra } });
    expect(sub(T0, 0, 0)).toMatchObject({ reason: 'nullIsland' });
    expect(sub(T0, 117.05, 36.65, { valid: false })).toMatchObject({ reason: 'invalidFix' });
    expect(sub(T0, 200, 36.65)).toMatchObject({ reason: 'outOfRange' });
    expect(sub(T0, Number.NaN, 36.65)).toMatchObject({ reason: 'malformed' });
    expect(sub(T0 + 3_600_000, 117.05, 36.65)).toMatchObject({ reason: 'futureTime' });
    expect(sub(T0 - 2 * 86_400_000, 117.05, 36.65)).toMatchObject({ reason: 'tooOld' });
    expect(sub(T0, 117.05, 36.65).accepted).toBe(true);
    expect(sub(T0, 117.05, 36.65)).toMatchObject({ reason: 'duplicate' });
    // Older than the current fix: a late report, for history, not the live marker.
    expect(sub(T0 - 10_000, 117.06, 36.65)).toEqual({ accepted: true, entityId: 'veh-001', late: true });
    expect(live.get('veh-001')!.pos!.lon).toBe(117.05);
    tick(10_000);
    // 10 km in 10 s
    expect(sub(T0 + 10_000, 117.16, 36.65)).toMatchObject({ reason: 'impossibleJump' });
    expect(sub(T0 + 10_000, 117.0501, 36.6501).accepted).toBe(true);
    const stats = ingest.snapshotStats();
    expect(stats.accepted).toBe(3);
    expect(stats.late).toBe(1);
    expect(stats.dropped).toMatchObject({ nullIsland: 1, invalidFix: 1, outOfRange: 1, malformed: 1, futureTime: 1, tooOld: 1, duplicate: 1, outOfOrder: 0, impossibleJump: 1 });
    expect(stats.bySource.sim).toMatchObject({ accepted: 3, late: 1, dropped: 8, droppedByReason: { impossibleJump: 1, nullIsland: 1 } });
    expect(stats.recentDrops.at(-1)).toMatchObject({ reason: 'impossibleJump', deviceId: 'veh-001' });
    expect(stats.recentDrops.at(-1)!.detail).toMatch(/km\/h > 250/);
    expect(live.get('veh-001')!.pos!.lon).toBeCloseTo(117.0501, 6);
  });

  it('lets the simulator fast-forward without tripping the jump filter, and nobody else', () => {
    const entities: AnyEntity[] = [
      { id: 'veh-001', kind: 'vehicle', name: 'v', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'compactor', plate: 'p', working: false } },
    ];
    const live = new LiveState(entities, connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
    const registry = new DeviceRegistry([{ source: 'mqtt', deviceId: 'm1', entityId: 'veh-001' }], (id) => live.get(id) !== undefined);
    let now = T0;
    const ingest = new Ingest(live, registry, { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now, { sim: 60 });
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: now, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    now += 10_000;
    // 40 km/h for 10 simulated minutes = 6.7 km in 10 wall seconds
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: now, pos: { lon: 117.125, lat: 36.65 } }).accepted).toBe(true);
    now += 10_000;
    expect(ingest.submit({ source: 'mqtt', deviceId: 'm1', ts: now, pos: { lon: 117.05, lat: 36.65 } })).toMatchObject({ reason: 'impossibleJump' });
  });

  it('converts GCJ-02 to WGS-84 when a source declares it', () => {
    const { ingest, live } = fixture();
    const [gLon, gLat] = wgs84ToGcj02(117.05, 36.65);
    expect(gLon - 117.05).toBeGreaterThan(0.004); // the offset is hundreds of metres here
    ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: gLon, lat: gLat, crs: 'GCJ02' } });
    expect(live.get('veh-001')!.pos!.lon).toBeCloseTo(117.05, 6);
    expect(live.get('veh-001')!.pos!.lat).toBeCloseTo(36.65, 6);
  });

  it('checks statuses and attributes against the kind', () => {
    const { ingest } = fixture();
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, status: 'loaded' })).toMatchObject({ reason: 'badStatus' });
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, attrs: { wings: 2 } })).toMatchObject({ reason: 'malformed', detail: expect.stringMatching(/unknown attribute "wings"/) });
    expect(ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 'full' } })).toMatchObject({ reason: 'malformed' });
    expect(ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 140 } })).toMatchObject({ reason: 'malformed' });
    expect(ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, pos: { lon: 117, lat: 36 } })).toMatchObject({ reason: 'malformed' });
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0 })).toMatchObject({ reason: 'malformed' });
  });

  it('refuses a muck truck that labels its own violations: the server derives them', () => {
    const { ingest, live } = fixture();
    expect(ingest.submit({ source: 'jt808', deviceId: '14450376202', ts: T0, attrs: { working: true } })).toMatchObject({ accepted: true });
    expect(ingest.submit({ source: 'sim', deviceId: 'muck-001', ts: T0, attrs: { lidSealed: false, violations: ['offRoute'] } })).toEqual({
      accepted: false, reason: 'malformed', detail: 'attribute "violations" is derived by the server\'s alarm rules; a muckTruck device cannot set it',
    });
    expect(ingest.submit({ source: 'sim', deviceId: 'muck-001', ts: T0, attrs: { violations: [] } })).toMatchObject({ reason: 'malformed' });
    expect(live.get('muck-001')!.attrs).toMatchObject({ lidSealed: true, violations: [] });
    expect(ingest.submit({ source: 'sim', deviceId: 'muck-001', ts: T0, attrs: { lidSealed: false } })).toMatchObject({ accepted: true });
  });

  it('derives bin status from fill and the toilet odour alarm from the GB/T 17217 limits', () => {
    const { ingest, live } = fixture();
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 85 }, status: 'ok' });
    expect(live.get('bin-00001')!.status).toBe('full');
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0 + 1, attrs: { fill: 96 } });
    expect(live.get('bin-00001')!.status).toBe('overflow');
    // class I: NH₃ limit 0.3 mg/m³
    ingest.submit({ source: 'sim', deviceId: 'toilet-0001', ts: T0, attrs: { nh3: 0.35, odourAlarm: false } });
    expect(live.get('toilet-0001')!.attrs).toMatchObject({ nh3: 0.35, odourAlarm: true });
    ingest.submit({ source: 'sim', deviceId: 'toilet-0001', ts: T0 + 1, attrs: { nh3: 0.2 } });
    expect(live.get('toilet-0001')!.attrs).toMatchObject({ odourAlarm: false });
  });

  it('derives them with the thresholds it is given (the alarm settings)', () => {
    const { ingest, live } = fixture();
    ingest.thresholds = { binFullPct: 70, binOverflowPct: 90, nh3LimitMgM3: { I: 0.5, II: 1, III: 3 }, h2sLimitMgM3: 0.01 };
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 75 } });
    expect(live.get('bin-00001')!.status).toBe('full');
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0 + 1, attrs: { fill: 91 } });
    expect(live.get('bin-00001')!.status).toBe('overflow');
    ingest.submit({ source: 'sim', deviceId: 'toilet-0001', ts: T0, attrs: { nh3: 0.35 } });
    expect(live.get('toilet-0001')!.attrs).toMatchObject({ odourAlarm: false });
  });

  it('derives online → stale → offline from silence', () => {
    const { ingest, live, tick, now } = fixture();
    ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } });
    const v = live.version;
    tick(59_000);
    expect(live.sweepConnectivity(now())).toBe(0);
    tick(2_000);
    expect(live.sweepConnectivity(now())).toBe(1);
    expect(live.get('veh-001')!.connectivity).toBe('stale');
    expect(live.changedSince(v).map((e) => e.id)).toEqual(['veh-001']);
    tick(600_000);
    live.sweepConnectivity(now());
    expect(live.get('veh-001')!.connectivity).toBe('offline');
    // never-reported entities stay offline without churning versions
    expect(live.get('bin-00001')!.connectivity).toBe('offline');
  });

  it('gives fixed sensors, which report every few minutes, longer before they count as stale', () => {
    const { ingest, live, tick, now } = fixture();
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 30 } });
    ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } });
    tick(5 * 60_000);
    live.sweepConnectivity(now());
    expect(live.get('bin-00001')!.connectivity).toBe('online');
    expect(live.get('veh-001')!.connectivity).toBe('stale');
    tick(11 * 60_000);
    live.sweepConnectivity(now());
    expect(live.get('bin-00001')!.connectivity).toBe('stale');
    tick(45 * 60_000);
    live.sweepConnectivity(now());
    expect(live.get('bin-00001')!.connectivity).toBe('offline');
  });
});
