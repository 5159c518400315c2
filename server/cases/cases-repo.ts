/**
 * The cases store behind an interface (`CasesRepo`) that a PostgreSQL store can implement
 * later; `SqliteCasesRepo` is the embedded one. Every write the service makes for one user
 * action runs inside `transaction`, so it is committed (synchronous=FULL) before the reply.
 */
import type {
  CaseAssignment, CaseCategory, CaseDifficulty, CaseRequest, CaseRequestKind, CaseSource, CaseStage, TimelineEntry,
} from '../../shared/cases.ts';
import type { Db } from '../store/database.ts';

/** A case row as stored: the summary without the clocks (they belong to the SLA module). */
export interface CaseRecord {
  id: number;
  code: string;
  title: string;
  description: string;
  itemCode: string;
  category: CaseCategory;
  source: CaseSource;
  stage: CaseStage;
  suspended: boolean;
  emergency: boolean;
  difficulty: CaseDifficulty;
  lon: number;
  lat: number;
  streetCode: string;
  communityCode: string | null;
  gridId: string | null;
  address: string | null;
  assignedOrg: string | null;
  assignment: CaseAssignment | null;
  alarmId: number | null;
  escalationLevel: number;
  /** verifyFail count (返工) */
  reworkCount: number;
  reportedBy: string;
  createdTs: number;
  updatedTs: number;
  closedTs: number | null;
  version: number;
}

export interface PhotoRecord {
  id: string;
  caseId: number;
  phase: 'before' | 'after';
  /** File name under DATA_DIR/photos/<caseId>/ */
  file: string;
  contentType: string;
  bytes: number;
  ts: number;
  by: string;
  /** The uploader's Idempotency-Key, unique per case: a retried upload finds this photo. */
  idempotencyKey?: string | null;
}

/** A case a unit reported done (反馈), from the timeline's feedback entry. */
export interface UnitFeedbackRecord { caseId: number; ts: number; actor: string; note: string | null; photoIds: string[] }

export interface EvaluationRecord { score: number; comment: string | null; by: string; ts: number }

export interface CaseFilter {
  open?: boolean;
  stage?: CaseStage;
  street?: string;
  source?: CaseSource;
  item?: string;
  emergency?: boolean;
  q?: string;
  from?: number;
  to?: number;
  /** Rows at most (open cases are never cut: the service orders them by their clocks). */
  limit?: number;
}

export interface CasesRepo {
  transaction<T>(fn: () => T): T;
  /** Next number of the day's sequence (1, 2, …) for a local date 'YYYYMMDD'. */
  nextNumber(day: string): number;
  insert(rec: Omit<CaseRecord, 'id'>): number;
  get(id: number): CaseRecord | undefined;
  /** Writes the record if the stored version is still `expectedVersion`; the stored version becomes rec.version. False when someone changed it first. */
  update(rec: CaseRecord, expectedVersion: number): boolean;
  query(filter: CaseFilter, openStages: readonly CaseStage[]): CaseRecord[];
  changedSince(ts: number): CaseRecord[];
  openForAlarm(alarmId: number, openStages: readonly CaseStage[]): CaseRecord | undefined;
  addTimeline(entry: Omit<TimelineEntry, 'id'>): number;
  timeline(caseId: number): TimelineEntry[];
  addPhoto(photo: PhotoRecord): void;
  photos(caseId: number): PhotoRecord[];
  photo(caseId: number, photoId: string): PhotoRecord | undefined;
  photoByKey(caseId: number, idempotencyKey: string): PhotoRecord | undefined;
  /** Feedback entries naming this unit, fromTs ≤ ts < toTs, oldest first. */
  unitFeedbacks(unitId: string, fromTs: number, toTs: number): UnitFeedbackRecord[];
  /** Whether the case was ever dispatched or reassigned to this unit. */
  everAssigned(caseId: number, unitId: string): boolean;
  addRequest(caseId: number, kind: CaseRequestKind, reason: string, days: number | null, by: string, ts: number): number;
  requests(caseId: number): CaseRequest[];
  request(caseId: number, requestId: number): CaseRequest | undefined;
  decideRequest(requestId: number, approve: boolean, by: string, ts: number, note: string | null): boolean;
  setEvaluation(caseId: number, ev: EvaluationRecord): void;
  evaluation(caseId: number): EvaluationRecord | null;
}

