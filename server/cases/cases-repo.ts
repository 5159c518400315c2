/**
 * The cases tables on the asynchronous SQL layer (SQLite or PostgreSQL). A repository is bound
 * to one executor: the store for reads, a transaction handle for the writes of one user action
 * (the service makes one per transaction: `new CasesRepo(tx)`), so they commit together.
 */
import type {
  CaseAssignment, CaseCategory, CaseDifficulty, CaseRequest, CaseRequestKind, CaseSource, CaseStage, TimelineEntry,
} from '../../shared/cases.ts';
import type { SqlExecutor, SqlParam } from '../store/sql/types.ts';

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

type CaseRow = {
  id: number; code: string; title: string; description: string; item_code: string; category: CaseCategory; source: CaseSource;
  stage: CaseStage; suspended: number; emergency: number; difficulty: CaseDifficulty; lon: number; lat: number;
  street_code: string; community_code: string | null; grid_id: string | null; address: string | null; assigned_org: string | null;
  assignment: string | null; alarm_id: number | null; escalation_level: number; rework_count: number; reported_by: string;
  created_ts: number; updated_ts: number; closed_ts: number | null; version: number;
};

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

export type TimelineRow = { id: number; case_id: number; ts: number; actor: string; actor_role: string; action: TimelineEntry['action']; from_stage: CaseStage | null; to_stage: CaseStage | null; note: string | null; data: string | null };
type RequestRow = { id: number; case_id: number; kind: CaseRequestKind; reason: string; days: number | null; requested_by: string; requested_ts: number; state: CaseRequest['state']; decided_by: string | null; decided_ts: number | null };
type PhotoRow = { id: string; case_id: number; phase: 'before' | 'after'; file: string; content_type: string; bytes: number; ts: number; by: string; idempotency_key: string | null };

export const timelineFromRow = (r: TimelineRow): TimelineEntry => ({
  id: r.id, caseId: r.case_id, ts: r.ts, actor: r.actor, actorRole: r.actor_role, action: r.action,
  fromStage: r.from_stage, toStage: r.to_stage, note: r.note, data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
});

const requestFromRow = (r: RequestRow): CaseRequest => ({
  id: r.id, caseId: r.case_id, kind: r.kind, reason: r.reason, days: r.days, requestedBy: r.requested_by, requestedTs: r.requested_ts,
  state: r.state, decidedBy: r.decided_by, decidedTs: r.decided_ts,
});

/** Positional parameters in COLUMNS order. */
const rowParams = (c: Omit<CaseRecord, 'id'>): SqlParam[] => Object.values(toParams(c));

const INSERT_CASE = `INSERT INTO cases (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`;
const UPDATE_CASE = `UPDATE cases SET ${COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${COLUMNS.length + 1} AND version = $${COLUMNS.length + 2}`;

/** `$n, $n+1, …` for a list bound from position `from`. */
const list = (n: number, from: number) => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

