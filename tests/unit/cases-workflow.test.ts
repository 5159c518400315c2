import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseAssignment, CaseRequest, CaseStage } from '../../shared/cases.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { DistrictLocator } from '../../server/district/locator.ts';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { CasesService } from '../../server/cases/cases-service.ts';
import { decide, decideRequest, type WorkflowAction } from '../../server/cases/workflow.ts';
import { DomainEvents, type CaseTransition } from '../../server/ops/domain-events.ts';
import { SIM_DUTY_OFFICER, SYSTEM_ACTOR, type Actor } from '../../server/ops/ports.ts';
import { HttpError } from '../../server/http-error.ts';

const disp: Actor = { name: 'disp1', role: 'dispatcher' };
const lead: Actor = { name: 'lead1', role: 'leader' };
const admin: Actor = { name: 'admin', role: 'admin' };
const crew: Actor = { name: 'veh-0001', role: 'field' };
const wall: Actor = { name: 'Wall', role: 'wall' };
const citizen: Actor = { name: 'open311 key 1', role: 'citizen' };

const ctx = (stage: CaseStage | null, extra: { suspended?: boolean; assignedUnit?: string | null } = {}) => ({ stage, suspended: false, assignedUnit: 'veh-0001', ...extra });

describe('the workflow table', () => {
  // [action, actor, from stage, expected stage after]
  const allowed: [WorkflowAction, Actor, CaseStage | null, CaseStage][] = [
    ['report', disp, null, 'reported'], ['report', crew, null, 'reported'], ['report', SYSTEM_ACTOR, null, 'reported'], ['report', SIM_DUTY_OFFICER, null, 'reported'],
    ['register', disp, 'reported', 'registered'], ['register', admin, 'reported', 'registered'],
    ['dispatch', disp, 'registered', 'dispatched'], ['dispatch', SIM_DUTY_OFFICER, 'registered', 'dispatched'],
    ['reassign', disp, 'dispatched', 'dispatched'], ['reassign', admin, 'handling', 'dispatched'],
    ['release', disp, 'dispatched', 'registered'], ['release', SIM_DUTY_OFFICER, 'handling', 'registered'],
    ['accept', crew, 'dispatched', 'handling'], ['enRoute', crew, 'dispatched', 'handling'], ['enRoute', crew, 'handling', 'handling'],
    ['arrive', SYSTEM_ACTOR, 'dispatched', 'handling'], ['arrive', crew, 'handling', 'handling'],
    ['feedback', crew, 'handling', 'fedBack'], ['feedback', SIM_DUTY_OFFICER, 'handling', 'fedBack'],
    ['verifyPass', disp, 'fedBack', 'verified'], ['verifyFail', disp, 'fedBack', 'dispatched'],
    ['close', disp, 'verified', 'closed'], ['close', lead, 'verified', 'closed'],
    ['evaluate', lead, 'closed', 'evaluated'], ['evaluate', disp, 'closed', 'evaluated'], ['evaluate', lead, 'evaluated', 'evaluated'],
    // The simulated duty officer stands in for the simulated district's leaders (综合评价 on an unattended wall).
    ['evaluate', SIM_DUTY_OFFICER, 'closed', 'evaluated'],
    ['rate', citizen, 'closed', 'evaluated'], ['rate', citizen, 'evaluated', 'evaluated'],
    ['report', citizen, null, 'reported'], ['photo', citizen, 'reported', 'reported'],
    ['note', crew, 'handling', 'handling'], ['note', lead, 'closed', 'closed'], ['escalate', lead, 'dispatched', 'dispatched'],
    ['requestSendBack', crew, 'dispatched', 'dispatched'], ['requestExtension', disp, 'handling', 'handling'],
    ['requestSuspension', disp, 'registered', 'registered'], ['requestVoid', lead, 'reported', 'reported'],
  ];
  it.each(allowed)('%s by %o from %s → %s', (action, actor, from, to) => {
    expect(decide(action, actor, ctx(from))).toEqual({ ok: true, from, to });
  });

  // [action, actor, stage, suspended, status, reason]
  const refused: [WorkflowAction, Actor, CaseStage | null, boolean, number, string][] = [
    ['close', disp, 'reported', false, 409, 'cannot close a case in stage reported (only from verified)'],
    ['register', disp, 'registered', false, 409, 'cannot register a case in stage registered (only from reported)'],
    ['dispatch', disp, 'reported', false, 409, 'cannot dispatch a case in stage reported (only from registered)'],
    ['feedback', crew, 'dispatched', false, 409, 'cannot feedback a case in stage dispatched (only from handling)'],
    ['verifyPass', disp, 'handling', false, 409, 'cannot verifyPass a case in stage handling (only from fedBack)'],
    ['evaluate', lead, 'verified', false, 409, 'cannot evaluate a case in stage verified (only from closed, evaluated)'],
    ['rate', citizen, 'verified', false, 409, 'cannot rate a case in stage verified (only from closed, evaluated)'],
    ['rate', citizen, 'fedBack', false, 409, 'cannot rate a case in stage fedBack (only from closed, evaluated)'],
    ['rate', lead, 'closed', false, 403, 'role leader may not rate (allowed: citizen)'],
    ['register', citizen, 'reported', false, 403, 'role citizen may not register (allowed: dispatcher, admin, system, sim)'],
    ['close', citizen, 'verified', false, 403, 'role citizen may not close (allowed: dispatcher, leader, admin, sim)'],
    ['escalate', disp, 'closed', false, 409, 'cannot escalate a case in stage closed (only from reported, registered, dispatched, handling, fedBack, verified)'],
    ['requestSendBack', crew, 'registered', false, 409, 'cannot requestSendBack a case in stage registered (only from dispatched, handling)'],
    ['report', wall, null, false, 403, 'role wall may not report (allowed: dispatcher, leader, admin, field, system, sim, citizen)'],
    ['register', lead, 'reported', false, 403, 'role leader may not register (allowed: dispatcher, admin, system, sim)'],
    ['dispatch', crew, 'registered', false, 403, 'role field may not dispatch (allowed: dispatcher, admin, sim)'],
    ['arrive', disp, 'dispatched', false, 403, 'role dispatcher may not arrive (allowed: field, system, sim)'],
    ['verifyPass', lead, 'fedBack', false, 403, 'role leader may not verifyPass (allowed: dispatcher, admin, sim)'],
    ['close', crew, 'verified', false, 403, 'role field may not close (allowed: dispatcher, leader, admin, sim)'],
    ['evaluate', crew, 'closed', false, 403, 'role field may not evaluate (allowed: leader, dispatcher, admin, sim)'],
    ['escalate', crew, 'dispatched', false, 403, 'role field may not escalate (allowed: dispatcher, leader, admin, system)'],
    ['approve', disp, 'registered', false, 403, 'role dispatcher may not approve (allowed: leader, admin)'],
    ['dispatch', disp, 'registered', true, 409, 'cannot dispatch a suspended case (挂账) in stage registered: resume it first'],
    ['resume', disp, 'registered', false, 409, 'cannot resume a case in stage registered that is not suspended'],
    ['requestSuspension', disp, 'registered', true, 409, 'cannot ask to suspend a case in stage registered that is already suspended'],
  ];
  it.each(refused)('refuses %s by %o in stage %s (suspended %s) with %i', (action, actor, stage, suspended, status, reason) => {
    expect(decide(action, actor, ctx(stage, { suspended }))).toEqual({ ok: false, status, code: status === 403 ? 'forbidden' : 'invalid_transition', reason });
  });

  it('lets a crew act only for the unit assigned to the case', () => {
    expect(decide('accept', { name: 'veh-0002', role: 'field' }, ctx('dispatched'))).toMatchObject({ ok: false, status: 403, reason: 'unit veh-0002 is not the unit assigned to this case (veh-0001)' });
    expect(decide('arrive', crew, ctx('dispatched', { assignedUnit: null }))).toMatchObject({ ok: false, status: 409 });
  });

  it('lets a leader or admin decide a request, never the one who asked, and only once', () => {
    const req: CaseRequest = { id: 1, caseId: 1, kind: 'void', reason: 'duplicate', days: null, requestedBy: 'lead1', requestedTs: 0, state: 'pending', decidedBy: null, decidedTs: null };
    expect(decideRequest(req, true, lead, ctx('registered'))).toEqual({ ok: false, status: 403, code: 'forbidden', reason: 'lead1 asked for this void and may not decide it: another leader or admin must' });
    expect(decideRequest(req, true, admin, ctx('registered'))).toEqual({ ok: true, from: 'registered', to: 'voided' });
    expect(decideRequest({ ...req, state: 'rejected' }, true, admin, ctx('registered'))).toMatchObject({ ok: false, status: 409, reason: 'request 1 (void) was already rejected' });
    const sendBack = { ...req, kind: 'sendBack' as const };
    expect(decideRequest(sendBack, true, admin, ctx('dispatched'))).toEqual({ ok: true, from: 'dispatched', to: 'registered' });
    expect(decideRequest(sendBack, true, admin, ctx('fedBack'))).toMatchObject({ ok: false, status: 409, reason: 'cannot approve the sendBack of a case now in stage fedBack' });
  });
});

