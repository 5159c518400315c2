/**
 * Reads the facts the briefing's indicators need from the cases, SLA clocks, timeline and
 * alarms tables — only SQL here, one row per case, for every case that can count in a window.
 * On the asynchronous store layer (server/store/sql/): the same statements on SQLite and
 * PostgreSQL.
 */
import type { CaseDifficulty } from '../../shared/cases.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import type { AlarmFact, CaseFact } from './indicators.ts';

interface FactRow {
  [column: string]: unknown;
  id: number; street_code: string; item_code: string; difficulty: CaseDifficulty; created_ts: number; closed_ts: number | null;
  rework_count: number; reg_ts: number | null; due_ts: number | null; closure_cancelled: number | null;
  arr_start: number | null; arr_due: number | null; arr_end: number | null; arr_cancelled: number | null; disp_ts: number | null;
}

// A case counts in [from, to) if it was created, registered, due or closed in it, or an emergency of it
// was dispatched in it: each an index range (migration 12), so a day reads that day's cases, not the store's.
// The first dispatch is one seek in (case_id, action, ts); with only (action, ts) SQLite scanned every
// dispatch in the store once per case — 19 s for 24,000 cases.
const CASES_SQL = `
  SELECT c.id, c.street_code, c.item_code, c.difficulty, c.created_ts, c.closed_ts, c.rework_count,
    cl.start_ts AS reg_ts, cl.due_ts AS due_ts, cl.cancelled AS closure_cancelled,
    ar.start_ts AS arr_start, ar.due_ts AS arr_due, ar.end_ts AS arr_end, ar.cancelled AS arr_cancelled,
    (SELECT MIN(t.ts) FROM case_timeline t WHERE t.case_id = c.id AND t.action = 'dispatch') AS disp_ts
  FROM cases c
  LEFT JOIN sla_clocks cl ON cl.case_id = c.id AND cl.kind = 'closure'
  LEFT JOIN sla_clocks ar ON ar.case_id = c.id AND ar.kind = 'arrival'
  WHERE c.id IN (
    SELECT id FROM cases WHERE created_ts >= $1 AND created_ts < $2
    UNION SELECT id FROM cases WHERE closed_ts >= $1 AND closed_ts < $2
    UNION SELECT case_id FROM sla_clocks WHERE kind = 'closure' AND due_ts >= $1 AND due_ts < $2
    UNION SELECT case_id FROM sla_clocks WHERE kind = 'closure' AND start_ts >= $1 AND start_ts < $2
    UNION SELECT case_id FROM sla_clocks WHERE kind = 'arrival' AND start_ts >= $1 AND start_ts < $2)`;

/** The key of a window in countAlarmsIn's answer. */
export const alarmWindowKey = (from: number, to: number): string => `${from}:${to}`;

export class BriefingFactsRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** Cases that can count in [from, to); `deptOf` names the department of a taxonomy item. */
  async cases(from: number, to: number, deptOf: (itemCode: string) => string | null): Promise<CaseFact[]> {
    return (await this.sql.query<FactRow>(CASES_SQL, [from, to])).map((r) => ({
      id: r.id, streetCode: r.street_code, deptCode: deptOf(r.item_code), difficulty: r.difficulty, createdTs: r.created_ts,
      registeredTs: r.reg_ts, dueTs: r.due_ts, closureCancelled: r.closure_cancelled === 1, closedTs: r.closed_ts,
      dispatchedTs: r.disp_ts, reworkCount: r.rework_count,
      arrival: r.arr_start === null ? null : { startTs: r.arr_start, dueTs: r.arr_due!, endTs: r.arr_end, cancelled: r.arr_cancelled === 1 },
    }));
  }

  /** The muck trucks' alarms raised in [from, to). */
  async muckAlarms(from: number, to: number): Promise<AlarmFact[]> {
    const rows = await this.sql.query<{ type: string; entity_kind: string; entity_id: string; start_ts: number }>(
      "SELECT type, entity_kind, entity_id, start_ts FROM alarms WHERE start_ts >= $1 AND start_ts < $2 AND entity_kind = 'muckTruck' ORDER BY start_ts, id", [from, to]);
    return rows.map((r) => ({ type: r.type, entityKind: r.entity_kind, entityId: r.entity_id, startTs: r.start_ts }));
  }

  /** How many alarms of any kind were raised in [from, to): an index range count, never a list (a month is ~10⁵). */
  async countAlarms(from: number, to: number): Promise<number> {
    const row = await this.sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM alarms WHERE start_ts >= $1 AND start_ts < $2', [from, to]);
    return row?.n ?? 0;
  }

  /** countAlarms of each window, keyed by alarmWindowKey. */
  async countAlarmsIn(windows: readonly (readonly [number, number])[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [from, to] of windows) {
      const key = alarmWindowKey(from, to);
      if (!out.has(key)) out.set(key, await this.countAlarms(from, to));
    }
    return out;
  }
}
