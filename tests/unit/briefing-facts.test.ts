/**
 * The briefing's reads from the real tables (SQLite in memory, all migrations): a window gets
 * exactly the cases with a time in it — created, registered, due, closed, or an emergency
 * dispatched — however long ago they were created, with their first dispatch; and the alarms
 * are counted by time while only the muck trucks' are listed.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BriefingFactsRepo } from '../../server/analytics/facts-repo.ts';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

const H = 3_600_000;
const D = 24 * H;
const FROM = 100 * D;
const TO = FROM + D;

function store() {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  const addCase = (id: number, created: number, closed: number | null) => db.prepare(`INSERT INTO cases (id, code, title, description, item_code, category, source, stage, emergency, difficulty, lon, lat, street_code, reported_by, created_ts, updated_ts, closed_ts, version, rework_count)
    VALUES (?, ?, 't', '', '15.01.001', 'component', 'roadChief', ?, 0, 'small', 117, 36.6, '370102001', 'x', ?, ?, ?, 1, ?)`).run(id, `C-${id}`, closed === null ? 'handling' : 'closed', created, created, closed, id === 3 ? 2 : 0);
  const addClock = (caseId: number, kind: 'closure' | 'arrival', start: number, due: number, end: number | null) => db.prepare(`INSERT INTO sla_clocks (case_id, kind, state, start_ts, due_ts, warn_ts, end_ts, policy, updated_ts) VALUES (?, ?, 'running', ?, ?, ?, ?, '{}', ?)`).run(caseId, kind, start, due, due, end, start);
  const addDispatch = (caseId: number, ts: number) => db.prepare(`INSERT INTO case_timeline (case_id, ts, actor, actor_role, action) VALUES (?, ?, 'd', 'dispatcher', 'dispatch')`).run(caseId, ts);
  // 1: created 10 days before, due in the window (a suspended case), dispatched twice.
  addCase(1, FROM - 10 * D, null); addClock(1, 'closure', FROM - 10 * D + H, FROM + 2 * H, null); addDispatch(1, FROM - 9 * D); addDispatch(1, FROM - 8 * D);
  // 2: reported the day before, registered in the window.
  addCase(2, FROM - 3 * H, null); addClock(2, 'closure', FROM + H, FROM + 25 * H, null);
  // 3: created long before, closed in the window.
  addCase(3, FROM - 5 * D, FROM + 5 * H); addClock(3, 'closure', FROM - 5 * D, FROM - 4 * D, FROM + 5 * H);
  // 4: created in the window.
  addCase(4, FROM + 6 * H, null);
  // 5: an emergency reported before, dispatched in the window (its arrival clock started then).
  addCase(5, FROM - 2 * H, null); addClock(5, 'closure', FROM - 2 * H, FROM + 22 * H + D, null); addClock(5, 'arrival', FROM + 30 * 60_000, FROM + 37 * 60_000, FROM + 40 * 60_000); addDispatch(5, FROM + 30 * 60_000);
  // 6: all before the window; 7: all after it.
  addCase(6, FROM - 3 * D, FROM - 2 * D); addClock(6, 'closure', FROM - 3 * D, FROM - 2 * D, FROM - 2 * D);
  addCase(7, TO + H, null); addClock(7, 'closure', TO + H, TO + D, null);
  const alarm = (type: string, kind: string, id: string, ts: number) => db.prepare(`INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, start_ts, update_ts, active, detail, version) VALUES (?, 'major', ?, ?, 'n', '370102001', 'g', ?, ?, 0, '', 1)`).run(type, id, kind, ts, ts);
  alarm('muckOffRoute', 'muckTruck', 'muck-001', FROM + H);
  alarm('deviceOffline', 'muckTruck', 'muck-002', FROM + 2 * H);
  alarm('binFull', 'bin', 'bin-1', FROM + 3 * H);
  alarm('binFull', 'bin', 'bin-2', TO);
  alarm('muckSpeeding', 'muckTruck', 'muck-001', FROM - 1);
  return new BriefingFactsRepo(new SqliteStore(db));
}

describe('briefing facts from the store', () => {
  const repo = store();

  it('reads the cases with a time in the window, however old, and nothing else', async () => {
    const facts = await repo.cases(FROM, TO, (item) => (item === '15.01.001' ? '370102D12' : null));
    expect(facts.map((f) => f.id).sort()).toEqual([1, 2, 3, 4, 5]);
    const byId = new Map(facts.map((f) => [f.id, f]));
    expect(byId.get(1)).toMatchObject({ registeredTs: FROM - 10 * D + H, dueTs: FROM + 2 * H, closedTs: null, dispatchedTs: FROM - 9 * D, deptCode: '370102D12', closureCancelled: false, arrival: null });
    expect(byId.get(3)).toMatchObject({ closedTs: FROM + 5 * H, reworkCount: 2 });
    expect(byId.get(4)).toMatchObject({ registeredTs: null, dueTs: null, dispatchedTs: null });
    expect(byId.get(5)!.arrival).toEqual({ startTs: FROM + 30 * 60_000, dueTs: FROM + 37 * 60_000, endTs: FROM + 40 * 60_000, cancelled: false });
  });

  it('counts alarms of every kind by time and lists only the muck trucks\'', async () => {
    expect(await repo.countAlarms(FROM, TO)).toBe(3);
    expect(await repo.countAlarms(FROM - 1, TO + 1)).toBe(5);
    expect(await repo.muckAlarms(FROM, TO)).toEqual([
      { type: 'muckOffRoute', entityKind: 'muckTruck', entityId: 'muck-001', startTs: FROM + H },
      { type: 'deviceOffline', entityKind: 'muckTruck', entityId: 'muck-002', startTs: FROM + 2 * H },
    ]);
  });
});
