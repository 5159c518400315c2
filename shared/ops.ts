/**
 * Operations on the live stream: cases, alarms and engaged units reach every screen with
 * the same version/resync discipline as entities — a snapshot on (re)connect, then each tick
 * only what changed since the version the screen holds (latest value wins).
 */
import type { Alarm } from './alarms.ts';
import type { CaseSource, CaseStage, CaseSummary } from './cases.ts';
import type { UnitState, UnitStatus } from './dispatch.ts';

/** Today's figures for the wall (district local day). */
export interface OpsStats {
  ts: number;
  /** Local date 'YYYY-MM-DD' the figures are for. */
  day: string;
  casesToday: number;
  bySource: Record<CaseSource, number>;
  byStage: Record<CaseStage, number>;
  /** 7123 compliance today. */
  arrival: { met: number; breached: number; running: number };
  closure: { met: number; breached: number; running: number };
  activeAlarms: number;
  activeAlarmsBySeverity: Record<'critical' | 'major' | 'minor' | 'warning', number>;
  unitsByStatus: Record<UnitStatus, number>;
}

export interface OpsSnapshot {
  version: number;
  /** Open cases and those closed or voided in the last 24 h. */
  cases: CaseSummary[];
  /** Active alarms and those cleared in the last hour. */
  alarms: Alarm[];
  /** Units that are not simply available or off duty (dispatched, en route, on scene, returning, busy). */
  units: UnitState[];
  stats: OpsStats;
}

export interface OpsDelta {
  version: number;
  baseVersion: number;
  cases: CaseSummary[];
  alarms: Alarm[];
  units: UnitState[];
  /** Ids that left the window of the snapshot (closed long ago, cleared long ago, back to available). */
  removed: { cases: number[]; alarms: number[]; units: string[] };
  stats: OpsStats;
}