export class CasesRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** Next number of the day's sequence (1, 2, …) for a local date 'YYYYMMDD'. */
  async nextNumber(day: string): Promise<number> {
    const row = await this.sql.one<{ last: number }>('INSERT INTO case_code_seq (day, last) VALUES ($1, 1) ON CONFLICT (day) DO UPDATE SET last = case_code_seq.last + 1 RETURNING last', [day]);
    return row!.last;
  }

  async insert(rec: Omit<CaseRecord, 'id'>): Promise<number> {
    const row = await this.sql.one<{ id: number }>(INSERT_CASE, rowParams(rec));
    return row!.id;
  }

  async get(id: number): Promise<CaseRecord | undefined> {
    // No row has such an id; PostgreSQL would refuse the parameter (beyond BIGINT) rather than find nothing.
    if (!Number.isSafeInteger(id)) return undefined;
    const r = await this.sql.one<CaseRow>('SELECT * FROM cases WHERE id = $1', [id]);
    return r && fromRow(r);
  }

  /** Writes the record if the stored version is still `expectedVersion`; the stored version becomes rec.version. False when someone changed it first. */
  async update(rec: CaseRecord, expectedVersion: number): Promise<boolean> {
    return (await this.sql.exec(UPDATE_CASE, [...rowParams(rec), rec.id, expectedVersion])).changes === 1;
  }

  async query(f: CaseFilter, openStages: readonly CaseStage[]): Promise<CaseRecord[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    const next = () => `$${params.length + 1}`;
    const add = (clause: (p: () => string) => string, ...values: SqlParam[]) => {
      const at = params.length;
      let k = 0;
      where.push(clause(() => `$${at + ++k}`));
      params.push(...values);
    };
    if (f.open !== undefined) add((p) => `${f.open ? '' : 'NOT '}stage IN (${openStages.map(() => p()).join(', ')})`, ...openStages);
    if (f.stage !== undefined) add((p) => `stage = ${p()}`, f.stage);
    if (f.street !== undefined) add((p) => `street_code = ${p()}`, f.street);
    if (f.source !== undefined) add((p) => `source = ${p()}`, f.source);
    if (f.item !== undefined) add((p) => `(item_code = ${p()} OR item_code LIKE ${p()})`, f.item, `${f.item}.%`);
    if (f.emergency !== undefined) add((p) => `emergency = ${p()}`, f.emergency ? 1 : 0);
    if (f.from !== undefined) add((p) => `created_ts >= ${p()}`, f.from);
    if (f.to !== undefined) add((p) => `created_ts < ${p()}`, f.to);
    if (f.q !== undefined && f.q.trim() !== '') {
      const like = `%${f.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's does not, ILIKE does.
      const op = this.sql.dialect === 'postgres' ? 'ILIKE' : 'LIKE';
      add((p) => `(code ${op} ${p()} ESCAPE '\\' OR title ${op} ${p()} ESCAPE '\\' OR description ${op} ${p()} ESCAPE '\\' OR address ${op} ${p()} ESCAPE '\\')`, like, like, like, like);
    }
    let sql = `SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_ts DESC, id DESC`;
    if (f.limit !== undefined) {
      sql += ` LIMIT ${next()}`;
      params.push(f.limit);
    }
    return (await this.sql.query<CaseRow>(sql, params)).map(fromRow);
  }

  async changedSince(ts: number): Promise<CaseRecord[]> {
    return (await this.sql.query<CaseRow>('SELECT * FROM cases WHERE updated_ts >= $1 ORDER BY updated_ts, id', [ts])).map(fromRow);
  }

  async openForAlarm(alarmId: number, openStages: readonly CaseStage[]): Promise<CaseRecord | undefined> {
    const r = await this.sql.one<CaseRow>(`SELECT * FROM cases WHERE alarm_id = $1 AND stage IN (${list(openStages.length, 2)}) ORDER BY id DESC LIMIT 1`, [alarmId, ...openStages]);
    return r && fromRow(r);
  }

  async addTimeline(e: Omit<TimelineEntry, 'id'>): Promise<number> {
    const row = await this.sql.one<{ id: number }>('INSERT INTO case_timeline (case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
      [e.caseId, e.ts, e.actor, e.actorRole, e.action, e.fromStage, e.toStage, e.note, e.data === null ? null : JSON.stringify(e.data)]);
    return row!.id;
  }

  async timeline(caseId: number): Promise<TimelineEntry[]> {
    return (await this.sql.query<TimelineRow>('SELECT * FROM case_timeline WHERE case_id = $1 ORDER BY id', [caseId])).map(timelineFromRow);
  }

  async addPhoto(p: PhotoRecord): Promise<void> {
    await this.sql.exec('INSERT INTO case_photos (id, case_id, phase, file, content_type, bytes, ts, by, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [p.id, p.caseId, p.phase, p.file, p.contentType, p.bytes, p.ts, p.by, p.idempotencyKey ?? null]);
  }

  async photos(caseId: number): Promise<PhotoRecord[]> {
    return (await this.sql.query<PhotoRow>('SELECT * FROM case_photos WHERE case_id = $1 ORDER BY ts, id', [caseId])).map(photoFromRow);
  }

  async photo(caseId: number, photoId: string): Promise<PhotoRecord | undefined> {
    const r = await this.sql.one<PhotoRow>('SELECT * FROM case_photos WHERE case_id = $1 AND id = $2', [caseId, photoId]);
    return r && photoFromRow(r);
  }

  async photoByKey(caseId: number, idempotencyKey: string): Promise<PhotoRecord | undefined> {
    const r = await this.sql.one<PhotoRow>('SELECT * FROM case_photos WHERE case_id = $1 AND idempotency_key = $2', [caseId, idempotencyKey]);
    return r && photoFromRow(r);
  }

  /** Feedback entries naming this unit, fromTs ≤ ts < toTs, oldest first. */
  async unitFeedbacks(unitId: string, fromTs: number, toTs: number): Promise<UnitFeedbackRecord[]> {
    const rows = await this.sql.query<Pick<TimelineRow, 'case_id' | 'ts' | 'actor' | 'note' | 'data'>>(
      `SELECT case_id, ts, actor, note, data FROM case_timeline WHERE action = 'feedback' AND ts >= $1 AND ts < $2 AND ${this.dataUnitId()} = $3 ORDER BY ts, id`,
      [fromTs, toTs, unitId],
    );
    return rows.map((r) => {
      const ids = r.data === null ? undefined : (JSON.parse(r.data) as { photoIds?: unknown }).photoIds;
      return { caseId: r.case_id, ts: r.ts, actor: r.actor, note: r.note, photoIds: Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [] };
    });
  }

  /** Whether the case was ever dispatched or reassigned to this unit. */
  async everAssigned(caseId: number, unitId: string): Promise<boolean> {
    return (await this.sql.one(`SELECT 1 AS hit FROM case_timeline WHERE case_id = $1 AND action IN ('dispatch', 'reassign') AND ${this.dataUnitId()} = $2 LIMIT 1`, [caseId, unitId])) !== undefined;
  }

  async addRequest(caseId: number, kind: CaseRequestKind, reason: string, days: number | null, by: string, ts: number): Promise<number> {
    const row = await this.sql.one<{ id: number }>("INSERT INTO case_requests (case_id, kind, reason, days, requested_by, requested_ts, state, version) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1) RETURNING id",
      [caseId, kind, reason, days, by, ts]);
    return row!.id;
  }

  async requests(caseId: number): Promise<CaseRequest[]> {
    return (await this.sql.query<RequestRow>('SELECT * FROM case_requests WHERE case_id = $1 ORDER BY id', [caseId])).map(requestFromRow);
  }

  async request(caseId: number, requestId: number): Promise<CaseRequest | undefined> {
    const r = await this.sql.one<RequestRow>('SELECT * FROM case_requests WHERE case_id = $1 AND id = $2', [caseId, requestId]);
    return r && requestFromRow(r);
  }

  async decideRequest(requestId: number, approve: boolean, by: string, ts: number, note: string | null): Promise<boolean> {
    return (await this.sql.exec("UPDATE case_requests SET state = $1, decided_by = $2, decided_ts = $3, decision_note = $4, version = version + 1 WHERE id = $5 AND state = 'pending'",
      [approve ? 'approved' : 'rejected', by, ts, note, requestId])).changes === 1;
  }

  async setEvaluation(caseId: number, ev: EvaluationRecord): Promise<void> {
    await this.sql.exec('INSERT INTO case_evaluations (case_id, score, comment, by, ts) VALUES ($1, $2, $3, $4, $5)', [caseId, ev.score, ev.comment, ev.by, ev.ts]);
  }

  async evaluation(caseId: number): Promise<EvaluationRecord | null> {
    return (await this.sql.one<{ score: number; comment: string | null; by: string; ts: number }>('SELECT score, comment, by, ts FROM case_evaluations WHERE case_id = $1', [caseId])) ?? null;
  }

  /** The timeline entry's data.unitId: SQLite's JSON function, PostgreSQL's operator on the TEXT column cast to jsonb. */
  private dataUnitId(): string {
    return this.sql.dialect === 'postgres' ? "(data::jsonb ->> 'unitId')" : "json_extract(data, '$.unitId')";
  }
}

const photoFromRow = (r: PhotoRow): PhotoRecord => ({ id: r.id, caseId: r.case_id, phase: r.phase, file: r.file, contentType: r.content_type, bytes: r.bytes, ts: r.ts, by: r.by, idempotencyKey: r.idempotency_key });
