/**
 * The GB/T 30428 workflow as a table: which action may be taken from which stage, by which
 * role, and where it leads. Pure — no store, no clock — so the whole table is tested apart
 * and the service only asks `decide` before it writes.
 *
 * Roles: the people (dispatcher 派遣员/值班长/监督员, leader, admin), a unit's crew, the
 * system (arrival detected from positions, SLA escalation, auto-cases), and the simulated
 * duty officer ('sim'). The wall never acts.
 */
import { OPEN_STAGES, type CaseRequest, type CaseRequestKind, type CaseStage } from '../../shared/cases.ts';
import type { Actor } from '../ops/ports.ts';

export const WORKFLOW_ACTIONS = [
  'report', 'register', 'dispatch', 'reassign', 'release', 'accept', 'enRoute', 'arrive', 'feedback',
  'verifyPass', 'verifyFail', 'close', 'evaluate', 'rate', 'note', 'photo', 'escalate',
  'requestSendBack', 'requestExtension', 'requestSuspension', 'requestVoid', 'approve', 'reject', 'resume',
] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

interface Rule {
  /** Stages the action may start from (null: no case yet). */
  from: readonly (CaseStage | null)[];
  /** Where it leads; 'same' leaves the stage alone. */
  to: CaseStage | 'same';
  roles: readonly string[];
  /** May be taken while the case is suspended (挂账). */
  whileSuspended?: true;
  /** A crew may take it only for the unit assigned to the case. */
  assignedUnitOnly?: true;
}

const PEOPLE = ['dispatcher', 'leader', 'admin'] as const;
const ANY_STAGE: readonly CaseStage[] = [...OPEN_STAGES, 'closed', 'evaluated', 'voided'];
const REQUESTERS = [...PEOPLE, 'field', 'sim'];

export const WORKFLOW: Readonly<Record<WorkflowAction, Rule>> = {
  /** 'citizen': a report through Open311 (the report page, a 12345 system), acting for the key it came in by. */
  report: { from: [null], to: 'reported', roles: [...PEOPLE, 'field', 'system', 'sim', 'citizen'] },
  register: { from: ['reported'], to: 'registered', roles: ['dispatcher', 'admin', 'system', 'sim'] },
  dispatch: { from: ['registered'], to: 'dispatched', roles: ['dispatcher', 'admin', 'sim'] },
  reassign: { from: ['dispatched', 'handling'], to: 'dispatched', roles: ['dispatcher', 'admin', 'sim'] },
  release: { from: ['dispatched', 'handling'], to: 'registered', roles: ['dispatcher', 'admin', 'sim'] },
  accept: { from: ['dispatched'], to: 'handling', roles: ['field', 'sim'], assignedUnitOnly: true },
  enRoute: { from: ['dispatched', 'handling'], to: 'handling', roles: ['field', 'sim'], assignedUnitOnly: true },
  arrive: { from: ['dispatched', 'handling'], to: 'handling', roles: ['field', 'system', 'sim'], assignedUnitOnly: true },
  feedback: { from: ['handling'], to: 'fedBack', roles: ['field', 'sim'], assignedUnitOnly: true },
  verifyPass: { from: ['fedBack'], to: 'verified', roles: ['dispatcher', 'admin', 'sim'] },
  /** 返工: back to the unit; counted for the rework rate. */
  verifyFail: { from: ['fedBack'], to: 'dispatched', roles: ['dispatcher', 'admin', 'sim'] },
  close: { from: ['verified'], to: 'closed', roles: ['dispatcher', 'leader', 'admin', 'sim'] },
  /** From evaluated too: the citizen may have rated first (the service refuses a second evaluation). */
  evaluate: { from: ['closed', 'evaluated'], to: 'evaluated', roles: ['leader', 'dispatcher', 'admin', 'sim'] },
  /** 评议: the reporting citizen rates the result once it is closed; the service refuses a second rating. */
  rate: { from: ['closed', 'evaluated'], to: 'evaluated', roles: ['citizen'] },
  note: { from: ANY_STAGE, to: 'same', roles: [...PEOPLE, 'field', 'system', 'sim'], whileSuspended: true },
  /** A citizen's photo comes with the report (Open311 multipart media). */
  photo: { from: ANY_STAGE, to: 'same', roles: [...PEOPLE, 'field', 'system', 'sim', 'citizen'], whileSuspended: true },
  /** 吹哨 by hand; the SLA module escalates as 'system'. */
  escalate: { from: OPEN_STAGES, to: 'same', roles: [...PEOPLE, 'system'] },
  requestSendBack: { from: ['dispatched', 'handling'], to: 'same', roles: REQUESTERS },
  requestExtension: { from: ['registered', 'dispatched', 'handling', 'fedBack'], to: 'same', roles: REQUESTERS },
  requestSuspension: { from: OPEN_STAGES, to: 'same', roles: REQUESTERS },
  requestVoid: { from: OPEN_STAGES, to: 'same', roles: REQUESTERS, whileSuspended: true },
  approve: { from: OPEN_STAGES, to: 'same', roles: ['leader', 'admin'], whileSuspended: true },
  reject: { from: OPEN_STAGES, to: 'same', roles: ['leader', 'admin'], whileSuspended: true },
  resume: { from: OPEN_STAGES, to: 'same', roles: PEOPLE, whileSuspended: true },
};

