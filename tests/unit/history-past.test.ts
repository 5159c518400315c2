/**
 * The past generator's batch entry (HistoryStore.appendPast) writes what a flush of the
 * same points writes: the same downsampling rule (the kept times below are the live test's in
 * history-store.test.ts), buckets and roll-up — on its own per-entity state — and a failed batch
 * leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { HistoryStore, type PastEntry } from '../../server/history/history-store.ts';
import type { TrackPoint } from '../../server/history/track-codec.ts';
import { pastWindow } from '../../server/sim/past/backfill.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

// 2026-11-27 23:50 in Jinan (UTC+8): the points cross local midnight.
const T0 = Date.UTC(2026, 10, 27, 15, 50, 0) / 1000;
const LON = 117_020_000;
const LAT = 36_660_000;

async function store() {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  return { db, history: await HistoryStore.open(new SqliteStore(db), { policy: { minMoveM: 25, maxGapS: 60 }, timeZone: 'Asia/Shanghai', retentionDays: 90, now: () => (T0 + 86_400) * 1000 }) };
}

const p = (dt: number, dLat: number, status = 1, conn = 0): TrackPoint => ({ t: T0 + dt, lon: LON, lat: LAT + dLat, status, conn, readings: [0] });

describe('history: the past batch entry', () => {
  // 0 m; 22 m (dropped); 25.6 m (kept); still (dropped); 60 s later (kept: gap); status (kept); stale (kept); 11 min later past midnight, 111 m on (kept).
  const raw = [p(0, 0), p(5, 200), p(10, 230), p(20, 230), p(70, 230), p(75, 230, 0), p(135, 230, 0, 1), p(800, 1230, 0, 0)];
  const entry: PastEntry = { id: 'veh-001', kind: 'vehicle', orgCode: '370102001', points: raw, reports: 7, lastReportT: T0 + 800 };

  it('keeps by the live rule and writes buckets and roll-up per local day', async () => {
    const { history } = await store();
    expect(await history.appendPast([entry])).toEqual({ points: 6, buckets: 2 });
    const pts = await history.track('veh-001', T0 * 1000, (T0 + 3600) * 1000);
    expect(pts.map((x) => x.ts / 1000 - T0)).toEqual([0, 10, 70, 75, 135, 800]);
    expect(pts.map((x) => x.status)).toEqual(['idle', 'idle', 'idle', 'working', 'working', 'working']);
    expect(pts.map((x) => x.connectivity)).toEqual(['online', 'online', 'online', 'online', 'stale', 'online']);
    const daily = await history.daily('2026-11-27', '2026-11-28');
    expect(daily.map((r) => [r.day, r.points, r.reports])).toEqual([['2026-11-27', 5, 0], ['2026-11-28', 1, 7]]);
    // 230 µ° then 1000 µ° of latitude: 25.57 m + 111.2 m; online from 0 to 135 s (the stale point ends it).
    expect(daily[0]!.distanceM).toBeCloseTo(230 * 0.11119508, 1);
    expect(daily[1]!.distanceM).toBeCloseTo(1000 * 0.11119508, 1);
    expect(daily[0]!.onlineS).toBe(135);
    expect(history.stats.kept).toBe(0); // the live listener's counters are not the past's
  });

  it('split into batches (the hours of the generator), writes the very blobs one batch writes, and keeps its state apart from the live buffers', async () => {
    const a = await store();
    await a.history.appendPast([{ ...entry, points: raw.slice(0, 4) }]);
    await a.history.appendPast([{ ...entry, points: raw.slice(4) }]);
    const b = await store();
    await b.history.appendPast([entry]);
    const rows = (db: Database.Database) => db.prepare('SELECT bucket, n, hex(blob) AS blob FROM history_track ORDER BY bucket').all();
    expect(rows(a.db)).toEqual(rows(b.db));
    expect(rows(a.db)).toHaveLength(2);
    expect(a.history.pendingPoints).toBe(0);
  });

  it('keeps fewer with a coarser rule', async () => {
    const { history } = await store();
    expect(await history.appendPast([entry], { minMoveM: 100, maxGapS: 300 })).toEqual({ points: 4, buckets: 2 });
    // 0; 25.6 m and the 60-s gap dropped; status; stale; 111 m later.
    expect((await history.track('veh-001', T0 * 1000, (T0 + 3600) * 1000)).map((x) => x.ts / 1000 - T0)).toEqual([0, 75, 135, 800]);
  });

  it('a failed batch writes nothing and the next one writes it all', async () => {
    const { db, history } = await store();
    const ddl = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'history_daily'").get() as { sql: string }).sql;
    db.exec('DROP TABLE history_daily');
    await expect(history.appendPast([entry])).rejects.toThrow();
    expect(db.prepare('SELECT count(*) AS n FROM history_track').get()).toEqual({ n: 0 });
    db.exec(ddl);
    expect(await history.appendPast([entry])).toEqual({ points: 6, buckets: 2 });
  });
});

describe('the past window', () => {
  it('runs from local midnight N days back to the start, positions to the bucket before it, fine from yesterday', () => {
    const now = Date.UTC(2026, 10, 28, 1, 37, 12); // 09:37:12 local
    const w = pastWindow(30, now);
    expect(new Date(w.fromMs).toISOString()).toBe('2026-10-28T16:00:00.000Z'); // 2026-10-29 00:00 local
    expect(w.toMs).toBe(now);
    expect(new Date(w.tracksToMs).toISOString()).toBe('2026-11-28T01:30:00.000Z');
    expect(new Date(w.fineFromMs).toISOString()).toBe('2026-11-26T16:00:00.000Z'); // yesterday 00:00 local
    expect(pastWindow(1, now, 0).fineFromMs).toBe(now);
  });
});
