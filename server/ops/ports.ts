/**
 * The ports between the operations modules. Each module implements its port and is handed
 * the others' ports when the app is built (server/app.ts), so cases, SLA clocks, dispatch,
 * alarms and the simulator are written and tested apart and meet only here.
 *
 * Errors: a refused action throws HttpError (server/http-error.ts) — 404 not_found,
 * 409 invalid_transition (with the reason) or 409 conflict (a stale version: someone else
 * acted first), 400 bad_request — so routes pass them through unchanged.
 */
import type { Alarm, AlarmSettings } from '../../shared/alarms.ts';
import type {
  CaseAction, CaseAssignment, CaseDetail, CaseRequestKind, CaseSummary, NewCase, Organisation, CaseTaxonomy, TaxonomyItem,
} from '../../shared/cases.ts';
import type { UnitRecommendation, UnitState } from '../../shared/dispatch.ts';
import type { SlaClock } from '../../shared/sla.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import type { UnitOfWork } from '../store/sql/unit-of-work.ts';

/** Who acts: a user (name + role), a unit's crew, the system, or the simulated duty officer. */
export interface Actor {
  name: string;
  /** 'dispatcher' | 'leader' | 'admin' | 'field' (a unit's crew) | 'system' | 'sim' | 'citizen' (through Open311) */
  role: string;
}

export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'system' };
/** The simulated duty officer is named as such in every timeline (SIM_DUTY_OFFICER=auto). */
export const SIM_DUTY_OFFICER: Actor = { name: 'sim-duty-officer', role: 'sim' };

/**
 * Implemented by server/cases. Asynchronous: the cases live in the SQL store. A write given the
 * caller's unit of work (`uow`) joins its transaction and announces its events once that one
 * commits; the case it answers is then read inside that transaction.
 */
export interface CasesPort {
  taxonomy(): CaseTaxonomy;
  item(code: string): TaxonomyItem | undefined;
  organisations(): Organisation[];
  get(caseId: number): Promise<CaseSummary | undefined>;
  detail(caseId: number): Promise<CaseDetail | undefined>;
  /** Open cases (OPEN_STAGES), for the duty officer, SLA restart and the ops stream. */
  openCases(): Promise<CaseSummary[]>;
  /** Cases changed since a time (closed or voided included), for the ops window. */
  changedSince(ts: number): Promise<CaseSummary[]>;
  /** 上报 (and 立案 when `register`): resolves street/community/grid from the point; a point outside the district is refused (400). */
  report(input: NewCase, actor: Actor, uow?: UnitOfWork): Promise<CaseDetail>;
  /** Workflow steps that are not dispatch: register, verifyPass, verifyFail, close, evaluate, note. `version` guards against races (409). */
  transition(caseId: number, action: CaseAction, actor: Actor, opts: { version?: number; note?: string; score?: number; itemCode?: string }): Promise<CaseDetail>;
  /** 派遣 (or reassign when the case already has a unit): stage → dispatched, with the assignment. */
  dispatch(caseId: number, assignment: CaseAssignment, actor: Actor, opts: { version?: number; reassign?: boolean; note?: string; uow?: UnitOfWork }): Promise<CaseDetail>;
  /** The unit is taken off the case: back to registered (awaiting dispatch). */
  release(caseId: number, actor: Actor, opts: { version?: number; note?: string; uow?: UnitOfWork }): Promise<CaseDetail>;
  /** The crew's steps: accept, enRoute, arrive (arrive records arrivedTs and the position; stage → handling). */
  unitStep(caseId: number, step: 'accept' | 'enRoute' | 'arrive', actor: Actor, data?: Record<string, unknown>, uow?: UnitOfWork): Promise<CaseDetail>;
  /** 反馈: the crew reports it done with a note and after-photos; stage → fedBack. */
  feedback(caseId: number, actor: Actor, opts: { note: string; photoIds?: string[]; unitId?: string; uow?: UnitOfWork }): Promise<CaseDetail>;
  /** The cases a unit reported done (反馈) with fromTs ≤ feedback time < toTs, oldest first, each with who filed it. */
  fedBackBy(unitId: string, fromTs: number, toTs: number): Promise<{ summary: CaseSummary; fedBackTs: number; by: string; note: string | null; photos: number }[]>;
  /** Exception paths: ask, then approve/reject. */
  request(caseId: number, kind: CaseRequestKind, actor: Actor, opts: { reason: string; days?: number; version?: number }): Promise<CaseDetail>;
  decide(caseId: number, requestId: number, approve: boolean, actor: Actor, note?: string): Promise<CaseDetail>;
  /** 评议: the reporting citizen's score 1–5 (role 'citizen'), once, from closed (→ evaluated) or evaluated. */
  rate(caseId: number, score: number, comment: string | null, actor: Actor): Promise<CaseDetail>;
  /** Records a photo already saved by PhotoFiles (its file is durable); the workflow decides whether the actor may. */
  addPhoto(caseId: number, photo: { id: string; phase: 'before' | 'after'; file: string; contentType: string; bytes: number }, actor: Actor, uow?: UnitOfWork): Promise<CaseDetail>;
  /** A timeline entry written by the system (SLA warnings and breaches, escalations). */
  appendSystem(caseId: number, action: CaseAction, note: string, data?: Record<string, unknown>, at?: number, uow?: UnitOfWork): Promise<void>;
  /** 吹哨: raise the escalation level (1 street, 2 department) and name who was notified. */
  escalate(caseId: number, level: number, notified: string, at: number, actor?: Actor, uow?: UnitOfWork): Promise<void>;
  /** The case opened for an alarm (未诉先办), linked both ways. */
  openForAlarm(alarm: Alarm, uow?: UnitOfWork): Promise<CaseDetail | null>;
}

