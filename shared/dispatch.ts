/**
 * Dispatch (派遣): units — field staff and sanitation vehicles — with CAD statuses, the
 * nearest-unit recommendation by road ETA, and the 7-minute coverage of the road network.
 */
import type { LonLat } from './geojson.ts';

export const UNIT_STATUSES = ['available', 'dispatched', 'enRoute', 'onScene', 'returning', 'busy', 'offDuty', 'offline'] as const;
/** available 可派 · dispatched 已派 · enRoute 途中 · onScene 到场 · returning 返回 · busy 作业中 · offDuty 下班 · offline 离线 */
export type UnitStatus = (typeof UNIT_STATUSES)[number];

/** Statuses that may take a new task. */
export const AVAILABLE_STATUSES: readonly UnitStatus[] = ['available', 'returning'];

/** Skills a unit brings; taxonomy items name the skills they need. */
export const UNIT_SKILLS = ['enforcement', 'cleaning', 'patrol', 'collection', 'roadCleaning', 'watering'] as const;
export type UnitSkill = (typeof UNIT_SKILLS)[number];

export interface UnitState {
  /** The live entity id (staff or vehicle). */
  entityId: string;
  kind: 'staff' | 'vehicle';
  name: string;
  orgCode: string;
  gridId: string;
  skills: UnitSkill[];
  status: UnitStatus;
  /** Since when in this status, ms. */
  since: number;
  caseId: number | null;
  /** Time-in-status warning, e.g. "dispatched 4 min without moving". */
  warning: string | null;
  version: number;
}

export type RecommendationReason =
  /** fastest by road ETA among the candidates */
  | 'closestByRoad'
  /** works the case's grid */
  | 'inGrid'
  /** belongs to the case's street */
  | 'inStreet'
  /** has a skill the case item needs */
  | 'rightSkills'
  /** the position is older than the stale limit: the ETA may be wrong */
  | 'stalePosition'
  /** can be there within the 7-minute target */
  | 'within7Min'
  /** returning from another task */
  | 'returning';

export interface UnitRecommendation {
  entityId: string;
  name: string;
  kind: 'staff' | 'vehicle';
  status: UnitStatus;
  /** Road ETA, seconds (travel time over the road graph by road class and the unit's mode). */
  etaS: number;
  roadDistanceM: number;
  straightDistanceM: number;
  /** Age of the position the ETA starts from, seconds. */
  positionAgeS: number;
  stale: boolean;
  reasons: RecommendationReason[];
  /** Road route to the case, [lon, lat] pairs. */
  route: LonLat[];
  rank: number;
}

/** GET /api/cases/{id}/recommendations */
export interface RecommendationList {
  caseId: number;
  /** No available unit has a skill the case's item asks for: every available unit was ranked instead. */
  skillFallback: boolean;
  units: UnitRecommendation[];
}

/** GET /api/coverage: the road network split into what some available unit reaches within the target and what none does. */
export interface CoverageResult {
  computedTs: number;
  targetS: number;
  unitsConsidered: number;
  /** Share of road length covered, 0..1 */
  coveredShare: number;
  coveredKm: number;
  totalKm: number;
  /** MultiLineString coordinates of covered and uncovered road edges. */
  covered: LonLat[][];
  gaps: LonLat[][];
}
