/**
 * A whole emergency, end to end on the real server with the simulator running: a dispatcher
 * creates a case near a patrol unit, dispatches the top recommendation, the simulated crew
 * accepts and drives there, the server marks it on scene from its positions alone, the crew
 * reports it done, the dispatcher verifies and closes — and a wall watches it on the ops stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail, CaseStage, TimelineEntry } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import { distanceM } from '../../shared/geo.ts';
import type { OpsDelta, OpsSnapshot } from '../../shared/ops.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { DistrictLocator } from '../../server/district/locator.ts';
import { call, login, waitFor } from './ops-http.ts';
import { liveClient, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'admin-password-for-flow';
const ARRIVAL_RADIUS_M = 60;
/**
 * SIM_SPEED 60: the simulated world runs a minute per wall second, so a crew's 20–90 s to
 * accept and a kilometre's drive take a second or two and its 10–20 min of work 10–20 s.
 * Reports stay stamped with the wall clock, and the ingest's jump filter is scaled by the
 * same factor (server/ingest/ingest.ts), so the fast drive is not dropped as impossible.
 * The SLA clocks run on the wall clock: the drive is well inside 7 minutes. The world starts
 * at 09:00 district time (SIM_START_TIME) whenever the test runs: the two simulated hours it
 * spans hold no shift change that would send a crew home mid-task.
 */
const ENV = {
  SIM_SPEED: '60', SIM_START_TIME: '09:00', SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0', ADMIN_PASSWORD, LIVE_TICK_MS: '250',
  DISPATCH_ARRIVAL_RADIUS_M: String(ARRIVAL_RADIUS_M), DISPATCH_RETURNING_S: '1',
};

let s: RunningServer;
let disp: string;
let wall: LiveClient;
/** Stages of every case as the wall saw them, in the order the ops frames brought them. */
const seenStages = new Map<number, CaseStage[]>();
const seenUnitStatus = new Map<string, string[]>();
let deltas = 0;

function record(cases: { id: number; stage: CaseStage }[], units: UnitState[]): void {
  for (const c of cases) {
    const list = seenStages.get(c.id) ?? [];
    if (list.at(-1) !== c.stage) list.push(c.stage);
    seenStages.set(c.id, list);
  }
  for (const u of units) {
    const list = seenUnitStatus.get(u.entityId) ?? [];
    if (list.at(-1) !== u.status) list.push(u.status);
    seenUnitStatus.set(u.entityId, list);
  }
}

beforeAll(async () => {
  s = await startServer(ENV);
  await s.app.store.access.createUser('flow-disp', await hashPassword('dispatcher-password'), 'dispatcher');
  disp = await login(s.url, 'flow-disp', 'dispatcher-password');
  wall = liveClient(s.url, s.firstStart!.wallToken);
  const snap = await once<OpsSnapshot>((ok) => wall.once('ops:snapshot', ok), 15_000, 'ops snapshot');
  record(snap.cases, snap.units);
  wall.on('ops:delta', (d: OpsDelta) => {
    deltas++;
    record(d.cases, d.units);
  });
});
afterAll(async () => {
  wall?.close();
  await s?.close();
});

/** An available patrol unit the simulator moves, with a fresh position, and a road point 500–900 m from it. */
function pickUnitAndPlace(): { unit: UnitState; lon: number; lat: number } {
  const router = s.app.roads.staff.router;
  const locator = new DistrictLocator(s.app.district.pack);
  const now = Date.now();
  for (const u of s.app.dispatch.units({ status: 'available', kind: 'staff' })) {
    if (!u.skills.includes('patrol')) continue;
    const pos = s.app.live.get(u.entityId)?.pos;
    if (!pos || now - pos.ts > 30_000) continue;
    const near = new Set(router.nodesWithin(pos.lon, pos.lat, 500));
    const ring = router.nodesWithin(pos.lon, pos.lat, 900).filter((n) => !near.has(n));
    const node = ring[Math.floor(ring.length / 2)];
    if (node === undefined) continue;
    const [lon, lat] = router.nodeLonLat(node);
    if (locator.locate(lon, lat)) return { unit: u, lon, lat };
  }
  throw new Error('no available patrol unit with a fresh position');
}