/** Implemented by server/sla. */
export interface SlaPort {
  clocksFor(caseId: number): Promise<SlaClock[]>;
  /** `sql`: read inside that transaction (a case answered inside a caller's unit of work). */
  clocksForMany(caseIds: readonly number[], sql?: SqlExecutor): Promise<Map<number, SlaClock[]>>;
  /** Re-reads every open clock from the store and re-arms its timers (after a restart). */
  recover(now: number): Promise<void>;
}

/** Implemented by server/dispatch. */
export interface DispatchPort {
  units(filter?: { status?: string; kind?: string; street?: string }): UnitState[];
  unit(entityId: string): UnitState | undefined;
  recommend(caseId: number, limit?: number): Promise<UnitRecommendation[]>;
  /** One action: checks the unit is available, routes it, dispatches the case and marks the unit dispatched. */
  dispatchCase(caseId: number, unitId: string, actor: Actor, opts: { version?: number; note?: string }): Promise<CaseDetail>;
  /** Units that are dispatched to a case right now (for the simulator's crews). */
  engaged(): UnitState[];
  /**
   * The crew's own steps (the phone page's API): accept and on-my-way move the case to
   * handling and the unit to enRoute; done files the feedback (note, after-photos) and sends
   * the unit back (returning, then available). Arrival is never told: it is detected from positions.
   */
  crewStep(unitId: string, step: 'accept' | 'enRoute' | 'done', actor: Actor, opts?: { note?: string; photoIds?: string[] }): Promise<CaseDetail>;
}

/** Implemented by server/alarms. */
export interface AlarmsPort {
  get(alarmId: number): Promise<Alarm | undefined>;
  active(): Promise<Alarm[]>;
  changedSince(ts: number): Promise<Alarm[]>;
  linkCase(alarmId: number, caseId: number): Promise<void>;
  /** The settings in force (held in memory). */
  settings(): AlarmSettings;
  /** The alarm an 'alarm:changed' or 'alarm:raised' event is about, while that event is being told (undefined after). */
  told(alarmId: number): Alarm | undefined;
  /** Work an alarm event started (the auto case): the port's reads resolve only once it has settled. */
  follow(work: Promise<unknown>): void;
}
