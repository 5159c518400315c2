/**
 * History, replay's readers, heat's event queries and the simulated past's own SQL, on the
 * asynchronous layer, give the same answers on SQLite and PostgreSQL: a flush writes its
 * buckets and adds to the daily roll-up (an upsert whose columns are qualified — PostgreSQL
 * refuses them bare), a point that arrives while a flush awaits the store waits for the next
 * one, a failed flush writes nothing and keeps its points, the readers answer the points, cases
 * and alarms of a window, and the past commits its points with its progress mark. Expected
 * values are worked out from the fixture by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { HeatEventQueries } from '../../server/heat/event-queries.ts';
import { HistoryStore, type PastEntry } from '../../server/history/history-store.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { ReplayIncidentSource } from '../../server/replay/replay-incidents.ts';
import { ReplayTrackReader } from '../../server/replay/track-window.ts';
import { PastBackfill, pastWindow } from '../../server/sim/past/backfill.ts';
import type { SqlExecutor, SqlStore } from '../../server/store/sql/types.ts';
import { storeDrivers } from './store-pg-harness.ts';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
/** 2026-12-03 10:00 in Jinan (UTC+8): a bucket (600 s) and quarter-hour boundary; real times are BIGINT on PostgreSQL. */
const T0 = Date.parse('2026-12-03T10:00:00+08:00');
const B0 = T0 / 1000;
const DAY = '2026-12-03';
const LON = 117.02;
const LAT = 36.66;
/** Metres per 1e-6° of latitude on the sphere of shared/geo.ts. */
const M_PER_MICRODEG = 0.11119508;

const drivers = storeDrivers('history');

/** The store with a hook run before every statement (to fail one, or to let a point arrive mid-flush). */
function intercepted(store: SqlStore, before: (sql: string) => void): SqlStore {
  const wrap = (ex: SqlExecutor): SqlExecutor => ({
    dialect: ex.dialect,
    query: async (sql, params) => { before(sql); return ex.query(sql, params); },
    one: async (sql, params) => { before(sql); return ex.one(sql, params); },
    exec: async (sql, params) => { before(sql); return ex.exec(sql, params); },
  });
  return { ...wrap(store), transaction: (work) => store.transaction((tx) => work(wrap(tx))), close: () => store.close() };
}

function entities(): AnyEntity[] {
  return [
    { id: 'veh-001', kind: 'vehicle', name: 'v1', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: 'p1', working: false } },
    { id: 'bin-00001', kind: 'bin', name: 'b', orgCode: '370102002', gridId: 'g2', status: 'ok', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: LON, lat: LAT, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
  ];
}

