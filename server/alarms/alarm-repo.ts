/**
 * The alarms table. Rows are versioned: every update names the version it read and a
 * 0-row result means someone else changed the row first (the caller answers 409).
 * Only SQL lives here, on the asynchronous layer (SQLite or PostgreSQL); `sql` arguments take
 * the caller's transaction.
 */
import type { Alarm, AlarmQuery } from '../../shared/alarms.ts';
import type { SqlExecutor, SqlParam, SqlStore } from '../store/sql/types.ts';

interface AlarmRow {
  [column: string]: unknown;
  id: number; type: string; severity: string; entity_id: string; entity_kind: string; entity_name: string;
  org_code: string; grid_id: string; lon: number | null; lat: number | null; start_ts: number; update_ts: number;
  end_ts: number | null; active: number; ack_by: string | null; ack_ts: number | null; cleared_by: string | null;
  detail: string; value: number | null; case_id: number | null; version: number;
}

function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id, type: r.type as Alarm['type'], severity: r.severity as Alarm['severity'], entityId: r.entity_id,
    entityKind: r.entity_kind as Alarm['entityKind'], entityName: r.entity_name, orgCode: r.org_code, gridId: r.grid_id,
    lon: r.lon, lat: r.lat, startTs: r.start_ts, updateTs: r.update_ts, endTs: r.end_ts, active: r.active === 1,
    ackBy: r.ack_by, ackTs: r.ack_ts, clearedBy: r.cleared_by, detail: r.detail, value: r.value, caseId: r.case_id, version: r.version,
  };
}

const INSERT_SQL = `INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, lon, lat,
  start_ts, update_ts, end_ts, active, ack_by, ack_ts, cleared_by, detail, value, case_id, version)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`;

const insertParams = (a: Alarm): SqlParam[] => [
  a.type, a.severity, a.entityId, a.entityKind, a.entityName, a.orgCode, a.gridId, a.lon, a.lat,
  a.startTs, a.updateTs, a.endTs, a.active ? 1 : 0, a.ackBy, a.ackTs, a.clearedBy, a.detail, a.value, a.caseId, a.version,
];

const UPDATE_SQL = `UPDATE alarms SET severity = $1, lon = $2, lat = $3, update_ts = $4, end_ts = $5, active = $6, ack_by = $7, ack_ts = $8,
  cleared_by = $9, detail = $10, value = $11, case_id = $12, version = $13 WHERE id = $14 AND version = $15`;

const updateParams = (a: Alarm, expected: number): SqlParam[] => [
  a.severity, a.lon, a.lat, a.updateTs, a.endTs, a.active ? 1 : 0, a.ackBy, a.ackTs, a.clearedBy, a.detail, a.value, a.caseId, a.version, a.id, expected,
];

export class AlarmRepo {
  constructor(readonly sql: SqlStore) {}

  /** Inserts a new alarm (its id is ignored) and returns its id. Throws on a second active alarm for the same originator and type. */
  async insert(a: Alarm, sql: SqlExecutor = this.sql): Promise<number> {
    const row = await sql.one<{ id: number }>(`${INSERT_SQL} RETURNING id`, insertParams(a));
    return row!.id;
  }

  /** Writes the row as `a` (whose version is the new one) if the stored version is still `expected`. */
  async update(a: Alarm, expected: number, sql: SqlExecutor = this.sql): Promise<boolean> {
    return (await sql.exec(UPDATE_SQL, updateParams(a, expected))).changes === 1;
  }

  async get(id: number): Promise<Alarm | undefined> {
    // No row has such an id; PostgreSQL would refuse the parameter (beyond BIGINT) rather than find nothing.
    if (!Number.isSafeInteger(id)) return undefined;
    const r = await this.sql.one<AlarmRow>('SELECT * FROM alarms WHERE id = $1', [id]);
    return r ? toAlarm(r) : undefined;
  }

  async active(): Promise<Alarm[]> {
    return (await this.sql.query<AlarmRow>('SELECT * FROM alarms WHERE active = 1 ORDER BY id')).map(toAlarm);
  }

  async changedSince(ts: number): Promise<Alarm[]> {
    return (await this.sql.query<AlarmRow>('SELECT * FROM alarms WHERE update_ts >= $1 ORDER BY update_ts, id', [ts])).map(toAlarm);
  }

  async query(q: AlarmQuery): Promise<Alarm[]> {
    const where: string[] = [];
    const args: SqlParam[] = [];
    const arg = (v: SqlParam) => { args.push(v); return `$${args.length}`; };
    if (q.active !== undefined) where.push(`active = ${arg(q.active ? 1 : 0)}`);
    if (q.type !== undefined) where.push(`type = ${arg(q.type)}`);
    if (q.street !== undefined) where.push(`org_code = ${arg(q.street)}`);
    if (q.entityId !== undefined) where.push(`entity_id = ${arg(q.entityId)}`);
    if (q.since !== undefined) where.push(`update_ts >= ${arg(q.since)}`);
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY update_ts DESC, id DESC LIMIT ${arg(q.limit ?? 200)}`;
    return (await this.sql.query<AlarmRow>(sql, args)).map(toAlarm);
  }
}
