/**
 * Cases (案件) under GB/T 30428 digital city management:
 * 上报 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 → 评价, each step by a role, with the
 * exception paths (send back, extension, suspension 挂账, void 作废) that need an approval.
 * The taxonomy (部件/事件 classes and items, difficulty → deadline, department) is pack data.
 */
import type { LonLat } from './geojson.ts';
import type { SlaClock } from './sla.ts';
import type { AlarmType } from './alarms.ts';

/** The 9 sources of the brief. */
export const CASE_SOURCES = [
  /** 路长巡查 road-chief patrol */
  'roadChief',
  /** 监督员巡查 supervisor patrol */
  'supervisor',
  /** 12345 热线 */
  'hotline',
  /** 随手拍 citizen photo */
  'citizenPhoto',
  /** 视频AI识别 video AI */
  'videoAi',
  /** 物联感知 IoT alarm */
  'iotAlarm',
  /** 媒体曝光 media */
  'media',
  /** 领导交办 leader's instruction */
  'leader',
  /** 部门转办 department transfer */
  'deptTransfer',
] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** Workflow stages in order; `voided` ends a case outside the normal path. */
export const CASE_STAGES = [
  /** 上报 reported, not yet accepted */
  'reported',
  /** 立案 registered: a real case with a deadline */
  'registered',
  /** 派遣 dispatched to a unit / department */
  'dispatched',
  /** 处置 the unit is on it (accepted, en route, on scene) */
  'handling',
  /** 反馈 the unit reported it done, waiting for verification */
  'fedBack',
  /** 核查 verified on site by a supervisor */
  'verified',
  /** 结案 closed */
  'closed',
  /** 评价 evaluated */
  'evaluated',
  /** 作废 voided (approved) */
  'voided',
] as const;
export type CaseStage = (typeof CASE_STAGES)[number];

/** Open = still owed work. */
export const OPEN_STAGES: readonly CaseStage[] = ['reported', 'registered', 'dispatched', 'handling', 'fedBack', 'verified'];

/** 部件 component · 事件 event */
export type CaseCategory = 'component' | 'event';

/** small 简易 → 1 day · big 一般 → 2 days (with the community) · hard 疑难 → 3 days (with the street) */
export const CASE_DIFFICULTIES = ['small', 'big', 'hard'] as const;
export type CaseDifficulty = (typeof CASE_DIFFICULTIES)[number];

/** Case taxonomy, from the district pack (taxonomy.json). */
export interface TaxonomyItem {
  /** e.g. "01.01.001" style code: class.subclass.item */
  code: string;
  name: string;
  nameEn: string;
  category: CaseCategory;
  classCode: string;
  difficulty: CaseDifficulty;
  /** Department code responsible by default (departments in the pack). */
  deptCode: string;
  /** Needs face-to-face within 7 minutes (突发 / SOS / safety). */
  emergency: boolean;
  /** Unit skills that suit it (see shared/dispatch.ts UNIT_SKILLS). */
  skills: string[];
  /** On the road chiefs' checklist (20 classes / 142 items of problems visible from the road). */
  roadChecklist: boolean;
  keywords?: string[];
  /** Alarm types (shared/alarms.ts) whose auto-case (未诉先办) is filed under this item. */
  alarmTypes?: AlarmType[];
}

/** A finer group inside a class (class.subclass); the road chiefs' checklist is 20 of these. */
export interface TaxonomySubclass {
  /** "class.subclass", e.g. "01.01" */
  code: string;
  classCode: string;
  name: string;
  nameEn: string;
  /** Its items are on the road chiefs' checklist. */
  roadChecklist: boolean;
}

export interface TaxonomyClass {
  code: string;
  name: string;
  nameEn: string;
  category: CaseCategory;
}

export interface CaseTaxonomy {
  classes: TaxonomyClass[];
  /** Optional finer groups (the road chiefs' checklist groups); item codes start with their subclass code. */
  subclasses?: TaxonomySubclass[];
  items: TaxonomyItem[];
}

/** The 13 streets and the district departments cases are assigned to (organisations.json in the pack). */
export interface Organisation {
  code: string;
  name: string;
  nameEn: string;
  type: 'street' | 'department';
  /**
   * Departments only: its cases are assigned to the street where they happen (the city
   * management bureau's own sanitation and enforcement units work street by street).
   */
  streetLevel?: boolean;
}