export const REQUEST_ACTION: Readonly<Record<CaseRequestKind, WorkflowAction>> = {
  sendBack: 'requestSendBack', extension: 'requestExtension', suspension: 'requestSuspension', void: 'requestVoid',
};

/** What an approved request does to the stage (sendBack 退回 → registered, void 作废 → voided). */
export const APPROVED_STAGE: Readonly<Record<CaseRequestKind, CaseStage | 'same'>> = {
  sendBack: 'registered', extension: 'same', suspension: 'same', void: 'voided',
};

export interface WorkflowContext {
  stage: CaseStage | null;
  suspended: boolean;
  /** The unit assigned to the case, if any. */
  assignedUnit: string | null;
  /** For a crew: the unit it acts for (default: the actor's name). */
  actingUnit?: string | null;
}

export type Decision =
  | { ok: true; from: CaseStage | null; to: CaseStage | null }
  | { ok: false; status: 403 | 409; code: 'forbidden' | 'invalid_transition'; reason: string };

const refuse = (status: 403 | 409, reason: string): Decision => ({ ok: false, status, code: status === 403 ? 'forbidden' : 'invalid_transition', reason });

export function decide(action: WorkflowAction, actor: Actor, ctx: WorkflowContext): Decision {
  const rule = WORKFLOW[action];
  if (!rule.roles.includes(actor.role)) return refuse(403, `role ${actor.role} may not ${action} (allowed: ${rule.roles.join(', ')})`);
  if (!rule.from.includes(ctx.stage)) {
    const allowed = rule.from.map((s) => s ?? 'new').join(', ');
    return refuse(409, ctx.stage === null ? `cannot ${action} a case that does not exist yet` : `cannot ${action} a case in stage ${ctx.stage} (only from ${allowed})`);
  }
  if (action === 'resume' && !ctx.suspended) return refuse(409, `cannot resume a case in stage ${String(ctx.stage)} that is not suspended`);
  if (action === 'requestSuspension' && ctx.suspended) return refuse(409, `cannot ask to suspend a case in stage ${String(ctx.stage)} that is already suspended`);
  if (ctx.suspended && !rule.whileSuspended) return refuse(409, `cannot ${action} a suspended case (挂账) in stage ${String(ctx.stage)}: resume it first`);
  if (rule.assignedUnitOnly && actor.role === 'field') {
    if (!ctx.assignedUnit) return refuse(409, `cannot ${action}: no unit is assigned to the case in stage ${String(ctx.stage)}`);
    const acting = ctx.actingUnit ?? actor.name;
    if (acting !== ctx.assignedUnit) return refuse(403, `unit ${acting} is not the unit assigned to this case (${ctx.assignedUnit})`);
  }
  return { ok: true, from: ctx.stage, to: rule.to === 'same' ? ctx.stage : rule.to };
}

/** Whether `actor` may decide `request` on a case in `stage`: a leader or admin who did not ask for it, while it is pending and still applies. */
export function decideRequest(request: CaseRequest, approve: boolean, actor: Actor, ctx: WorkflowContext): Decision {
  const base = decide(approve ? 'approve' : 'reject', actor, ctx);
  if (!base.ok) return base;
  if (request.state !== 'pending') return refuse(409, `request ${request.id} (${request.kind}) was already ${request.state}`);
  if (request.requestedBy === actor.name) return refuse(403, `${actor.name} asked for this ${request.kind} and may not decide it: another leader or admin must`);
  if (!approve) return base;
  // The case may have moved since the request: a send-back still needs a unit to send back.
  if (!WORKFLOW[REQUEST_ACTION[request.kind]].from.includes(ctx.stage)) return refuse(409, `cannot approve the ${request.kind} of a case now in stage ${String(ctx.stage)}`);
  if (request.kind === 'suspension' && ctx.suspended) return refuse(409, `cannot approve the suspension of a case in stage ${String(ctx.stage)} that is already suspended`);
  const to = APPROVED_STAGE[request.kind];
  return { ok: true, from: ctx.stage, to: to === 'same' ? ctx.stage : to };
}