interface CaseRow {
  id: number; code: string; title: string; description: string; item_code: string; category: CaseCategory; source: CaseSource;
  stage: CaseStage; suspended: number; emergency: number; difficulty: CaseDifficulty; lon: number; lat: number;
  street_code: string; community_code: string | null; grid_id: string | null; address: string | null; assigned_org: string | null;
  assignment: string | null; alarm_id: number | null; escalation_level: number; rework_count: number; reported_by: string;
  created_ts: number; updated_ts: number; closed_ts: number | null; version: number;
}

const fromRow = (r: CaseRow): CaseRecord => ({
  id: r.id, code: r.code, title: r.title, description: r.description, itemCode: r.item_code, category: r.category, source: r.source,
  stage: r.stage, suspended: r.suspended === 1, emergency: r.emergency === 1, difficulty: r.difficulty, lon: r.lon, lat: r.lat,
  streetCode: r.street_code, communityCode: r.community_code, gridId: r.grid_id, address: r.address, assignedOrg: r.assigned_org,
  assignment: r.assignment === null ? null : (JSON.parse(r.assignment) as CaseAssignment), alarmId: r.alarm_id,
  escalationLevel: r.escalation_level, reworkCount: r.rework_count, reportedBy: r.reported_by,
  createdTs: r.created_ts, updatedTs: r.updated_ts, closedTs: r.closed_ts, version: r.version,
});

const toParams = (c: Omit<CaseRecord, 'id'>) => ({
  code: c.code, title: c.title, description: c.description, item_code: c.itemCode, category: c.category, source: c.source,
  stage: c.stage, suspended: c.suspended ? 1 : 0, emergency: c.emergency ? 1 : 0, difficulty: c.difficulty, lon: c.lon, lat: c.lat,
  street_code: c.streetCode, community_code: c.communityCode, grid_id: c.gridId, address: c.address, assigned_org: c.assignedOrg,
  assignment: c.assignment === null ? null : JSON.stringify(c.assignment), alarm_id: c.alarmId, escalation_level: c.escalationLevel,
  rework_count: c.reworkCount, reported_by: c.reportedBy, created_ts: c.createdTs, updated_ts: c.updatedTs, closed_ts: c.closedTs,
  version: c.version,
});
const COLUMNS = Object.keys(toParams({} as Omit<CaseRecord, 'id'>));

interface TimelineRow { id: number; case_id: number; ts: number; actor: string; actor_role: string; action: TimelineEntry['action']; from_stage: CaseStage | null; to_stage: CaseStage | null; note: string | null; data: string | null }
interface RequestRow { id: number; case_id: number; kind: CaseRequestKind; reason: string; days: number | null; requested_by: string; requested_ts: number; state: CaseRequest['state']; decided_by: string | null; decided_ts: number | null }
interface PhotoRow { id: string; case_id: number; phase: 'before' | 'after'; file: string; content_type: string; bytes: number; ts: number; by: string; idempotency_key: string | null }

const requestFromRow = (r: RequestRow): CaseRequest => ({
  id: r.id, caseId: r.case_id, kind: r.kind, reason: r.reason, days: r.days, requestedBy: r.requested_by, requestedTs: r.requested_ts,
  state: r.state, decidedBy: r.decided_by, decidedTs: r.decided_ts,
});

