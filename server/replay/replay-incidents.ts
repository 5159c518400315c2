/**
 * The cases and alarms a replay window shows: every case open at some instant of the window
 * (with the stages it went through, from its timeline) and every alarm active at some instant
 * of it. A read model over the cases' and alarms' own tables; it writes nothing.
 */
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseStage, TimelineEntry } from '../../shared/cases.ts';
import type { ReplayAlarm, ReplayCase, ReplayIncidents } from '../../shared/replay-stream.ts';
import type { Db } from '../store/database.ts';
import { timelineFromRow, type TimelineRow } from '../cases/cases-repo.ts';

/** More than this many cases in one window is not a film anyone watches: the oldest are kept. */
const MAX_CASES = 5000;
const MAX_ALARMS = 20_000;

interface CaseRow { id: number; code: string; title: string; lon: number; lat: number; street_code: string; emergency: number; created_ts: number; closed_ts: number | null }
interface AlarmRow { id: number; type: Alarm['type']; severity: Alarm['severity']; entity_id: string; entity_name: string; lon: number | null; lat: number | null; start_ts: number; end_ts: number | null; case_id: number | null }

export class ReplayIncidentSource {
  private readonly q;

  // Still on the better-sqlite3 handle (its conversion is the history readers' part); the timeline's rows are read as the cases repository reads them.
  constructor(db: Db) {
    this.q = {
      timeline: db.prepare<[number], TimelineRow>('SELECT * FROM case_timeline WHERE case_id = ? ORDER BY id'),
      // Open at some instant of [from, to]: reported by `to`, and not closed (or voided) before `from`.
      cases: db.prepare<[number, number, number, number], CaseRow>(`SELECT id, code, title, lon, lat, street_code, emergency, created_ts, closed_ts FROM cases
        WHERE created_ts <= ? AND (closed_ts >= ? OR (closed_ts IS NULL AND (stage <> 'voided' OR updated_ts >= ?)))
        ORDER BY created_ts, id LIMIT ?`),
      // Active at some instant: raised by `to` and cleared at or after `from` (a cleared alarm's last update is its clearing).
      alarms: db.prepare<[number, number, number], AlarmRow>(`SELECT id, type, severity, entity_id, entity_name, lon, lat, start_ts, end_ts, case_id FROM alarms
        WHERE start_ts <= ? AND (active = 1 OR end_ts >= ?) ORDER BY start_ts, id LIMIT ?`),
    };
  }

  window(from: number, to: number): ReplayIncidents {
    const cases: ReplayCase[] = this.q.cases.all(to, from, from, MAX_CASES).map((r) => ({
      id: r.id, code: r.code, title: r.title, lon: r.lon, lat: r.lat, streetCode: r.street_code, emergency: r.emergency === 1,
      createdTs: r.created_ts, closedTs: r.closed_ts, stages: stagesOf(this.timeline(r.id)),
    }));
    const alarms: ReplayAlarm[] = this.q.alarms.all(to, from, MAX_ALARMS).map((r) => ({
      id: r.id, type: r.type, severity: r.severity, entityId: r.entity_id, entityName: r.entity_name, lon: r.lon, lat: r.lat,
      startTs: r.start_ts, endTs: r.end_ts, caseId: r.case_id,
    }));
    return { cases, alarms };
  }

  timeline(caseId: number): TimelineEntry[] {
    return this.q.timeline.all(caseId).map(timelineFromRow);
  }
}

/** The stage entered at each step that changed it, in time order. */
export function stagesOf(timeline: readonly TimelineEntry[]): [number, CaseStage][] {
  const out: [number, CaseStage][] = [];
  for (const e of timeline) {
    if (e.toStage !== null && e.toStage !== out[out.length - 1]?.[1]) out.push([e.ts, e.toStage]);
  }
  return out;
}