describe('a full dispatch with a simulated crew', () => {
  it('creates, dispatches, detects arrival from positions, takes feedback, verifies and closes', async () => {
    const { lon, lat } = pickUnitAndPlace();
    const created = await call(s.url, disp, 'POST', '/api/cases', { source: 'roadChief', itemCode: '15.01.001', lon, lat, address: '积分测试点', emergency: true, register: true });
    expect(created.status).toBe(201);
    const c0 = created.json as CaseDetail;
    expect(c0).toMatchObject({ stage: 'registered', emergency: true });

    const recs = await call(s.url, disp, 'GET', `/api/cases/${c0.id}/recommendations`);
    expect(recs.status).toBe(200);
    const top = recs.json.units[0];
    expect(top, 'a recommended unit').toBeDefined();
    expect(top.status).toMatch(/^(available|returning)$/);
    expect(recs.json.units.map((r: { etaS: number }) => r.etaS)).toEqual([...recs.json.units.map((r: { etaS: number }) => r.etaS)].sort((a, b) => a - b));
    expect(top.reasons).toContain('closestByRoad');

    const dispatched = await call(s.url, disp, 'POST', `/api/cases/${c0.id}/dispatch`, { unitId: top.entityId, version: c0.version });
    expect(dispatched.status).toBe(200);
    expect(dispatched.json).toMatchObject({ stage: 'dispatched', assignment: { unitId: top.entityId, arrivedTs: null, by: 'flow-disp' } });
    const dispatchedTs = dispatched.json.assignment.dispatchedTs as number;
    // the wall sees the case dispatched before the crew gets there (the crew takes ≥ 20 sim s to accept)
    await waitFor('the wall to see the case dispatched', () => (seenStages.get(c0.id)?.includes('dispatched') ? true : undefined), 5000, 50);

    // Arrival is the server's own doing: the crew never says "arrive".
    const arrived = await waitFor('the server to mark the unit on scene', async () => {
      const d = (await call(s.url, disp, 'GET', `/api/cases/${c0.id}`)).json as CaseDetail;
      return d.stage === 'handling' && d.assignment?.arrivedTs ? d : undefined;
    }, 30_000, 250);
    const arrive = arrived.timeline.find((e) => e.action === 'arrive')!;
    expect(arrive).toMatchObject({ actor: 'system', actorRole: 'system', toStage: 'handling' });
    const at = arrive.data as { unitId: string; lon: number; lat: number; distanceM: number };
    expect(at.unitId).toBe(top.entityId);
    // the position recorded at arrival is the unit's own report, within the radius of the case
    expect(distanceM(at.lon, at.lat, lon, lat)).toBeLessThanOrEqual(ARRIVAL_RADIUS_M);
    expect(arrived.assignment!.arrivedTs).toBeGreaterThan(dispatchedTs);
    expect(arrived.assignment!.arrivedTs! - dispatchedTs).toBeLessThan(7 * 60_000);
    const arrivalClock = arrived.clocks.find((k) => k.kind === 'arrival')!;
    expect(arrivalClock).toMatchObject({ state: 'met', startTs: dispatchedTs, dueTs: dispatchedTs + 7 * 60_000 });
    expect(arrivalClock.endTs).toBe(arrived.assignment!.arrivedTs);
    // the crew's own steps came from the crew, not the server
    const crewSteps = arrived.timeline.filter((e) => e.action === 'accept' || e.action === 'enRoute');
    expect(crewSteps.map((e) => e.actor)).toEqual([top.entityId, top.entityId]);
    expect(s.app.dispatch.unit(top.entityId)!.status).toBe('onScene');

    // The crew works 10–20 sim minutes (10–20 s here) and reports it done through the unit API.
    const fedBack = await waitFor('the crew to report it done', async () => {
      const d = (await call(s.url, disp, 'GET', `/api/cases/${c0.id}`)).json as CaseDetail;
      return d.stage === 'fedBack' ? d : undefined;
    }, 35_000, 500);
    const fb = fedBack.timeline.find((e) => e.action === 'feedback')!;
    expect(fb.actor).toBe(top.entityId);
    expect(fb.note).toBeTruthy();
    expect(['returning', 'available']).toContain(s.app.dispatch.unit(top.entityId)!.status);

    // A duty officer verifies what the screen shows: wait for the wall to show the feedback too
    // (the ops stream sends the latest state per tick, so a step undone within a tick is never seen).
    await waitFor('the wall to see the case fed back', () => (seenStages.get(c0.id)?.includes('fedBack') ? true : undefined), 5000, 50);
    const verified = await call(s.url, disp, 'POST', `/api/cases/${c0.id}/transitions`, { action: 'verifyPass', version: fedBack.version });
    expect(verified.status).toBe(200);
    expect(verified.json.stage).toBe('verified');
    const closed = await call(s.url, disp, 'POST', `/api/cases/${c0.id}/transitions`, { action: 'close', version: verified.json.version });
    expect(closed.status).toBe(200);
    const final = closed.json as CaseDetail;
    expect(final.stage).toBe('closed');
    const closure = final.clocks.find((k) => k.kind === 'closure')!;
    expect(closure.state).toBe('met');
    expect(closure.endTs).toBe(final.closedTs);
    // small difficulty: one calendar day from registration
    expect(closure.dueTs).toBe(c0.createdTs + 24 * 3600_000);
    expect(final.clocks.find((k) => k.kind === 'arrival')!.state).toBe('met');

    // the unit goes back: returning, then available after DISPATCH_RETURNING_S (the sweep runs every 5 s)
    await waitFor('the unit to be available again', () => (s.app.dispatch.unit(top.entityId)!.status === 'available' ? true : undefined), 12_000, 250);
    expect(s.app.dispatch.unit(top.entityId)!.caseId).toBeNull();

    const timeline = final.timeline.map((e: TimelineEntry) => [e.action, e.actor]);
    expect(timeline).toEqual([
      ['report', 'flow-disp'], ['register', 'flow-disp'], ['dispatch', 'flow-disp'],
      ['accept', top.entityId], ['enRoute', top.entityId], ['arrive', 'system'], ['clockMet', 'system'],
      ['feedback', top.entityId], ['verifyPass', 'flow-disp'], ['close', 'flow-disp'], ['clockMet', 'system'],
    ]);
    const t0 = final.timeline[0]!.ts;
    console.log(`timeline of ${final.code} (${final.title}), unit ${top.name} (${top.entityId}), ETA ${top.etaS} s, ${Math.round(top.roadDistanceM)} m by road:\n${
      final.timeline.map((e) => `  ${new Date(e.ts).toISOString()}  +${((e.ts - t0) / 1000).toFixed(1).padStart(5)} s  ${e.actor.padEnd(12)} ${e.action.padEnd(10)} ${e.note ?? ''}${e.action === 'arrive' ? ` (${at.distanceM} m from the case)` : ''}`).join('\n')}`);

    // The wall watched the case go through its stages, in order, on the ops stream.
    await waitFor('the wall to see the case closed', () => (seenStages.get(c0.id)?.includes('closed') ? true : undefined), 5000, 50);
    const stages = seenStages.get(c0.id)!;
    // (registered and dispatched may share a frame: the ops stream sends the latest state per tick)
    expect(stages).toEqual(expect.arrayContaining(['dispatched', 'handling', 'fedBack', 'closed']));
    const order = ['registered', 'dispatched', 'handling', 'fedBack', 'verified', 'closed'];
    expect(stages.map((x) => order.indexOf(x))).toEqual([...stages.map((x) => order.indexOf(x))].sort((a, b) => a - b));
    expect(deltas).toBeGreaterThan(3);
    const unitSeen = seenUnitStatus.get(top.entityId) ?? [];
    expect(unitSeen).toEqual(expect.arrayContaining(['dispatched', 'onScene', 'returning']));
  }, 90_000);

  // Known flake (2026-11-28, under investigation): now and then the simulated crew stays on scene
  // past the wait although its 10–20 simulated minutes are long over; every run that gets past it
  // checks all of the claims below. Retried rather than loosened; see the closing note of issue 6.
  it('a case failed at verification (返工) goes back to its unit, whose crew returns and is marked on scene again', { retry: 2, timeout: 180_000 }, async () => {
    const { lon, lat } = pickUnitAndPlace();
    const c0 = (await call(s.url, disp, 'POST', '/api/cases', { source: 'supervisor', itemCode: '15.01.008', lon, lat, emergency: true, register: true })).json as CaseDetail;
    const top = (await call(s.url, disp, 'GET', `/api/cases/${c0.id}/recommendations`)).json.units[0];
    expect((await call(s.url, disp, 'POST', `/api/cases/${c0.id}/dispatch`, { unitId: top.entityId, version: c0.version })).status).toBe(200);
    const fedBack = await waitFor('the crew to report it done', async () => {
      const d = (await call(s.url, disp, 'GET', `/api/cases/${c0.id}`)).json as CaseDetail;
      return d.stage === 'fedBack' ? d : undefined;
    }, 90_000, 500); // 10–20 simulated minutes of work; a busy machine slows the simulated world (ticks are capped)
    const failed = await call(s.url, disp, 'POST', `/api/cases/${c0.id}/transitions`, { action: 'verifyFail', version: fedBack.version, note: '现场仍有问题' });
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ stage: 'dispatched', assignment: { unitId: top.entityId } });
    // the unit is engaged on the case again, not left returning while the case waits for it
    expect(s.app.dispatch.unit(top.entityId)).toMatchObject({ caseId: c0.id, status: expect.stringMatching(/^(dispatched|enRoute|onScene)$/) });
    // Its crew accepts again (the case is handled from then on) and the server marks it on scene again.
    const back = await waitFor('the unit back on scene', async () => {
      const d = (await call(s.url, disp, 'GET', `/api/cases/${c0.id}`)).json as CaseDetail;
      return d.timeline.filter((e) => e.action === 'arrive').length === 2 ? d : undefined;
    }, 60_000, 250);
    expect(back.stage).toBe('handling');
    expect(back.timeline.filter((e) => e.action === 'arrive').map((e) => e.actor)).toEqual(['system', 'system']);
  });
});