describe('the cases service', () => {
  let dir: string;
  let db: Db;
  let pack: DistrictPack;
  let svc: CasesService;
  let t = Date.UTC(2026, 10, 27, 16, 30); // 2026-11-28 00:30 in Asia/Shanghai
  const transitions: CaseTransition[] = [];
  const changed: number[] = [];
  let at: [number, number];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cases-unit-'));
    db = openDatabase(dir);
    pack = await loadDistrictPack('data/lixia');
    const events = new DomainEvents();
    events.on('case:transition', (tr) => transitions.push(tr));
    events.on('case:changed', (id) => changed.push(id));
    svc = new CasesService({ store: new SqliteStore(db), pack, locator: new DistrictLocator(pack), events, now: () => t, sla: () => undefined, codePrefix: 'LX' });
    const ring = pack.grids.features[100]!.geometry.coordinates[0]!;
    at = [(ring[0]![0] + ring[2]![0]) / 2, (ring[0]![1] + ring[2]![1]) / 2];
  });
  afterAll(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });

  const assignment = (unitId = 'veh-0001'): CaseAssignment => ({ unitId, unitName: unitId, dispatchedTs: t, etaTs: t + 300_000, route: [], arrivedTs: null, by: 'disp1' });
  const refusal = async (fn: () => Promise<unknown>): Promise<HttpError> => { try { await fn(); } catch (e) { return e as HttpError; } throw new Error('not refused'); };

  it('numbers cases per local day of the district', async () => {
    const a = await svc.report({ source: 'hotline', itemCode: '11.01.001', lon: at[0], lat: at[1] }, disp);
    const b = await svc.report({ source: 'hotline', itemCode: '11.01.001', lon: at[0], lat: at[1] }, disp);
    expect([a.code, b.code]).toEqual(['LX-20261128-0001', 'LX-20261128-0002']);
    t += 24 * 3_600_000;
    expect((await svc.report({ source: 'media', itemCode: '11.01.001', lon: at[0], lat: at[1] }, disp)).code).toBe('LX-20261129-0001');
  });

  it('assigns a street-level department\'s item to the street, another department\'s to the department', async () => {
    const street = await svc.report({ source: 'hotline', itemCode: '11.01.001', lon: at[0], lat: at[1] }, disp);
    expect(street.assignedOrg).toBe(pack.grids.features[100]!.properties.streetCode);
    expect((await svc.report({ source: 'hotline', itemCode: '15.01.003', lon: at[0], lat: at[1] }, disp)).assignedOrg).toBe('370102D07');
  });

  it('sends back with approval: the case is registered again, the unit released, and dispatch is told by an approve transition', async () => {
    const c = await svc.report({ source: 'hotline', itemCode: '15.01.001', lon: at[0], lat: at[1], register: true }, disp);
    await svc.dispatch(c.id, assignment(), disp, {});
    const asked = await svc.request(c.id, 'sendBack', crew, { reason: '不属于本单位' });
    const rid = asked.requests[0]!.id;
    expect((await refusal(() => svc.decide(c.id, rid, true, disp))).statusCode).toBe(403);
    transitions.length = 0;
    const done = await svc.decide(c.id, rid, true, lead, '同意退回');
    expect(done).toMatchObject({ stage: 'registered', assignment: null });
    expect(transitions).toEqual([{ caseId: c.id, action: 'approve', from: 'dispatched', to: 'registered', actor: 'lead1', at: t, data: { kind: 'sendBack', requestId: rid, unitId: 'veh-0001' } }]);
    expect(done.timeline.map((e) => e.action)).toEqual(['report', 'register', 'dispatch', 'requestSendBack', 'approve']);
  });

  it('extends with the days asked, suspends and resumes, voids — each approved and in the timeline', async () => {
    const c = await svc.report({ source: 'hotline', itemCode: '02.01.001', lon: at[0], lat: at[1], register: true }, disp);
    const ext = await svc.request(c.id, 'extension', disp, { reason: '材料未到', days: 2 });
    expect((await refusal(() => svc.request(c.id, 'extension', disp, { reason: 'again', days: 1 }))).message).toBe(`request #${ext.requests[0]!.id} (extension) is already pending on this case`);
    transitions.length = 0;
    await svc.decide(c.id, ext.requests[0]!.id, true, admin);
    expect(transitions[0]).toMatchObject({ action: 'approve', data: { kind: 'extension', days: 2 } });
    const sus = await svc.request(c.id, 'suspension', disp, { reason: '等待' });
    expect((await svc.decide(c.id, sus.requests[1]!.id, true, lead)).suspended).toBe(true);
    expect((await refusal(() => svc.dispatch(c.id, assignment(), disp, {}))).message).toBe('cannot dispatch a suspended case (挂账) in stage registered: resume it first');
    expect((await svc.resume(c.id, disp, {})).suspended).toBe(false);
    const v = await svc.request(c.id, 'void', disp, { reason: '重复上报' });
    const rejected = await svc.decide(c.id, v.requests[2]!.id, false, lead);
    expect(rejected.stage).toBe('registered');
    const v2 = await svc.request(c.id, 'void', disp, { reason: '重复上报' });
    const voided = await svc.decide(c.id, v2.requests[3]!.id, true, lead);
    expect(voided.stage).toBe('voided');
    expect(voided.timeline.map((e) => e.action)).toEqual([
      'report', 'register', 'requestExtension', 'approve', 'requestSuspension', 'approve', 'resume', 'requestVoid', 'reject', 'requestVoid', 'approve',
    ]);
    expect((await svc.openCases()).some((x) => x.id === c.id)).toBe(false);
  });

  it('counts a failed verification as rework and sends the case back to the unit', async () => {
    const c = await svc.report({ source: 'hotline', itemCode: '11.01.001', lon: at[0], lat: at[1], register: true }, disp);
    await svc.dispatch(c.id, assignment(), disp, {});
    await svc.unitStep(c.id, 'accept', crew);
    await svc.feedback(c.id, crew, { note: 'done' });
    expect((await svc.transition(c.id, 'verifyFail', disp, { note: '未清理干净' })).stage).toBe('dispatched');
    expect(db.prepare('SELECT rework_count FROM cases WHERE id = ?').pluck().get(c.id)).toBe(1);
  });

  it('takes the reporting citizen\'s rating (评议) once, after closure; people still evaluate once', async () => {
    const c = await svc.report({ source: 'citizenPhoto', itemCode: '11.01.001', lon: at[0], lat: at[1] }, citizen);
    await svc.transition(c.id, 'register', disp, {});
    await svc.dispatch(c.id, assignment(), disp, {});
    await svc.unitStep(c.id, 'accept', crew);
    await svc.feedback(c.id, crew, { note: 'done' });
    await svc.transition(c.id, 'verifyPass', disp, {});
    expect([(await refusal(() => svc.rate(c.id, 4, null, citizen))).statusCode, (await refusal(() => svc.rate(c.id, 4, null, citizen))).message]).toEqual([409, 'cannot rate a case in stage verified (only from closed, evaluated)']);
    await svc.transition(c.id, 'close', disp, {});
    expect((await refusal(() => svc.rate(c.id, 6, null, citizen))).message).toBe('score must be an integer from 1 to 5');
    expect((await refusal(() => svc.rate(c.id, 4, null, lead))).statusCode).toBe(403);
    t += 60_000;
    const rated = await svc.rate(c.id, 4, '清理得很干净', citizen);
    expect(rated.stage).toBe('evaluated');
    expect(rated.citizenRating).toEqual({ score: 4, comment: '清理得很干净', ts: t });
    expect(rated.timeline.at(-1)).toMatchObject({ action: 'rate', actorRole: 'citizen', fromStage: 'closed', toStage: 'evaluated', data: { score: 4 } });
    const again = await refusal(() => svc.rate(c.id, 5, null, citizen));
    expect([again.statusCode, again.message]).toEqual([409, `case ${c.code} is already rated by its reporter`]);
    const ev = await svc.transition(c.id, 'evaluate', lead, { score: 3 });
    expect([ev.stage, ev.evaluation?.score, ev.citizenRating?.score]).toEqual(['evaluated', 3, 4]);
    expect((await refusal(() => svc.transition(c.id, 'evaluate', lead, { score: 2 }))).message).toBe(`case ${c.code} is already evaluated`);
  });

  it('refuses a stale version with the versions named', async () => {
    const c = await svc.report({ source: 'hotline', itemCode: '11.01.001', lon: at[0], lat: at[1] }, disp);
    await svc.transition(c.id, 'register', disp, { version: 1 });
    const err = await refusal(() => svc.transition(c.id, 'verifyPass', disp, { version: 1 }));
    expect([err.statusCode, err.code, err.message]).toEqual([409, 'conflict', 'case changed since you loaded it (version 1, now 2)']);
  });

  it('escalates level by level, once each, with a case:changed for every change', async () => {
    const c = await svc.report({ source: 'hotline', itemCode: '15.01.003', lon: at[0], lat: at[1], register: true }, disp);
    changed.length = 0;
    await svc.escalate(c.id, 1, '街道', t);
    await svc.escalate(c.id, 1, '街道', t);
    await svc.escalate(c.id, 2, '区水务局', t);
    const d = (await svc.detail(c.id))!;
    expect(d.escalationLevel).toBe(2);
    expect(d.timeline.filter((e) => e.action === 'escalate').map((e) => e.data)).toEqual([{ level: 1, notified: '街道' }, { level: 2, notified: '区水务局' }]);
    expect(changed).toEqual([c.id, c.id]);
  });

  it('opens one registered case per alarm, an SOS as an emergency, and none for an unmapped type', async () => {
    const alarm = {
      id: 77, type: 'staffSos' as const, severity: 'critical' as const, entityId: 'staff-0001', entityKind: 'staff' as const, entityName: '张三',
      orgCode: '370102001', gridId: pack.grids.features[100]!.properties.id, lon: at[0], lat: at[1], startTs: t, updateTs: t, endTs: null,
      active: true, ackBy: null, ackTs: null, clearedBy: null, detail: 'SOS', value: null, caseId: null, version: 1,
    };
    const c = (await svc.openForAlarm(alarm))!;
    expect(c).toMatchObject({ source: 'iotAlarm', stage: 'registered', emergency: true, alarmId: 77, itemCode: '15.02.001' });
    expect((await svc.openForAlarm(alarm))!.id).toBe(c.id);
    const noPos = (await svc.openForAlarm({ ...alarm, id: 78, type: 'binOverflow', lon: null, lat: null }))!;
    expect(noPos.location.gridId).toBe(alarm.gridId);
    expect(noPos.emergency).toBe(false);
    const bare = new CasesService({ store: new SqliteStore(db), pack: { ...pack, taxonomy: { classes: [], items: [] } }, locator: new DistrictLocator(pack), events: new DomainEvents(), now: () => t, sla: () => undefined, codePrefix: 'LX' });
    expect((await bare.openForAlarm({ ...alarm, id: 79 }))).toBeNull();
  });
});
