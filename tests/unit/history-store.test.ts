import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { AnyEntity } from '../../shared/entities.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { HistoryStore } from '../../server/history/history-store.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

// 2026-11-28 10:00 in Jinan (UTC+8), on a 10-minute bucket boundary.
const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);
const S = 1000;
const LON = 117.02;
const LAT = 36.66;
/** Metres per 1e-6° of latitude on the sphere of shared/geo.ts (R = 6,371,008.8 m): R·π/180·1e-6. */
const M_PER_MICRODEG = 0.11119508;

async function fixture() {
  const entities: AnyEntity[] = [
    { id: 'veh-001', kind: 'vehicle', name: 'v1', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: 'p1', working: false } },
    { id: 'bin-00001', kind: 'bin', name: 'b', orgCode: '370102002', gridId: 'g2', status: 'ok', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: LON, lat: LAT, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
  ];
  const live = new LiveState(entities, connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  const sql = new SqliteStore(db);
  const open = () => HistoryStore.open(sql, { policy: { minMoveM: 25, maxGapS: 60 }, timeZone: 'Asia/Shanghai', retentionDays: 90, now: () => T0 + 3_600_000 });
  const history = await open();
  live.changes.subscribe('history', history.onChange);
  const move = (dt: number, dLatMicro: number, extra: { status?: string; attrs?: Record<string, unknown> } = {}) =>
    live.apply('veh-001', { pos: { lon: LON, lat: LAT + dLatMicro / 1e6, ts: T0 + dt }, ...extra }, T0 + dt);
  return { live, db, sql, history, open, move };
}

describe('history downsampling', () => {
  it('keeps a point when moved ≥ 25 m, 60 s passed, or status/connectivity changed — and only then', async () => {
    const { live, history, move } = await fixture();
    move(0, 0);                // first
    move(5 * S, 200);          // 22.2 m: dropped
    move(10 * S, 230);         // 25.6 m from the first: kept
    move(20 * S, 230);         // still: dropped
    move(69 * S, 230);         // 59 s since the last kept: dropped
    move(70 * S, 230);         // 60 s: kept
    move(75 * S, 230, { status: 'working' }); // status: kept
    live.sweepConnectivity(T0 + 135 * S);     // 60 s silent: stale, kept
    live.sweepConnectivity(T0 + 136 * S);     // no change, no event
    expect(await history.flush()).toEqual({ points: 5, buckets: 1 });
    const pts = await history.track('veh-001', T0, T0 + 3_600_000);
    expect(pts.map((p) => (p.ts - T0) / S)).toEqual([0, 10, 70, 75, 135]);
    expect(pts.map((p) => p.status)).toEqual(['parked', 'parked', 'parked', 'working', 'working']);
    expect(pts.map((p) => p.connectivity)).toEqual(['online', 'online', 'online', 'online', 'stale']);
    expect(pts[1]).toMatchObject({ lon: LON, lat: 36.66023 });
    expect(history.stats).toMatchObject({ changes: 8, kept: 5 });
    expect(25 / M_PER_MICRODEG).toBeGreaterThan(200);
    expect(25 / M_PER_MICRODEG).toBeLessThan(230);
  });

  it('keeps a reading change of a bin (fill) and the readings come back as attributes', async () => {
    const { live, history } = await fixture();
    live.apply('bin-00001', { attrs: { fill: 10 } }, T0);
    live.apply('bin-00001', { attrs: { fill: 10 } }, T0 + 10 * S); // same fill, 10 s: dropped
    live.apply('bin-00001', { attrs: { fill: 83 }, status: 'full' }, T0 + 20 * S);
    await history.flush();
    const pts = await history.track('bin-00001', T0, T0 + 60 * S);
    expect(pts.map((p) => [(p.ts - T0) / S, p.attrs.fill, p.status, p.lon, p.lat])).toEqual([[0, 10, 'ok', LON, LAT], [20, 83, 'full', LON, LAT]]);
  });
});

describe('history roll-up and restart', () => {
  it('adds reports, kept points, distance and online time per local day, street and kind', async () => {
    const { live, history, move } = await fixture();
    move(0, 0);
    move(60 * S, 1000);
    move(120 * S, 2000);
    live.sweepConnectivity(T0 + 180 * S); // stale
    live.sweepConnectivity(T0 + 720 * S); // offline
    live.apply('bin-00001', { attrs: { fill: 10 } }, T0 + 30 * S);
    live.apply('bin-00001', { attrs: { fill: 90 }, status: 'full' }, T0 + 330 * S);
    await history.flush();
    const rows = await history.daily('2026-11-28', '2026-11-28');
    expect(rows).toHaveLength(2);
    const veh = rows.find((r) => r.kind === 'vehicle')!;
    expect(veh).toMatchObject({ day: '2026-11-28', orgCode: '370102001', reports: 3, points: 5, onlineS: 180 });
    expect(veh.distanceM).toBeCloseTo(2000 * M_PER_MICRODEG, 1);
    expect(rows.find((r) => r.kind === 'bin')).toMatchObject({ orgCode: '370102002', reports: 2, points: 2, distanceM: 0, onlineS: 300 });
  });

  it('a second writer on the same store (a restart) appends to the open bucket instead of replacing it', async () => {
    const { db, history, move, live, open } = await fixture();
    move(0, 0);
    move(70 * S, 0);
    await history.flush();
    const second = await open();
    live.changes.subscribe('history-2', second.onChange);
    // the first writer no longer listens in a restart: detach it by flushing and ignoring it
    move(140 * S, 500);
    await second.flush();
    expect((await second.track('veh-001', T0, T0 + 600 * S)).map((p) => (p.ts - T0) / S)).toEqual([0, 70, 140]);
    expect(db.prepare('SELECT count(*) AS n FROM history_track').get()).toEqual({ n: 1 });
    // the roll-up measured from the last point the first writer left
    const veh = (await second.daily('2026-11-28', '2026-11-28')).find((r) => r.kind === 'vehicle')!;
    expect(veh.distanceM).toBeCloseTo(500 * M_PER_MICRODEG, 1);
  });

  it('positionsAt and lastKnown give the last kept state at or before a time', async () => {
    const { history, move, live } = await fixture();
    move(0, 0);
    move(700 * S, 1000); // next bucket
    live.apply('bin-00001', { attrs: { fill: 40 } }, T0 + 100 * S);
    await history.flush();
    const at = async (ts: number) => Object.fromEntries((await history.positionsAt(ts)).map((s) => [s.entityId, [(s.ts - T0) / S, s.lat, s.attrs]]));
    expect(await at(T0 + 650 * S)).toEqual({ 'veh-001': [0, LAT, { routeDone: 0 }], 'bin-00001': [100, LAT, { fill: 40 }] });
    expect(await at(T0 + 50 * S)).toEqual({ 'veh-001': [0, LAT, { routeDone: 0 }] });
    expect(Object.fromEntries((await history.lastKnown()).map((s) => [s.entityId, (s.ts - T0) / S]))).toEqual({ 'veh-001': 700, 'bin-00001': 100 });
  });

  it('window gives the points of every entity in a time window, optionally of some kinds', async () => {
    const { history, move, live } = await fixture();
    move(0, 0);
    move(100 * S, 1000);
    move(700 * S, 2000);
    live.apply('bin-00001', { attrs: { fill: 40 } }, T0 + 50 * S);
    await history.flush();
    const w = await history.window(T0 + 50 * S, T0 + 700 * S);
    expect([...w.keys()].sort()).toEqual(['bin-00001', 'veh-001']);
    expect(w.get('veh-001')!.map((p) => (p.ts - T0) / S)).toEqual([100, 700]);
    expect([...(await history.window(T0, T0 + 700 * S, ['bin'])).keys()]).toEqual(['bin-00001']);
    expect((await history.window(T0 + 701 * S, T0 + 800 * S)).size).toBe(0);
  });

  it('keeps the points of a failed flush for the next one', async () => {
    const { db, history, move } = await fixture();
    move(0, 0);
    db.exec('DROP TABLE history_daily'); // the store fails mid-transaction
    await expect(history.flush()).rejects.toThrow();
    expect(history.pendingPoints).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM history_track').get()).toEqual({ n: 0 }); // rolled back
    db.exec(`CREATE TABLE history_daily (day TEXT NOT NULL, org_code TEXT NOT NULL, kind TEXT NOT NULL, reports INTEGER NOT NULL, points INTEGER NOT NULL, distance_m REAL NOT NULL, online_s INTEGER NOT NULL, PRIMARY KEY (day, org_code, kind)) WITHOUT ROWID`);
    expect(await history.flush()).toEqual({ points: 1, buckets: 1 });
    expect(await history.track('veh-001', T0, T0 + S)).toHaveLength(1);
  });

  it('prunes buckets and roll-up days older than the retention period', async () => {
    const { sql, move, history } = await fixture();
    move(0, 0);
    await history.flush();
    const later = await HistoryStore.open(sql, { policy: { minMoveM: 25, maxGapS: 60 }, timeZone: 'Asia/Shanghai', retentionDays: 1, now: () => T0 + 2 * 86_400_000 });
    move(86_400 * S + 60 * S, 0); // a day later: younger than the retention, kept
    await history.flush();
    expect(await later.prune()).toEqual({ droppedPartitions: [], deletedTrackRows: 1, deletedDailyRows: 1 });
    expect(await later.track('veh-001', T0, T0 + 2 * 86_400_000)).toHaveLength(1);
    expect(await later.track('veh-001', T0, T0 + S)).toEqual([]);
    // the first day's roll-up is gone, the next day's (younger than the cutoff day) stays
    expect((await later.daily('2026-11-01', '2026-12-31')).map((r) => r.day)).toEqual(['2026-11-29']);
  });
});

describe('history: late reports', () => {
  it('merges late points into their buckets in time order — also the bucket still open for live points — and keeps them through the next live flush', async () => {
    const { live, history, move } = await fixture();
    live.onLate('history', history.onLate);
    move(0, 0);
    move(300 * S, 1000);
    expect((await history.flush()).points).toBe(2);
    // A blind-area batch from between the two, then one from the previous bucket (10:00 is a bucket start: 09:58 is in the one before).
    const e = live.get('veh-001')!;
    live.late({ entity: e, ts: T0 + 100 * S, pos: { lon: LON, lat: LAT + 0.0003, ts: T0 + 100 * S }, attrs: { working: true }, at: T0 + 400 * S });
    live.late({ entity: e, ts: T0 + 200 * S, pos: { lon: LON, lat: LAT + 0.0006, ts: T0 + 200 * S }, at: T0 + 400 * S });
    live.late({ entity: e, ts: T0 - 120 * S, pos: { lon: LON, lat: LAT - 0.0003, ts: T0 - 120 * S }, at: T0 + 400 * S });
    expect((await history.flush()).points).toBe(3);
    // The next live point lands in the open bucket: the late ones in it must not be lost.
    move(400 * S, 2000);
    await history.flush();
    const pts = await history.track('veh-001', T0 - 600 * S, T0 + 3_600_000);
    expect(pts.map((p) => (p.ts - T0) / S)).toEqual([-120, 0, 100, 200, 300, 400]);
    expect(pts[2]!.lat).toBeCloseTo(LAT + 0.0003, 6);
    expect(history.stats).toMatchObject({ late: 3, lateWritten: 3 });
    // The same late report twice (a terminal that resends its batch) is kept once.
    live.late({ entity: e, ts: T0 + 100 * S, pos: { lon: LON, lat: LAT + 0.0003, ts: T0 + 100 * S }, at: T0 + 500 * S });
    expect((await history.flush()).points).toBe(0);
    expect(await history.track('veh-001', T0, T0 + 3_600_000)).toHaveLength(5);
  });
});