export class SqliteCasesRepo implements CasesRepo {
  private readonly insertStmt;
  private readonly updateStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO cases (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
    this.updateStmt = db.prepare(`UPDATE cases SET ${COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id AND version = @expected`);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  nextNumber(day: string): number {
    const row = this.db.prepare('INSERT INTO case_code_seq (day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last').get(day) as { last: number };
    return row.last;
  }

  insert(rec: Omit<CaseRecord, 'id'>): number {
    return Number(this.insertStmt.run(toParams(rec)).lastInsertRowid);
  }

  get(id: number): CaseRecord | undefined {
    const r = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return r && fromRow(r);
  }

  update(rec: CaseRecord, expectedVersion: number): boolean {
    return this.updateStmt.run({ ...toParams(rec), id: rec.id, expected: expectedVersion }).changes === 1;
  }

  query(f: CaseFilter, openStages: readonly CaseStage[]): CaseRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const inOpen = `stage IN (${openStages.map(() => '?').join(', ')})`;
    if (f.open !== undefined) { where.push(f.open ? inOpen : `NOT ${inOpen}`); params.push(...openStages); }
    if (f.stage !== undefined) { where.push('stage = ?'); params.push(f.stage); }
    if (f.street !== undefined) { where.push('street_code = ?'); params.push(f.street); }
    if (f.source !== undefined) { where.push('source = ?'); params.push(f.source); }
    if (f.item !== undefined) { where.push('(item_code = ? OR item_code LIKE ?)'); params.push(f.item, `${f.item}.%`); }
    if (f.emergency !== undefined) { where.push('emergency = ?'); params.push(f.emergency ? 1 : 0); }
    if (f.from !== undefined) { where.push('created_ts >= ?'); params.push(f.from); }
    if (f.to !== undefined) { where.push('created_ts < ?'); params.push(f.to); }
    if (f.q !== undefined && f.q.trim() !== '') {
      const like = `%${f.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push("(code LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\')");
      params.push(like, like, like, like);
    }
    const sql = `SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_ts DESC, id DESC${f.limit !== undefined ? ' LIMIT ?' : ''}`;
    if (f.limit !== undefined) params.push(f.limit);
    return (this.db.prepare(sql).all(...params) as CaseRow[]).map(fromRow);
  }

  changedSince(ts: number): CaseRecord[] {
    return (this.db.prepare('SELECT * FROM cases WHERE updated_ts >= ? ORDER BY updated_ts, id').all(ts) as CaseRow[]).map(fromRow);
  }

  openForAlarm(alarmId: number, openStages: readonly CaseStage[]): CaseRecord | undefined {
    const r = this.db.prepare(`SELECT * FROM cases WHERE alarm_id = ? AND stage IN (${openStages.map(() => '?').join(', ')}) ORDER BY id DESC LIMIT 1`).get(alarmId, ...openStages) as CaseRow | undefined;
    return r && fromRow(r);
  }

  addTimeline(e: Omit<TimelineEntry, 'id'>): number {
    return Number(this.db.prepare('INSERT INTO case_timeline (case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.caseId, e.ts, e.actor, e.actorRole, e.action, e.fromStage, e.toStage, e.note, e.data === null ? null : JSON.stringify(e.data)).lastInsertRowid);
  }

  timeline(caseId: number): TimelineEntry[] {
    return (this.db.prepare('SELECT * FROM case_timeline WHERE case_id = ? ORDER BY id').all(caseId) as TimelineRow[]).map((r) => ({
      id: r.id, caseId: r.case_id, ts: r.ts, actor: r.actor, actorRole: r.actor_role, action: r.action,
      fromStage: r.from_stage, toStage: r.to_stage, note: r.note, data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
    }));
  }

  addPhoto(p: PhotoRecord): void {
    this.db.prepare('INSERT INTO case_photos (id, case_id, phase, file, content_type, bytes, ts, by, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(p.id, p.caseId, p.phase, p.file, p.contentType, p.bytes, p.ts, p.by, p.idempotencyKey ?? null);
  }

  photos(caseId: number): PhotoRecord[] {
    return (this.db.prepare('SELECT * FROM case_photos WHERE case_id = ? ORDER BY ts, id').all(caseId) as PhotoRow[]).map(photoFromRow);
  }

  photo(caseId: number, photoId: string): PhotoRecord | undefined {
    const r = this.db.prepare('SELECT * FROM case_photos WHERE case_id = ? AND id = ?').get(caseId, photoId) as PhotoRow | undefined;
    return r && photoFromRow(r);
  }

  photoByKey(caseId: number, idempotencyKey: string): PhotoRecord | undefined {
    const r = this.db.prepare('SELECT * FROM case_photos WHERE case_id = ? AND idempotency_key = ?').get(caseId, idempotencyKey) as PhotoRow | undefined;
    return r && photoFromRow(r);
  }

  unitFeedbacks(unitId: string, fromTs: number, toTs: number): UnitFeedbackRecord[] {
    const rows = this.db.prepare("SELECT case_id, ts, actor, note, data FROM case_timeline WHERE action = 'feedback' AND ts >= ? AND ts < ? AND json_extract(data, '$.unitId') = ? ORDER BY ts, id")
      .all(fromTs, toTs, unitId) as Pick<TimelineRow, 'case_id' | 'ts' | 'actor' | 'note' | 'data'>[];
    return rows.map((r) => {
      const ids = r.data === null ? undefined : (JSON.parse(r.data) as { photoIds?: unknown }).photoIds;
      return { caseId: r.case_id, ts: r.ts, actor: r.actor, note: r.note, photoIds: Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [] };
    });
  }

  everAssigned(caseId: number, unitId: string): boolean {
    return this.db.prepare("SELECT 1 FROM case_timeline WHERE case_id = ? AND action IN ('dispatch', 'reassign') AND json_extract(data, '$.unitId') = ? LIMIT 1").get(caseId, unitId) !== undefined;
  }

  addRequest(caseId: number, kind: CaseRequestKind, reason: string, days: number | null, by: string, ts: number): number {
    return Number(this.db.prepare("INSERT INTO case_requests (case_id, kind, reason, days, requested_by, requested_ts, state, version) VALUES (?, ?, ?, ?, ?, ?, 'pending', 1)")
      .run(caseId, kind, reason, days, by, ts).lastInsertRowid);
  }

  requests(caseId: number): CaseRequest[] {
    return (this.db.prepare('SELECT * FROM case_requests WHERE case_id = ? ORDER BY id').all(caseId) as RequestRow[]).map(requestFromRow);
  }

  request(caseId: number, requestId: number): CaseRequest | undefined {
    const r = this.db.prepare('SELECT * FROM case_requests WHERE case_id = ? AND id = ?').get(caseId, requestId) as RequestRow | undefined;
    return r && requestFromRow(r);
  }

  decideRequest(requestId: number, approve: boolean, by: string, ts: number, note: string | null): boolean {
    return this.db.prepare("UPDATE case_requests SET state = ?, decided_by = ?, decided_ts = ?, decision_note = ?, version = version + 1 WHERE id = ? AND state = 'pending'")
      .run(approve ? 'approved' : 'rejected', by, ts, note, requestId).changes === 1;
  }

  setEvaluation(caseId: number, ev: EvaluationRecord): void {
    this.db.prepare('INSERT INTO case_evaluations (case_id, score, comment, by, ts) VALUES (?, ?, ?, ?, ?)').run(caseId, ev.score, ev.comment, ev.by, ev.ts);
  }

  evaluation(caseId: number): EvaluationRecord | null {
    return (this.db.prepare('SELECT score, comment, by, ts FROM case_evaluations WHERE case_id = ?').get(caseId) as EvaluationRecord | undefined) ?? null;
  }
}

const photoFromRow = (r: PhotoRow): PhotoRecord => ({ id: r.id, caseId: r.case_id, phase: r.phase, file: r.file, contentType: r.content_type, bytes: r.bytes, ts: r.ts, by: r.by, idempotencyKey: r.idempotency_key });
