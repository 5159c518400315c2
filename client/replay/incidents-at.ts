/**
 * What the replayed district looked like in cases and alarms at one instant, and the marks
 * the slider shows: pure functions of the incidents a replay stream carries.
 */
import { OPEN_STAGES, type CaseStage } from '../../shared/cases.ts';
import type { ReplayAlarm, ReplayCase, ReplayIncidents } from '../../shared/replay-stream.ts';

/** The stage a case was in at `t`, or null before its report. */
export function stageAt(c: ReplayCase, t: number): CaseStage | null {
  if (t < c.createdTs) return null;
  let stage: CaseStage = 'reported';
  for (const [ts, s] of c.stages) {
    if (ts > t) break;
    stage = s;
  }
  if (c.closedTs !== null && t >= c.closedTs && OPEN_STAGES.includes(stage)) stage = 'closed';
  return stage;
}

export function openCasesAt(cases: readonly ReplayCase[], t: number): { c: ReplayCase; stage: CaseStage }[] {
  const out: { c: ReplayCase; stage: CaseStage }[] = [];
  for (const c of cases) {
    const stage = stageAt(c, t);
    if (stage !== null && OPEN_STAGES.includes(stage)) out.push({ c, stage });
  }
  return out;
}

export function activeAlarmsAt(alarms: readonly ReplayAlarm[], t: number): ReplayAlarm[] {
  return alarms.filter((a) => a.startTs <= t && (a.endTs === null || t < a.endTs));
}

export interface ReplayMark {
  t: number;
  what: 'caseReported' | 'caseClosed' | 'alarm';
  /** Case id (case marks) or alarm id. */
  id: number;
  label: string;
  /** An emergency case or a critical/major alarm: drawn taller. */
  urgent: boolean;
}

/** Marks inside [from, to], in time order: case reports and closes, alarms raised. */
export function replayMarks(incidents: ReplayIncidents, from: number, to: number): ReplayMark[] {
  const out: ReplayMark[] = [];
  const inside = (t: number | null): t is number => t !== null && t >= from && t <= to;
  for (const c of incidents.cases) {
    if (inside(c.createdTs)) out.push({ t: c.createdTs, what: 'caseReported', id: c.id, label: `${c.code} ${c.title}`, urgent: c.emergency });
    if (inside(c.closedTs)) out.push({ t: c.closedTs, what: 'caseClosed', id: c.id, label: `${c.code} ${c.title}`, urgent: false });
  }
  for (const a of incidents.alarms) {
    if (inside(a.startTs)) out.push({ t: a.startTs, what: 'alarm', id: a.id, label: `${a.entityName} ${a.type}`, urgent: a.severity === 'critical' || a.severity === 'major' });
  }
  return out.sort((a, b) => a.t - b.t || a.id - b.id);
}