async function historyOn(sql: SqlStore) {
  const live = new LiveState(entities(), connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
  let hook: ((sql: string) => void) | undefined;
  const history = await HistoryStore.open(intercepted(sql, (s) => hook?.(s)), {
    policy: { minMoveM: 25, maxGapS: 60 }, timeZone: 'Asia/Shanghai', retentionDays: 90, now: () => T0 + H,
  });
  await history.registerEntities(live.all());
  live.changes.subscribe('history', history.onChange);
  /** The vehicle reports at T0 + dt, dLat µ° north of the start. */
  const move = (dt: number, dLat: number) => live.apply('veh-001', { pos: { lon: LON, lat: LAT + dLat / 1e6, ts: T0 + dt } }, T0 + dt);
  const fill = (dt: number, fillPct: number, status?: string) => live.apply('bin-00001', { attrs: { fill: fillPct }, ...(status ? { status } : {}) }, T0 + dt);
  const rows = () => sql.query<{ id: string; bucket: number; n: number }>(
    'SELECT e.entity_id AS id, t.bucket, t.n FROM history_track t JOIN history_entity e ON e.eid = t.eid ORDER BY e.entity_id, t.bucket');
  const dailyOf = async (kind: string) => (await history.daily(DAY, DAY)).find((r) => r.kind === kind);
  return { live, history, move, fill, rows, dailyOf, setHook: (h: ((sql: string) => void) | undefined) => { hook = h; } };
}

/** Cases, their timelines and alarms around the window [T0, T0 + 2 h). */
async function fillIncidents(s: SqlStore): Promise<void> {
  const addCase = (id: number, created: number, stage: string, closed: number | null, updated: number, street = '370102001', emergency = 0) => s.exec(`INSERT INTO cases (id, code, title, description, item_code, category, source, stage, emergency, difficulty, lon, lat, street_code, reported_by, created_ts, updated_ts, closed_ts, version)
    VALUES ($1, $2, $3, '', '15.01.001', 'component', 'roadChief', $4, $5, 'small', $6, $7, $8, 'x', $9, $10, $11, 1)`, [id, `C-${id}`, `case ${id}`, stage, emergency, 117 + id / 1000, 36.6, street, created, updated, closed]);
  const step = (caseId: number, ts: number, action: string, toStage: string | null, data: string | null = null) => s.exec(
    "INSERT INTO case_timeline (case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data) VALUES ($1, $2, 'd', 'dispatcher', $3, NULL, $4, NULL, $5)", [caseId, ts, action, toStage, data]);
  const alarm = (start: number, end: number | null, street: string, entity: string) => s.exec(`INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, lon, lat, start_ts, update_ts, end_ts, active, detail, version)
    VALUES ('binFull', 'minor', $1, 'bin', 'n', $2, 'g', 117.01, 36.61, $3, $3, $4, $5, '', 1)`, [entity, street, start, end, end === null ? 1 : 0]);
  // 1: reported before the window, closed in it; 2: reported in it (an emergency); 3: closed before it;
  // 4: voided before it; 5: voided in it; 6: reported after it.
  await addCase(1, T0 - 60 * MIN, 'closed', T0 + 30 * MIN, T0 + 30 * MIN);
  await addCase(2, T0 + 60 * MIN, 'registered', null, T0 + 60 * MIN, '370102002', 1);
  await addCase(3, T0 - 3 * H, 'closed', T0 - 2 * H, T0 - 2 * H);
  await addCase(4, T0 - 50 * MIN, 'voided', null, T0 - 30 * MIN);
  await addCase(5, T0 - 45 * MIN, 'voided', null, T0 + 10 * MIN);
  await addCase(6, T0 + 2 * H + 1, 'reported', null, T0 + 2 * H + 1);
  await step(1, T0 - 60 * MIN, 'report', 'reported');
  await step(1, T0 - 50 * MIN, 'register', 'registered');
  await step(1, T0 - 40 * MIN, 'dispatch', null, '{"unitId":"staff-0001"}');
  await step(1, T0 + 30 * MIN, 'close', 'closed');
  await step(2, T0 + 60 * MIN, 'report', 'reported');
  await step(3, T0 - 3 * H, 'report', 'reported');
  // Alarm 1 overlaps the window's start; 2 was cleared before it (same quarter hour as 1); 3 is active; 4 starts after it.
  await alarm(T0 - 10 * MIN, T0 + 5 * MIN, '370102001', 'bin-1');
  await alarm(T0 - 12 * MIN, T0 - 11 * MIN, '370102001', 'bin-2');
  await alarm(T0 + 90 * MIN, null, '370102002', 'bin-3');
  await alarm(T0 + 2 * H + 1, T0 + 3 * H, '370102001', 'bin-4');
}

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`history, replay and heat reads, the past's SQL on ${driver.name}`, () => {
    let h: { store: SqlStore; dispose(): Promise<void> };
    beforeEach(async () => { h = await driver.open(); });
    afterEach(async () => { await h?.dispose(); });

    it('flushes points into buckets and adds to the daily roll-up, again on the next flush', async () => {
      const { history, move, fill, rows, dailyOf } = await historyOn(h.store);
      move(0, 0);
      fill(30 * S, 10);
      move(60 * S, 1000);                  // 111 m: kept
      fill(330 * S, 90, 'full');
      move(700 * S, 2000);                 // the next bucket
      expect(await history.flush()).toEqual({ points: 5, buckets: 3 });
      expect(await rows()).toEqual([
        { id: 'bin-00001', bucket: B0, n: 2 },
        { id: 'veh-001', bucket: B0, n: 2 },
        { id: 'veh-001', bucket: B0 + 600, n: 1 },
      ]);
      expect(await dailyOf('bin')).toEqual({ day: DAY, orgCode: '370102002', kind: 'bin', reports: 2, points: 2, distanceM: 0, onlineS: 300 });
      const veh = (await dailyOf('vehicle'))!;
      expect(veh).toMatchObject({ day: DAY, orgCode: '370102001', reports: 3, points: 3, onlineS: 700 });
      expect(veh.distanceM).toBeCloseTo(2000 * M_PER_MICRODEG, 1);

      // Into the bucket written last (appended, not replaced), and added to the same roll-up row.
      move(760 * S, 3000);
      expect(await history.flush()).toEqual({ points: 1, buckets: 1 });
      expect((await rows()).at(-1)).toEqual({ id: 'veh-001', bucket: B0 + 600, n: 2 });
      const again = (await dailyOf('vehicle'))!;
      expect(again).toMatchObject({ reports: 4, points: 4, onlineS: 760 });
      expect(again.distanceM).toBeCloseTo(3000 * M_PER_MICRODEG, 1);
      expect((await history.track('veh-001', T0, T0 + H)).map((p) => (p.ts - T0) / S)).toEqual([0, 60, 700, 760]);
      expect(await history.flush()).toEqual({ points: 0, buckets: 0 });
    });

    it('keeps a point that arrives while a flush awaits the store for the next flush', async () => {
      const { history, move, rows, dailyOf, setHook } = await historyOn(h.store);
      move(0, 0);
      move(60 * S, 1000);
      let arrived = false;
      setHook((sql) => {
        if (!arrived && sql.startsWith('INSERT INTO history_track')) { arrived = true; move(120 * S, 2000); }
      });
      expect(await history.flush()).toEqual({ points: 2, buckets: 1 });
      expect(arrived).toBe(true);
      expect(history.pendingPoints).toBe(1);
      expect(await rows()).toEqual([{ id: 'veh-001', bucket: B0, n: 2 }]);
      expect(await dailyOf('vehicle')).toMatchObject({ reports: 2, points: 2 });
      setHook(undefined);
      expect(await history.flush()).toEqual({ points: 1, buckets: 1 });
      expect(history.pendingPoints).toBe(0);
      expect(await rows()).toEqual([{ id: 'veh-001', bucket: B0, n: 3 }]);
      expect(await dailyOf('vehicle')).toMatchObject({ reports: 3, points: 3, onlineS: 120 });
      expect((await history.track('veh-001', T0, T0 + H)).map((p) => (p.ts - T0) / S)).toEqual([0, 60, 120]);
    });

    it('a failed flush writes nothing and keeps its points; the next one writes them all', async () => {
      const { history, move, fill, rows, dailyOf, setHook } = await historyOn(h.store);
      move(0, 0);
      move(60 * S, 1000);
      fill(30 * S, 10);
      setHook((sql) => { if (sql.startsWith('INSERT INTO history_daily')) throw new Error('the disk is full'); });
      await expect(history.flush()).rejects.toThrow('the disk is full');
      expect(history.pendingPoints).toBe(3);
      expect(await rows()).toEqual([]);
      expect(await history.daily(DAY, DAY)).toEqual([]);
      setHook(undefined);
      expect(await history.flush()).toEqual({ points: 3, buckets: 2 });
      expect(await rows()).toEqual([{ id: 'bin-00001', bucket: B0, n: 1 }, { id: 'veh-001', bucket: B0, n: 2 }]);
      expect(await dailyOf('vehicle')).toMatchObject({ reports: 2, points: 2 });
      expect(await dailyOf('bin')).toMatchObject({ reports: 1, points: 1 });
    });

    it('writes many buckets at once (statements of 64, 32, … rows) and each exactly once', async () => {
      const { history, rows } = await historyOn(h.store);
      // Three entities, a point every 10 minutes for 45 buckets each: 135 buckets (64 + 64 + 4 + 2 + 1 rows), over a UTC midnight (two partitions).
      const start = B0 - 4 * 3600; // 22:00 UTC to 05:20 UTC
      const entries: PastEntry[] = ['veh-001', 'veh-002', 'veh-003'].map((id) => ({
        id, kind: 'vehicle', orgCode: '370102001', reports: 45, lastReportT: start + 44 * 600,
        points: Array.from({ length: 45 }, (_, k) => ({ t: start + k * 600, lon: 117_020_000, lat: 36_660_000 + k * 1000, status: 0, conn: 0, readings: [0] })),
      }));
      // 70 more entities named at once (64 + 4 + 2 rows), the same again (and one twice in the list) named nothing new.
      const more = Array.from({ length: 70 }, (_, k) => ({ id: `bin-9${String(k).padStart(4, '0')}`, kind: 'bin' as const, orgCode: '370102002' }));
      await history.registerEntities(more);
      await history.registerEntities([...more, more[0]!]);
      const named = await h.store.query<{ eid: number; entity_id: string }>('SELECT eid, entity_id FROM history_entity ORDER BY eid');
      expect(named.map((r) => r.entity_id)).toEqual(['veh-001', 'bin-00001', ...more.map((e) => e.id)]);
      expect(new Set(named.map((r) => r.eid)).size).toBe(72);
      await history.ensurePastPartitions(entries);
      expect(await history.appendPast(entries)).toEqual({ points: 135, buckets: 135 });
      const written = await rows();
      expect(written).toHaveLength(135);
      expect(written.every((r) => r.n === 1)).toBe(true);
      expect(new Set(written.map((r) => `${r.id}:${r.bucket}`)).size).toBe(135);
      expect(written.filter((r) => r.id === 'veh-002').map((r) => r.bucket)).toEqual(Array.from({ length: 45 }, (_, k) => start + k * 600));
      const track = await history.track('veh-003', start * 1000, (start + 44 * 600) * 1000);
      expect(track.map((p) => Math.round((p.lat! - LAT) * 1e6))).toEqual(Array.from({ length: 45 }, (_, k) => k * 1000));
    });

    it('reads a track, a window, the last known states and replay\'s keyframe and slices', async () => {
      const { history, move, fill } = await historyOn(h.store);
      move(0, 0);
      fill(50 * S, 40);
      move(100 * S, 1000);
      move(700 * S, 2000);
      await history.flush();
      expect((await history.track('veh-001', T0, T0 + H)).map((p) => [(p.ts - T0) / S, p.lat])).toEqual([[0, LAT], [100, 36.661], [700, 36.662]]);
      expect(await history.track('nobody', T0, T0 + H)).toEqual([]);
      const w = await history.window(T0 + 50 * S, T0 + 700 * S);
      expect([...w.keys()]).toEqual(['veh-001', 'bin-00001']); // by eid: named in that order
      expect(w.get('veh-001')!.map((p) => (p.ts - T0) / S)).toEqual([100, 700]);
      expect(w.get('bin-00001')!.map((p) => p.attrs)).toEqual([{ fill: 40 }]);
      expect([...(await history.window(T0, T0 + H, ['bin'])).keys()]).toEqual(['bin-00001']);
      expect((await history.window(T0 + 701 * S, T0 + H)).size).toBe(0);
      expect(Object.fromEntries((await history.lastKnown()).map((s) => [s.entityId, (s.ts - T0) / S]))).toEqual({ 'veh-001': 700, 'bin-00001': 50 });
      expect(Object.fromEntries((await history.positionsAt(T0 + 650 * S)).map((s) => [s.entityId, (s.ts - T0) / S]))).toEqual({ 'veh-001': 100, 'bin-00001': 50 });

      const reader = new ReplayTrackReader(h.store);
      const ents = await reader.entities();
      expect(ents.map((e) => e.id)).toEqual(['veh-001', 'bin-00001']);
      expect((await reader.entities(['bin'])).map((e) => e.id)).toEqual(['bin-00001']);
      const at = await reader.at(ents, T0 + 650 * S);
      expect([...at].map(([id, p]) => [id, p.t - B0])).toEqual([['veh-001', 100], ['bin-00001', 50]]);
      // after < t ≤ until: the bin's point at 50 s is the keyframe's, not the slice's.
      const slice = await reader.slice(ents, T0 + 50 * S, T0 + 700 * S);
      expect([...slice].map(([id, pts]) => [id, pts.map((p) => p.t - B0)])).toEqual([['veh-001', [100, 700]]]);
      expect((await reader.slice(ents, T0 + 700 * S, T0 + H)).size).toBe(0);
    });

    it('reads the cases and alarms of a replay window and counts heat events', async () => {
      await fillIncidents(h.store);
      const incidents = new ReplayIncidentSource(h.store);
      const win = await incidents.window(T0, T0 + 2 * H);
      expect(win.cases.map((c) => c.id)).toEqual([1, 5, 2]);
      expect(win.cases[0]).toEqual({
        id: 1, code: 'C-1', title: 'case 1', lon: 117.001, lat: 36.6, streetCode: '370102001', emergency: false, createdTs: T0 - 60 * MIN, closedTs: T0 + 30 * MIN,
        stages: [[T0 - 60 * MIN, 'reported'], [T0 - 50 * MIN, 'registered'], [T0 + 30 * MIN, 'closed']],
      });
      expect(win.cases[1]!.stages).toEqual([]);
      expect(win.cases[2]).toMatchObject({ emergency: true, closedTs: null, stages: [[T0 + 60 * MIN, 'reported']] });
      expect(win.alarms.map((a) => [a.id, a.startTs - T0, a.endTs])).toEqual([[1, -10 * MIN, T0 + 5 * MIN], [3, 90 * MIN, null]]);
      const timeline = await incidents.timeline(1);
      expect(timeline.map((e) => [e.action, e.toStage])).toEqual([['report', 'reported'], ['register', 'registered'], ['dispatch', null], ['close', 'closed']]);
      expect(timeline[2]).toMatchObject({ caseId: 1, ts: T0 - 40 * MIN, actor: 'd', actorRole: 'dispatcher', data: { unitId: 'staff-0001' } });
      expect(await incidents.timeline(99)).toEqual([]);

      const heat = new HeatEventQueries(h.store);
      // Voided cases do not count; [from, to).
      expect((await heat.rows('cases', T0 - 2 * H, T0 + 2 * H + 2)).sort((a, b) => a[3] - b[3])).toEqual([
        [117.001, 36.6, '370102001', T0 - 60 * MIN], [117.002, 36.6, '370102002', T0 + 60 * MIN], [117.006, 36.6, '370102001', T0 + 2 * H + 1],
      ]);
      expect(await heat.rows('cases', T0 - 2 * H, T0 + 2 * H)).toHaveLength(2);
      expect(await heat.maxId('cases')).toBe(6);
      expect(await heat.maxId('alarms')).toBe(4);
      expect(await heat.earliestSince('alarms', 2)).toBe(T0 + 90 * MIN);
      expect(await heat.earliestSince('alarms', 4)).toBeNull();
      const q0 = T0 / 900_000;
      const byQuarter = (await heat.byStreetQuarter('alarms', T0 - H, T0 + 2 * H + 2)).sort((a, b) => a.q - b.q);
      expect(byQuarter).toEqual([
        { street: '370102001', q: q0 - 1, n: 2 },
        { street: '370102002', q: q0 + 6, n: 1 },
        { street: '370102001', q: q0 + 8, n: 1 },
      ]);
      expect(await heat.byStreetQuarter('cases', T0, T0 + 2 * H)).toEqual([{ street: '370102002', q: q0 + 4, n: 1 }]);
    });

    it('the past: its progress mark, its points committed with the mark in the caller\'s transaction, and ids a later write does not collide with', async () => {
      const log = { info() {}, warn() {}, error() {} };
      const backfill = (days: number) => new PastBackfill({
        sql: h.store, pack: undefined as never, history: undefined as never, connectivity: undefined as never, ops: undefined as never,
        seed: 7, days, now: () => T0, log,
      });
      expect(await backfill(0).prepare()).toBe(false);
      const first = backfill(2);
      expect(await first.prepare()).toBe(true);
      const w = pastWindow(2, T0);
      expect(first.progress).toMatchObject({ phase: 'cases', days: 2, fromTs: w.fromMs, toTs: T0, startedTs: T0, finishedTs: null });
      expect(await h.store.one('SELECT days, seed, from_ts, to_ts, ops_done, tracks_until FROM sim_past')).toEqual({ days: 2, seed: 7, from_ts: w.fromMs, to_ts: T0, ops_done: 0, tracks_until: w.fromMs });
      // The cases done (and the live server's after the start): the next start goes on with the positions and counts the past's (before the start).
      await fillIncidents(h.store);
      await h.store.exec('UPDATE sim_past SET ops_done = 1');
      const resumed = backfill(2);
      expect(await resumed.prepare()).toBe(true);
      expect(resumed.progress).toMatchObject({ phase: 'positions', cases: 4, alarms: 2, positionsUntil: w.fromMs });

      // The past's points commit with the mark; a transaction that fails after them leaves neither.
      const { history, move, rows } = await historyOn(h.store);
      const P0 = B0 - 86_400; // the day before, in partitions (PostgreSQL) nobody made yet
      const pt = (dt: number, dLat: number) => ({ t: P0 + dt, lon: 117_020_000, lat: 36_660_000 + dLat, status: 0, conn: 0, readings: [0] });
      const entries: PastEntry[] = [
        { id: 'veh-001', kind: 'vehicle', orgCode: '370102001', points: [pt(0, 0), pt(60, 1000), pt(700, 2000)], reports: 3, lastReportT: P0 + 700 },
        // An entity only the past knows: named in the transaction.
        { id: 'veh-past', kind: 'vehicle', orgCode: '370102003', points: [pt(30, 0)], reports: 1, lastReportT: P0 + 30 },
      ];
      await history.ensurePastPartitions(entries);
      await expect(h.store.transaction(async (tx) => {
        await tx.exec('UPDATE sim_past SET tracks_until = $1 WHERE id = 1', [P0 * 1000]);
        throw new Error('the generator stopped');
      })).rejects.toThrow('the generator stopped');
      expect((await h.store.one<{ tracks_until: number }>('SELECT tracks_until FROM sim_past'))!.tracks_until).toBe(w.fromMs);
      const written = await h.store.transaction(async (tx) => {
        const r = await history.appendPast(entries, undefined, tx);
        await tx.exec('UPDATE sim_past SET tracks_until = $1 WHERE id = 1', [(P0 + 1200) * 1000]);
        return r;
      });
      expect(written).toEqual({ points: 4, buckets: 3 });
      expect((await h.store.one<{ tracks_until: number }>('SELECT tracks_until FROM sim_past'))!.tracks_until).toBe((P0 + 1200) * 1000);
      expect(await rows()).toEqual([{ id: 'veh-001', bucket: P0, n: 2 }, { id: 'veh-001', bucket: P0 + 600, n: 1 }, { id: 'veh-past', bucket: P0, n: 1 }]);
      expect(await history.daily('2026-12-02', '2026-12-02')).toEqual([
        { day: '2026-12-02', orgCode: '370102001', kind: 'vehicle', reports: 3, points: 3, distanceM: expect.closeTo(2000 * M_PER_MICRODEG, 1), onlineS: 700 },
        { day: '2026-12-02', orgCode: '370102003', kind: 'vehicle', reports: 1, points: 1, distanceM: 0, onlineS: 0 },
      ]);
      // Ids: the two registered entities, the past's, then one a live write names — each its own, none reused.
      const eids = await h.store.query<{ eid: number; entity_id: string }>('SELECT eid, entity_id FROM history_entity ORDER BY eid');
      expect(eids.map((r) => r.entity_id)).toEqual(['veh-001', 'bin-00001', 'veh-past']);
      await h.store.exec("INSERT INTO history_entity (entity_id, kind, org_code) VALUES ('veh-new', 'vehicle', '370102001')");
      const ids = (await h.store.query<{ eid: number }>('SELECT eid FROM history_entity ORDER BY eid')).map((r) => r.eid);
      expect(new Set(ids).size).toBe(4);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      // The live history starts after the past and writes its own buckets.
      move(0, 0);
      expect(await history.flush()).toEqual({ points: 1, buckets: 1 });
      expect((await rows()).filter((r) => r.bucket === B0)).toEqual([{ id: 'veh-001', bucket: B0, n: 1 }]);
    });
  });
}
