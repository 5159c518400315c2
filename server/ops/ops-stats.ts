/** Today's operations figures for the wall: cases by source and stage, 7123 compliance, alarms, units. */
import { ALARM_SEVERITIES, type Alarm } from '../../shared/alarms.ts';
import { CASE_SOURCES, CASE_STAGES, type CaseSummary } from '../../shared/cases.ts';
import { UNIT_STATUSES, type UnitStatus } from '../../shared/dispatch.ts';
import { localDate } from '../../shared/local-time.ts';
import type { OpsStats } from '../../shared/ops.ts';
import type { SlaClock } from '../../shared/sla.ts';

const zeroes = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** Met/breached clocks count for the day they ended; open ones (running, warned, paused, overdue) as running. */
function tally(into: { met: number; breached: number; running: number }, c: SlaClock, today: string, tz: string): void {
  if (c.endTs === null) {
    into.running++;
  } else if (localDate(c.endTs, tz) === today) {
    if (c.state === 'met') into.met++;
    else if (c.state === 'breached') into.breached++;
  }
}

export function computeOpsStats(
  now: number, timeZone: string, cases: Iterable<CaseSummary>, alarms: Iterable<Alarm>, unitsByStatus: Partial<Record<UnitStatus, number>>,
): OpsStats {
  const day = localDate(now, timeZone);
  const s: OpsStats = {
    ts: now, day, casesToday: 0, bySource: zeroes(CASE_SOURCES), byStage: zeroes(CASE_STAGES),
    arrival: { met: 0, breached: 0, running: 0 }, closure: { met: 0, breached: 0, running: 0 },
    activeAlarms: 0, activeAlarmsBySeverity: zeroes(ALARM_SEVERITIES), unitsByStatus: { ...zeroes(UNIT_STATUSES), ...unitsByStatus },
  };
  for (const c of cases) {
    if (localDate(c.createdTs, timeZone) === day) {
      s.casesToday++;
      s.bySource[c.source]++;
      s.byStage[c.stage]++;
    }
    for (const clock of c.clocks) tally(clock.kind === 'arrival' ? s.arrival : s.closure, clock, day, timeZone);
  }
  for (const a of alarms) {
    if (!a.active) continue;
    s.activeAlarms++;
    s.activeAlarmsBySeverity[a.severity]++;
  }
  return s;
}
