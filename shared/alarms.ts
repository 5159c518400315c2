/**
 * Alarms (告警), ThingsBoard-like: raised by server rules over the change stream, one active
 * alarm per originator (entity) and type, updated rather than duplicated, cleared when the
 * condition ends. Thresholds are configuration an admin reads and changes (AlarmSettings).
 */
import type { EntityKind } from './entities.ts';

export const ALARM_TYPES = [
  /** bin ≥ 80 % (warning) · 果皮箱/垃圾桶满溢预警 */
  'binFull',
  /** bin ≥ 95 % · 满溢 */
  'binOverflow',
  /** NH₃ over the GB/T 17217 class limit */
  'toiletNh3',
  /** H₂S over 0.01 mg/m³ */
  'toiletH2s',
  /** not cleaned for longer than the configured interval while open */
  'toiletCleaningOverdue',
  /** muck truck off its permitted corridor · 偏离路线 */
  'muckOffRoute',
  /** lid not sealed while moving · 未密闭 */
  'muckLidOpen',
  /** moving outside the permitted hours · 超时段 */
  'muckOutsideHours',
  'muckSpeeding',
  /** inside a restricted zone · 禁区 */
  'muckRestrictedZone',
  /** sanitation vehicle working faster than its working speed */
  'vehicleOverspeed',
  /** sanitation vehicle working in banned hours (rush hours) */
  'vehicleBannedHours',
  /** staff SOS · 一键求助 */
  'staffSos',
  /** staff outside the assigned grid · 越界 */
  'staffOutOfGrid',
  /** staff on shift away from post for too long · 脱岗 */
  'staffOffPost',
  /** any device silent past its offline threshold · 离线 */
  'deviceOffline',
  /** the driver of a vehicle or muck truck pressed the terminal's emergency button (JT/T 808 alarm bit 0) · 司机一键报警 */
  'driverSos',
] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

export function isAlarmType(v: unknown): v is AlarmType {
  return typeof v === 'string' && (ALARM_TYPES as readonly string[]).includes(v);
}

/** ThingsBoard's ladder; the wall colours critical/major red, minor amber, warning yellow. */
export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

export interface Alarm {
  id: number;
  type: AlarmType;
  severity: AlarmSeverity;
  /** The originator: an entity of the live state. */
  entityId: string;
  entityKind: EntityKind;
  entityName: string;
  /** 9-digit street code of the originator */
  orgCode: string;
  gridId: string;
  /** Where it happened (the originator's position or site when raised / last updated). */
  lon: number | null;
  lat: number | null;
  startTs: number;
  updateTs: number;
  /** Set when cleared. */
  endTs: number | null;
  active: boolean;
  ackBy: string | null;
  ackTs: number | null;
  /** Who cleared it: 'system' when the condition ended, else the user. */
  clearedBy: string | null;
  /** Human-readable detail with the measured value, e.g. "fill 97 % ≥ 95 %". */
  detail: string;
  /** The measured value behind the alarm, when there is one. */
  value: number | null;
  /** The case opened for it (未诉先办), if any. */
  caseId: number | null;
  /** Row version: bumps on every change (optimistic concurrency, stream ordering). */
  version: number;
}

/** Rule thresholds and policies; defaults from DOMAIN.md. Read and changed over /api/alarm-settings (admin). */
export interface AlarmSettings {
  binFullPct: number;
  binOverflowPct: number;
  /** NH₃ limits per GB/T 17217 toilet class, mg/m³ */
  nh3LimitMgM3: { I: number; II: number; III: number };
  h2sLimitMgM3: number;
  /** An open toilet not cleaned for this long raises toiletCleaningOverdue. */
  toiletCleaningOverdueH: number;
  /** Off-route tolerance when a permit gives none, metres (a permit's own corridorM wins). */
  muckCorridorM: number;
  /** Off-route must last this long before the alarm is raised, minutes (tier 1: major); tier 2 (critical) after muckOffRouteCriticalMin. */
  muckOffRouteMin: number;
  muckOffRouteCriticalMin: number;
  /** Moving faster than this with the lid unsealed is a violation, km/h. */
  muckLidOpenMaxKph: number;
  muckSpeedLimitKph: number;
  /** Below this a truck counts as stopped (outside-hours and lid rules need motion), km/h. */
  movingKph: number;
  /** Local time windows "HH:MM-HH:MM" in which sanitation vehicles may not work (rush hours). */
  vehicleBannedHours: string[];
  /** Allowed distance outside the assigned grid before it counts, metres, and for how long, minutes. */
  staffOutOfGridM: number;
  staffOutOfGridMin: number;
  /** On shift and out of the assigned area (or silent) for this long: off post, minutes. */
  staffOffPostMin: number;
  /** Kinds whose silence raises deviceOffline. */
  offlineAlarmKinds: EntityKind[];
  /** Flapping damper: a cleared condition must stay clear this long before the alarm clears, seconds. */
  clearHoldS: number;
  /** Severity per type. */
  severity: Record<AlarmType, AlarmSeverity>;
  /** 未诉先办: alarm types that open a case by themselves when raised. */
  autoCase: AlarmType[];
}

export interface AlarmQuery {
  active?: boolean;
  type?: AlarmType;
  street?: string;
  entityId?: string;
  since?: number;
  limit?: number;
}
