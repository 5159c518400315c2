/**
 * The briefing's facts repository, converted to the asynchronous layer, gives the same answers
 * on SQLite and PostgreSQL: the cases with a time in the window (created, registered, due,
 * closed, or an emergency dispatched in it) with their first dispatch, the muck trucks' alarms
 * listed and every alarm counted. Expected values are worked out from the fixture by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BriefingFactsRepo } from '../../server/analytics/facts-repo.ts';
import { openDatabase } from '../../server/store/database.ts';
import { migratePostgres } from '../../server/store/sql/migrate-postgres.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import type { SqlStore } from '../../server/store/sql/types.ts';
import { openTestPgStore, pgAvailable } from './store-pg-harness.ts';

const H = 3_600_000;
const D = 24 * H;
/** Real times (ms since epoch beyond 2³¹): BIGINT columns on PostgreSQL. */
const FROM = Date.parse('2026-12-01T00:00:00+08:00');
const TO = FROM + D;

async function fill(s: SqlStore): Promise<void> {
  const addCase = (id: number, created: number, closed: number | null) => s.exec(`INSERT INTO cases (id, code, title, description, item_code, category, source, stage, emergency, difficulty, lon, lat, street_code, reported_by, created_ts, updated_ts, closed_ts, version, rework_count)
    VALUES ($1, $2, 't', '', '15.01.001', 'component', 'roadChief', $3, 0, 'small', 117, 36.6, '370102001', 'x', $4, $4, $5, 1, $6)`, [id, `C-${id}`, closed === null ? 'handling' : 'closed', created, closed, id === 3 ? 2 : 0]);
  const addClock = (caseId: number, kind: string, start: number, due: number, end: number | null, cancelled = 0) => s.exec(`INSERT INTO sla_clocks (case_id, kind, state, start_ts, due_ts, warn_ts, end_ts, policy, updated_ts, cancelled) VALUES ($1, $2, 'running', $3, $4, $4, $5, '{}', $3, $6)`, [caseId, kind, start, due, end, cancelled]);
  const addDispatch = (caseId: number, ts: number) => s.exec("INSERT INTO case_timeline (case_id, ts, actor, actor_role, action) VALUES ($1, $2, 'd', 'dispatcher', 'dispatch')", [caseId, ts]);
  const alarm = (type: string, kind: string, id: string, ts: number) => s.exec("INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, start_ts, update_ts, active, detail, version) VALUES ($1, 'major', $2, $3, 'n', '370102001', 'g', $4, $4, 0, '', 1)", [type, id, kind, ts]);
  // 1: created 10 days before, due in the window, dispatched twice (the first counts).
  await addCase(1, FROM - 10 * D, null); await addClock(1, 'closure', FROM - 10 * D + H, FROM + 2 * H, null); await addDispatch(1, FROM - 8 * D); await addDispatch(1, FROM - 9 * D);
  // 2: reported the day before, registered in the window.
  await addCase(2, FROM - 3 * H, null); await addClock(2, 'closure', FROM + H, FROM + 25 * H, null);
  // 3: created long before, closed in the window, reworked twice.
  await addCase(3, FROM - 5 * D, FROM + 5 * H); await addClock(3, 'closure', FROM - 5 * D, FROM - 4 * D, FROM + 5 * H);
  // 4: created in the window.
  await addCase(4, FROM + 6 * H, null);
  // 5: an emergency reported before, dispatched in the window; its closure clock cancelled (voided).
  await addCase(5, FROM - 2 * H, null); await addClock(5, 'closure', FROM - 2 * H, FROM + 22 * H + D, null, 1);
  await addClock(5, 'arrival', FROM + 30 * 60_000, FROM + 37 * 60_000, FROM + 40 * 60_000); await addDispatch(5, FROM + 30 * 60_000);
  // 6: all before the window; 7: all after it.
  await addCase(6, FROM - 3 * D, FROM - 2 * D); await addClock(6, 'closure', FROM - 3 * D, FROM - 2 * D, FROM - 2 * D);
  await addCase(7, TO + H, null); await addClock(7, 'closure', TO + H, TO + D, null);
  await alarm('muckOffRoute', 'muckTruck', 'muck-001', FROM + H);
  await alarm('deviceOffline', 'muckTruck', 'muck-002', FROM + 2 * H);
  await alarm('binFull', 'bin', 'bin-1', FROM + 3 * H);
  await alarm('binFull', 'bin', 'bin-2', TO);
  await alarm('muckSpeeding', 'muckTruck', 'muck-001', FROM - 1);
}

const drivers = [
  {
    name: 'SQLite', run: true,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cityops-facts-'));
      const store = new SqliteStore(openDatabase(dir), true);
      return { store, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'PostgreSQL', run: pgAvailable,
    open: async () => { const t = await openTestPgStore('facts'); await migratePostgres(t.store); return { store: t.store as SqlStore, dispose: () => t.dispose() }; },
  },
] as const;

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`briefing facts on ${driver.name}`, () => {
    let h: { store: SqlStore; dispose(): Promise<void> };
    let repo: BriefingFactsRepo;
    beforeAll(async () => { h = await driver.open(); await fill(h.store); repo = new BriefingFactsRepo(h.store); });
    afterAll(async () => { await h?.dispose(); });

    it('reads the cases with a time in the window, however old, and nothing else', async () => {
      const facts = await repo.cases(FROM, TO, (item) => (item === '15.01.001' ? '370102D12' : null));
      expect(facts.map((f) => f.id).sort()).toEqual([1, 2, 3, 4, 5]);
      const byId = new Map(facts.map((f) => [f.id, f]));
      expect(byId.get(1)).toEqual({
        id: 1, streetCode: '370102001', deptCode: '370102D12', difficulty: 'small', createdTs: FROM - 10 * D, registeredTs: FROM - 10 * D + H,
        dueTs: FROM + 2 * H, closureCancelled: false, closedTs: null, dispatchedTs: FROM - 9 * D, reworkCount: 0, arrival: null,
      });
      expect(byId.get(3)).toMatchObject({ closedTs: FROM + 5 * H, reworkCount: 2 });
      expect(byId.get(4)).toMatchObject({ registeredTs: null, dueTs: null, dispatchedTs: null });
      expect(byId.get(5)).toMatchObject({ closureCancelled: true, dispatchedTs: FROM + 30 * 60_000 });
      expect(byId.get(5)!.arrival).toEqual({ startTs: FROM + 30 * 60_000, dueTs: FROM + 37 * 60_000, endTs: FROM + 40 * 60_000, cancelled: false });
    });

    it('counts alarms of every kind by time and lists only the muck trucks\'', async () => {
      expect(await repo.countAlarms(FROM, TO)).toBe(3);
      expect(await repo.countAlarms(FROM - 1, TO + 1)).toBe(5);
      expect(await repo.countAlarmsIn([[FROM, TO], [FROM - 1, FROM], [FROM, TO]])).toEqual(new Map([[`${FROM}:${TO}`, 3], [`${FROM - 1}:${FROM}`, 1]]));
      expect(await repo.muckAlarms(FROM, TO)).toEqual([
        { type: 'muckOffRoute', entityKind: 'muckTruck', entityId: 'muck-001', startTs: FROM + H },
        { type: 'deviceOffline', entityKind: 'muckTruck', entityId: 'muck-002', startTs: FROM + 2 * H },
      ]);
    });
  });
}
