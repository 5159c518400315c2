/**
 * The alarms table. Rows are versioned: every update names the version it read and a
 * 0-row result means someone else changed the row first (the caller answers 409).
 * Only SQL lives here, so a PostgreSQL store can implement the same class shape later.
 */
import type { Alarm, AlarmQuery } from '../../shared/alarms.ts';
import type { Db } from '../store/database.ts';

interface AlarmRow {
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

export class AlarmRepo {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, lon, lat,
        start_ts, update_ts, end_ts, active, ack_by, ack_ts, cleared_by, detail, value, case_id, version)
        VALUES (@type, @severity, @entityId, @entityKind, @entityName, @orgCode, @gridId, @lon, @lat,
        @startTs, @updateTs, @endTs, @active, @ackBy, @ackTs, @clearedBy, @detail, @value, @caseId, @version)`),
      update: db.prepare(`UPDATE alarms SET severity = @severity, lon = @lon, lat = @lat, update_ts = @updateTs, end_ts = @endTs,
        active = @active, ack_by = @ackBy, ack_ts = @ackTs, cleared_by = @clearedBy, detail = @detail, value = @value,
        case_id = @caseId, version = @version WHERE id = @id AND version = @expected`),
      get: db.prepare('SELECT * FROM alarms WHERE id = ?'),
      active: db.prepare('SELECT * FROM alarms WHERE active = 1 ORDER BY id'),
      changedSince: db.prepare('SELECT * FROM alarms WHERE update_ts >= ? ORDER BY update_ts, id'),
    };
  }

  /** Inserts a new alarm (its id is ignored) and returns its id. Throws on a second active alarm for the same originator and type. */
  insert(a: Alarm): number {
    const { id: _ignored, ...row } = a;
    return Number(this.stmts.insert.run({ ...row, active: a.active ? 1 : 0 }).lastInsertRowid);
  }

  /** Writes the row as `a` (whose version is the new one) if the stored version is still `expected`. */
  update(a: Alarm, expected: number): boolean {
    return this.stmts.update.run({ ...a, active: a.active ? 1 : 0, expected }).changes === 1;
  }

  get(id: number): Alarm | undefined {
    const r = this.stmts.get.get(id) as AlarmRow | undefined;
    return r ? toAlarm(r) : undefined;
  }

  active(): Alarm[] {
    return (this.stmts.active.all() as AlarmRow[]).map(toAlarm);
  }

  changedSince(ts: number): Alarm[] {
    return (this.stmts.changedSince.all(ts) as AlarmRow[]).map(toAlarm);
  }

  query(q: AlarmQuery): Alarm[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.active !== undefined) { where.push('active = ?'); args.push(q.active ? 1 : 0); }
    if (q.type !== undefined) { where.push('type = ?'); args.push(q.type); }
    if (q.street !== undefined) { where.push('org_code = ?'); args.push(q.street); }
    if (q.entityId !== undefined) { where.push('entity_id = ?'); args.push(q.entityId); }
    if (q.since !== undefined) { where.push('update_ts >= ?'); args.push(q.since); }
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY update_ts DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 200) as AlarmRow[]).map(toAlarm);
  }

  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }
}
