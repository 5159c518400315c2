/**
 * The cases and alarms a replay window shows: every case open at some instant of the window
 * (with the stages it went through, from its timeline) and every alarm active at some instant
 * of it. A read model over the cases' and alarms' own tables, on the asynchronous store layer,
 * with its own SQL (it reads what the cases and alarms modules write); it writes nothing.
 */
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseStage, TimelineEntry } from '../../shared/cases.ts';
import type { ReplayAlarm, ReplayCase, ReplayIncidents } from '../../shared/replay-stream.ts';
import type { SqlExecutor } from '../store/sql/types.ts';

/** More than this many cases in one window is not a film anyone watches: the oldest are kept. */
const MAX_CASES = 5000;
const MAX_ALARMS = 20_000;

type CaseRow = { id: number; code: string; title: string; lon: number; lat: number; street_code: string; emergency: number; created_ts: number; closed_ts: number | null };
type AlarmRow = { id: number; type: Alarm['type']; severity: Alarm['severity']; entity_id: string; entity_name: string; lon: number | null; lat: number | null; start_ts: number; end_ts: number | null; case_id: number | null };
type TimelineRow = { id: number; case_id: number; ts: number; actor: string; actor_role: string; action: TimelineEntry['action']; from_stage: CaseStage | null; to_stage: CaseStage | null; note: string | null; data: string | null };

/** Open at some instant of [from, to]: reported by `to` ($1), and not closed (or voided) before `from` ($2). */
const CASES_OPEN = `SELECT id, code, title, lon, lat, street_code, emergency, created_ts, closed_ts FROM cases
  WHERE created_ts <= $1 AND (closed_ts >= $2 OR (closed_ts IS NULL AND (stage <> 'voided' OR updated_ts >= $2)))
  ORDER BY created_ts, id LIMIT $3`;

const SQL = {
  cases: CASES_OPEN,
  // The stage steps of those same cases, in one statement rather than one per case.
  stages: `SELECT case_id, ts, to_stage FROM case_timeline WHERE to_stage IS NOT NULL AND case_id IN (SELECT id FROM (${CASES_OPEN}) w) ORDER BY case_id, id`,
  // Active at some instant: raised by `to` and cleared at or after `from` (a cleared alarm's last update is its clearing).
  alarms: `SELECT id, type, severity, entity_id, entity_name, lon, lat, start_ts, end_ts, case_id FROM alarms
    WHERE start_ts <= $1 AND (active = 1 OR end_ts >= $2) ORDER BY start_ts, id LIMIT $3`,
  timeline: 'SELECT id, case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data FROM case_timeline WHERE case_id = $1 ORDER BY id',
} as const;

export class ReplayIncidentSource {
  constructor(private readonly sql: SqlExecutor) {}

  async window(from: number, to: number): Promise<ReplayIncidents> {
    const rows = await this.sql.query<CaseRow>(SQL.cases, [to, from, MAX_CASES]);
    const steps = new Map<number, { ts: number; toStage: CaseStage | null }[]>();
    for (const s of await this.sql.query<{ case_id: number; ts: number; to_stage: CaseStage }>(SQL.stages, [to, from, MAX_CASES])) {
      let list = steps.get(s.case_id);
      if (!list) steps.set(s.case_id, (list = []));
      list.push({ ts: s.ts, toStage: s.to_stage });
    }
    const cases: ReplayCase[] = rows.map((r) => ({
      id: r.id, code: r.code, title: r.title, lon: r.lon, lat: r.lat, streetCode: r.street_code, emergency: r.emergency === 1,
      createdTs: r.created_ts, closedTs: r.closed_ts, stages: stagesOf(steps.get(r.id) ?? []),
    }));
    const alarms: ReplayAlarm[] = (await this.sql.query<AlarmRow>(SQL.alarms, [to, from, MAX_ALARMS])).map((r) => ({
      id: r.id, type: r.type, severity: r.severity, entityId: r.entity_id, entityName: r.entity_name, lon: r.lon, lat: r.lat,
      startTs: r.start_ts, endTs: r.end_ts, caseId: r.case_id,
    }));
    return { cases, alarms };
  }

  async timeline(caseId: number): Promise<TimelineEntry[]> {
    return (await this.sql.query<TimelineRow>(SQL.timeline, [caseId])).map((r) => ({
      id: r.id, caseId: r.case_id, ts: r.ts, actor: r.actor, actorRole: r.actor_role, action: r.action,
      fromStage: r.from_stage, toStage: r.to_stage, note: r.note, data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
    }));
  }
}

/** The stage entered at each step that changed it, in time order. */
export function stagesOf(timeline: readonly Pick<TimelineEntry, 'ts' | 'toStage'>[]): [number, CaseStage][] {
  const out: [number, CaseStage][] = [];
  for (const e of timeline) {
    if (e.toStage !== null && e.toStage !== out[out.length - 1]?.[1]) out.push([e.ts, e.toStage]);
  }
  return out;
}
