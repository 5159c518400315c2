/**
 * Two dispatchers at once, over HTTP on the real server: of two dispatches of one case at the
 * same version, or of one unit to two cases, exactly one wins and the other gets 409 — and
 * nothing of the loser's attempt is left behind (no unit held, no timeline entry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../shared/cases.ts';
import type { UnitRecommendation } from '../../shared/dispatch.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { call, login, type Reply } from './ops-http.ts';
import { lixiaPack, startServer, type RunningServer } from './server-harness.ts';

// The simulator gives the units their positions; nobody else dispatches (no duty officer).
const ENV = { SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0', ADMIN_PASSWORD: 'admin-password-for-race' };

let s: RunningServer;
let zhang: string, li: string;
const places: { lon: number; lat: number }[] = [];

beforeAll(async () => {
  s = await startServer(ENV);
  for (const name of ['zhang', 'li']) await s.app.store.access.createUser(name, await hashPassword(`${name}-password-1`), 'dispatcher');
  zhang = await login(s.url, 'zhang', 'zhang-password-1');
  li = await login(s.url, 'li', 'li-password-1');
  // grid centres far apart, each inside the district
  const grids = (await lixiaPack()).grids.features;
  for (const g of [grids[100]!, grids[400]!, grids[700]!, grids[900]!]) {
    const ring = g.geometry.coordinates[0]!;
    places.push({ lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 });
  }
});
afterAll(async () => s?.close());

async function newCase(token: string, at: { lon: number; lat: number }): Promise<CaseDetail> {
  const r = await call(s.url, token, 'POST', '/api/cases', { source: 'hotline', itemCode: '15.01.007', ...at, emergency: true, register: true });
  expect(r.status).toBe(201);
  return r.json as CaseDetail;
}

async function recommended(token: string, caseId: number): Promise<UnitRecommendation[]> {
  const r = await call(s.url, token, 'GET', `/api/cases/${caseId}/recommendations`);
  expect(r.status).toBe(200);
  return r.json.units as UnitRecommendation[];
}

const dispatchesOf = async (caseId: number) =>
  ((await call(s.url, zhang, 'GET', `/api/cases/${caseId}`)).json as CaseDetail).timeline.filter((e) => e.action === 'dispatch');

describe('two dispatchers racing', () => {
  it('dispatching the same case at the same version: one 200, one 409, one dispatch in the timeline', async () => {
    const c = await newCase(zhang, places[0]!);
    const [first, second] = await recommended(zhang, c.id);
    expect(second, 'two recommended units').toBeDefined();
    const both = await Promise.all([
      call(s.url, zhang, 'POST', `/api/cases/${c.id}/dispatch`, { unitId: first!.entityId, version: c.version }),
      call(s.url, li, 'POST', `/api/cases/${c.id}/dispatch`, { unitId: second!.entityId, version: c.version }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = both.find((r) => r.status === 200)!;
    const loser = both.find((r) => r.status === 409)!;
    expect(['conflict', 'invalid_transition']).toContain(loser.json.error.code);
    expect(loser.json.error.message).toEqual(expect.any(String));
    const winnerUnit = winner.json.assignment.unitId as string;
    const loserUnit = winnerUnit === first!.entityId ? second!.entityId : first!.entityId;
    // the loser's unit was never taken; the winner's is dispatched to the case
    expect(s.app.dispatch.unit(winnerUnit)).toMatchObject({ status: 'dispatched', caseId: c.id });
    expect(s.app.dispatch.unit(loserUnit)!.caseId).toBeNull();
    expect(['available', 'returning']).toContain(s.app.dispatch.unit(loserUnit)!.status);
    expect(await dispatchesOf(c.id)).toHaveLength(1);
    const audit = (await s.app.store.audit.recent(50)).filter((a) => a.action === 'case.dispatch' && a.target === String(c.id));
    expect(audit).toHaveLength(1);
  });

  it('dispatching one unit to two cases at once: one wins, the other 409 stays registered, and its retry with the next unit succeeds', async () => {
    const a = await newCase(zhang, places[1]!);
    // the second case right next to the first, so both rank the same unit first
    const b = await newCase(li, { lon: places[1]!.lon + 0.0003, lat: places[1]!.lat });
    const recA = await recommended(zhang, a.id);
    const recB = await recommended(li, b.id);
    const unit = recA[0]!.entityId;
    expect(recB.map((r) => r.entityId)).toContain(unit);

    const both: Reply[] = await Promise.all([
      call(s.url, zhang, 'POST', `/api/cases/${a.id}/dispatch`, { unitId: unit, version: a.version }),
      call(s.url, li, 'POST', `/api/cases/${b.id}/dispatch`, { unitId: unit, version: b.version }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const winIdx = both.findIndex((r) => r.status === 200);
    const [won, lost] = winIdx === 0 ? [a, b] : [b, a];
    const loserToken = winIdx === 0 ? li : zhang;
    const refusal = both[1 - winIdx]!.json;
    expect(['conflict', 'invalid_transition']).toContain(refusal.error.code);
    expect(s.app.dispatch.unit(unit)).toMatchObject({ status: 'dispatched', caseId: won.id });

    const lostNow = (await call(s.url, loserToken, 'GET', `/api/cases/${lost.id}`)).json as CaseDetail;
    expect(lostNow).toMatchObject({ stage: 'registered', assignment: null, version: lost.version });
    expect(lostNow.timeline.filter((e) => e.action === 'dispatch')).toHaveLength(0);
    expect(lostNow.clocks.filter((k) => k.kind === 'arrival')).toHaveLength(0);

    // The loser asks again: the taken unit is no longer offered; the next one is, and takes the case.
    const again = await recommended(loserToken, lost.id);
    expect(again.map((r) => r.entityId)).not.toContain(unit);
    const retry = await call(s.url, loserToken, 'POST', `/api/cases/${lost.id}/dispatch`, { unitId: again[0]!.entityId, version: lostNow.version });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ stage: 'dispatched', assignment: { unitId: again[0]!.entityId } });
    expect(s.app.dispatch.unit(again[0]!.entityId)).toMatchObject({ status: 'dispatched', caseId: lost.id });
    expect(s.app.dispatch.unit(unit)!.caseId).toBe(won.id);
  });

  it('a stale version after someone else acted is refused with 409 conflict, not applied', async () => {
    const c = await newCase(zhang, places[2]!);
    const [u1] = await recommended(zhang, c.id);
    const note = await call(s.url, li, 'POST', `/api/cases/${c.id}/transitions`, { action: 'escalate', version: c.version, note: '请街道协调' });
    expect(note.status).toBe(200);
    expect(note.json.version).toBeGreaterThan(c.version);
    const stale = await call(s.url, zhang, 'POST', `/api/cases/${c.id}/dispatch`, { unitId: u1!.entityId, version: c.version });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('conflict');
    expect(s.app.dispatch.unit(u1!.entityId)!.caseId).toBeNull();
  });
});