export interface CaseLocation {
  lon: number;
  lat: number;
  /** Resolved from the point. */
  streetCode: string;
  communityCode: string | null;
  gridId: string | null;
  address: string | null;
}

export interface CasePhoto {
  id: string;
  /** before: with the report · after: with the feedback */
  phase: 'before' | 'after';
  url: string;
  contentType: string;
  bytes: number;
  ts: number;
  by: string;
}

/** The unit assignment of a case (派遣): who goes, the road route and its ETA. */
export interface CaseAssignment {
  unitId: string;
  unitName: string;
  dispatchedTs: number;
  /** Expected arrival, from the road ETA at dispatch time. */
  etaTs: number | null;
  /** Road route from the unit to the case at dispatch, [lon, lat] pairs. */
  route: LonLat[];
  arrivedTs: number | null;
  by: string;
}

export const CASE_ACTIONS = [
  'report', 'register', 'dispatch', 'reassign', 'release', 'accept', 'enRoute', 'arrive', 'feedback',
  'verifyPass', 'verifyFail', 'close', 'evaluate', 'escalate', 'note', 'photo',
  'requestSendBack', 'requestExtension', 'requestSuspension', 'requestVoid', 'approve', 'reject', 'resume',
  'clockWarning', 'clockBreach', 'clockMet',
  /** 评议: the citizen who reported it rates the result (Open311 rating extension) */
  'rate',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** One line of a case's audit timeline: who did what, when, from which stage to which. */
export interface TimelineEntry {
  id: number;
  caseId: number;
  ts: number;
  /** user name, unit id, 'system', or 'sim-duty-officer' for the simulated duty officer */
  actor: string;
  actorRole: string;
  action: CaseAction;
  fromStage: CaseStage | null;
  toStage: CaseStage | null;
  note: string | null;
  /** Action-specific facts (unit, ETA, position at arrival, escalation level…). */
  data: Record<string, unknown> | null;
}

export type CaseRequestKind = 'sendBack' | 'extension' | 'suspension' | 'void';

/** An exception that waits for approval. */
export interface CaseRequest {
  id: number;
  caseId: number;
  kind: CaseRequestKind;
  reason: string;
  /** extension only: days asked for */
  days: number | null;
  requestedBy: string;
  requestedTs: number;
  state: 'pending' | 'approved' | 'rejected';
  decidedBy: string | null;
  decidedTs: number | null;
}

/** What lists and the live stream carry. */
export interface CaseSummary {
  id: number;
  /** Human case number, e.g. LX-20261128-0042 */
  code: string;
  title: string;
  itemCode: string;
  category: CaseCategory;
  source: CaseSource;
  stage: CaseStage;
  /** 挂账: clocks paused */
  suspended: boolean;
  emergency: boolean;
  difficulty: CaseDifficulty;
  location: CaseLocation;
  /** Organisation responsible: a street code or a department code. */
  assignedOrg: string | null;
  assignment: CaseAssignment | null;
  alarmId: number | null;
  /** 0 none · 1 street notified · 2 department notified (吹哨) */
  escalationLevel: number;
  reportedBy: string;
  createdTs: number;
  updatedTs: number;
  closedTs: number | null;
  clocks: SlaClock[];
  /** Row version: a transition names the version it acts on; a stale one gets 409. */
  version: number;
}

export interface CaseDetail extends CaseSummary {
  description: string;
  photos: CasePhoto[];
  timeline: TimelineEntry[];
  requests: CaseRequest[];
  evaluation: { score: number; comment: string | null; by: string; ts: number } | null;
  /** 评议 by the citizen who reported it (Open311 rating extension): from the timeline's 'rate' entry; never names the citizen. */
  citizenRating: CitizenRating | null;
}

export interface CitizenRating { score: number; comment: string | null; ts: number }

/** A new case (上报). */
export interface NewCase {
  source: CaseSource;
  itemCode: string;
  title?: string;
  description?: string;
  lon: number;
  lat: number;
  address?: string;
  /** Emergency override (otherwise from the taxonomy item). */
  emergency?: boolean;
  alarmId?: number;
  /** Register at once (立案) — IoT alarms and the duty desk's own cases. */
  register?: boolean;
}
