/**
 * What a unit is, derived from the live state: every staff member (on foot or e-bike) and
 * every sanitation vehicle. Skills come from the staff role or the vehicle type; the status
 * comes from the live state unless a case engages the unit (server/dispatch/units-repo.ts).
 */
import type { UnitSkill, UnitState, UnitStatus } from '../../shared/dispatch.ts';
import type { StaffRole, VehicleType } from '../../shared/entities.ts';
import { distanceM } from '../../shared/geo.ts';
import type { UnitMode } from '../district/travel-time.ts';
import type { LiveEntity } from '../live/live-state.ts';
import type { EngagementRow } from './units-repo.ts';

export type UnitEntity = Extract<LiveEntity, { kind: 'staff' | 'vehicle' }>;

export function isUnitEntity(e: LiveEntity | undefined): e is UnitEntity {
  return e !== undefined && (e.kind === 'staff' || e.kind === 'vehicle');
}

const STAFF_SKILLS: Record<StaffRole, UnitSkill[]> = {
  enforcer: ['enforcement', 'patrol'],
  cleaner: ['cleaning'],
  roadChief: ['patrol'],
};

const VEHICLE_SKILLS: Record<VehicleType, UnitSkill[]> = {
  compactor: ['collection'],
  sweeper: ['roadCleaning'],
  washer: ['roadCleaning'],
  sprinkler: ['watering'],
};

export function skillsOf(e: UnitEntity): UnitSkill[] {
  return e.kind === 'staff' ? STAFF_SKILLS[e.attrs.role] ?? [] : VEHICLE_SKILLS[e.attrs.vehicleType] ?? [];
}

export function modeOf(e: UnitEntity): UnitMode {
  return e.kind === 'staff' ? 'staff' : 'vehicle';
}

/** Engaged statuses: a case holds the unit. */
export const ENGAGED: ReadonlySet<UnitStatus> = new Set(['dispatched', 'enRoute', 'onScene']);

/**
 * The status from the live state alone. offline: the tracker went silent (its position cannot be
 * trusted for an ETA); offDuty: staff off shift, or a vehicle parked at its depot without a crew;
 * busy: a staff member raising SOS is the emergency, not the help.
 */
export function liveStatus(e: UnitEntity): UnitStatus {
  if (e.connectivity === 'offline') return 'offline';
  if (e.kind === 'staff') {
    if (e.attrs.sos === true || e.status === 'sos') return 'busy';
    if (e.attrs.onDuty === false || e.status === 'offDuty') return 'offDuty';
    return 'available';
  }
  return e.status === 'parked' ? 'offDuty' : 'available';
}

export interface WarningLimits {
  /** Dispatched or en route this long while still within notMovingM of where it was dispatched. */
  notMovingS: number;
  notMovingM: number;
  /** On scene this long. */
  onSceneS: number;
}

/** The time-in-status warning (e.g. "dispatched 4 min without moving"), or null. */
export function statusWarning(e: UnitEntity, row: EngagementRow | undefined, now: number, limits: WarningLimits): string | null {
  if (!row || row.status === 'available') return null;
  const minutes = Math.floor((now - row.since) / 60_000);
  if ((row.status === 'dispatched' || row.status === 'enRoute') && now - row.since >= limits.notMovingS * 1000 && e.pos && row.originLon !== null && row.originLat !== null) {
    if (distanceM(row.originLon, row.originLat, e.pos.lon, e.pos.lat) < limits.notMovingM) return `${row.status === 'dispatched' ? 'dispatched' : 'en route'} ${minutes} min without moving`;
  }
  if (row.status === 'onScene' && now - row.since >= limits.onSceneS * 1000) return `on scene ${minutes} min`;
  return null;
}

/**
 * The unit as the API and the console see it. An engagement wins over the live status, except that an
 * engaged unit gone offline shows offline. `liveSince`: when its live status last changed, as seen.
 */
export function unitStateOf(e: UnitEntity, row: EngagementRow | undefined, now: number, limits: WarningLimits, liveSince = 0): UnitState {
  const live = liveStatus(e);
  const engaged = row !== undefined && row.status !== 'available';
  const status: UnitStatus = engaged && live !== 'offline' ? row.status : live;
  return {
    entityId: e.id,
    kind: e.kind,
    name: e.name,
    orgCode: e.orgCode,
    gridId: e.gridId,
    skills: skillsOf(e),
    status,
    since: engaged ? row.since : Math.max(liveSince, row?.since ?? 0),
    caseId: engaged ? row.caseId : null,
    warning: statusWarning(e, row, now, limits),
    version: row?.version ?? 0,
  };
}
