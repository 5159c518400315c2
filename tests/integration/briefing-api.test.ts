/**
 * GET /api/briefing and GET /api/party on the real server (simulator off, so the only cases
 * are this test's): three cases reported over the API in one street, two registered, one run
 * to closure; the briefing counts them where they happened, under the roles that may read it,
 * and refuses malformed queries with a 400 naming the field. The party panel's members on duty
 * match the live staff entities, read independently here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseAssignment } from '../../shared/cases.ts';
import type { BriefingResponse } from '../../shared/schemas/briefing.ts';
import type { PartyResponse } from '../../shared/schemas/party.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { SYSTEM_ACTOR } from '../../server/ops/ports.ts';
import { call, login } from './ops-http.ts';
import { lixiaPack, startServer, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'admin-password-for-tests';
let s: RunningServer;
let admin: string, disp: string, lead: string, wall: string;
let street: string;

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD });
  await s.app.store.access.createUser('disp1', await hashPassword('dispatcher-password'), 'dispatcher');
  await s.app.store.access.createUser('lead1', await hashPassword('leader-password-1'), 'leader');
  admin = await login(s.url, 'admin', ADMIN_PASSWORD);
  disp = await login(s.url, 'disp1', 'dispatcher-password');
  lead = await login(s.url, 'lead1', 'leader-password-1');
  wall = s.firstStart!.wallToken;

  const g = (await lixiaPack()).grids.features[500]!;
  const ring = g.geometry.coordinates[0]!;
  const at = { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 };
  street = g.properties.streetCode;
  // 井盖缺失 (an emergency, 1-day small matter, 区公用事业) three times; two registered; the first run to closure.
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(s.url, disp, 'POST', '/api/cases', { source: 'roadChief', itemCode: '15.01.001', ...at });
    expect(r.status).toBe(201);
    ids.push(r.json.id);
  }
  for (const id of ids.slice(0, 2)) expect((await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'register' })).status).toBe(200);
  const id = ids[0]!;
  const assignment: CaseAssignment = { unitId: 'veh-0001', unitName: '鲁A·洗扫01', dispatchedTs: Date.now(), etaTs: Date.now() + 240_000, route: [[at.lon, at.lat]], arrivedTs: null, by: 'disp1' };
  await s.app.cases.dispatch(id, assignment, { name: 'disp1', role: 'dispatcher' }, {});
  await s.app.cases.unitStep(id, 'arrive', SYSTEM_ACTOR, { unitId: 'veh-0001' });
  await s.app.cases.feedback(id, { name: 'veh-0001', role: 'field' }, { note: '已处理' });
  expect((await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'verifyPass' })).status).toBe(200);
  expect((await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'close' })).json.stage).toBe('closed');
});
afterAll(async () => s?.close());

describe('GET /api/briefing', () => {
  it('counts this test\'s cases in their street, ranks all 13 streets and 12 departments, and explains every figure', async () => {
    // week, not today: a run at local midnight still finds the cases inside the period.
    const r = await call(s.url, lead, 'GET', '/api/briefing?period=week');
    expect(r.status).toBe(200);
    const b = r.json as BriefingResponse;
    expect(b.district).toBe('济南市历下区');
    expect(b.period.kind).toBe('week');
    expect(b.period.to - b.period.from).toBe(b.previous.to - b.previous.from);
    const kpi = (key: string) => b.kpis.find((k) => k.key === key)!;
    expect(kpi('reported')).toEqual({ key: 'reported', value: 3, previous: 0 });
    expect(kpi('registered').value).toBe(2);
    expect(kpi('closed').value).toBe(1);
    // Nothing is due yet (a day to close): the rates have nothing to count.
    expect(kpi('closureRate').value).toBeNull();
    expect(kpi('arrivalCompliance').value).toBe(1);
    expect(b.streets).toHaveLength(13);
    expect(b.departments).toHaveLength(12);
    for (const row of b.streets) expect(row.registered, row.name).toBe(row.code === street ? 2 : 0);
    expect(b.streets.every((row) => row.due === 0 && row.closureRate === null)).toBe(true);
    expect(b.departments.find((d) => d.code === '370102D12')!.registered).toBe(2);
    expect(b.trend.bucket).toBe('day');
    expect(b.trend.labels).toHaveLength(7);
    expect(b.trend.reported.reduce((a, n) => a + n, 0)).toBe(3);
    expect(b.trend.closed.reduce((a, n) => a + n, 0)).toBe(1);
    expect(b.compliance.arrival).toEqual({ met: 1, total: 1, rate: 1 });
    expect(new Set(b.muck.map((m) => m.company)).size).toBe(b.muck.length);
    expect(b.muck.reduce((a, m) => a + m.trucks, 0)).toBe((await lixiaPack()).muckTrucks.length);
    for (const key of ['registered', 'closureRate', 'onTimeClosureRate', 'onTimeDispatchRate', 'reworkRate']) {
      expect(b.definitions.find((d) => d.key === key)?.definition, key).toBeTruthy();
    }
  });

  it('is read by leaders, admins and the duty desk; not by a wall or nobody', async () => {
    expect((await call(s.url, admin, 'GET', '/api/briefing?period=today')).status).toBe(200);
    expect((await call(s.url, disp, 'GET', '/api/briefing')).json.period.kind).toBe('yesterday');
    expect((await call(s.url, wall, 'GET', '/api/briefing')).status).toBe(403);
    expect((await call(s.url, undefined, 'GET', '/api/briefing')).status).toBe(401);
  });

  it('refuses malformed queries with a 400 naming the field', async () => {
    const bad = async (query: string, field: RegExp) => {
      const r = await call(s.url, lead, 'GET', `/api/briefing?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.json.error.code).toBe('bad_request');
      expect(`${r.json.error.message} ${JSON.stringify(r.json.error.details ?? '')}`, query).toMatch(field);
    };
    await bad('period=fortnight', /period/);
    await bad('period=custom&from=2026-11-01', /^to: required/);
    await bad('period=custom&to=2026-11-01', /^from: required/);
    await bad('period=custom&from=1.11.2026&to=2026-11-02', /from/);
    await bad('period=custom&from=2026-02-30&to=2026-03-02', /^from: 2026-02-30 is not a calendar date/);
    await bad('period=custom&from=2026-11-02&to=2026-11-01', /^to: /);
    await bad('period=custom&from=2025-01-01&to=2025-12-31', /^to: the period is 365 days/);
    await bad('period=week&from=2026-11-01', /^from: only with period=custom/);
    await bad('period=week&street=1', /street|additional/);
  });
});

describe('GET /api/party', () => {
  it('gives the wall the branches, the pioneer posts and the members on duty by street, as the live staff are', async () => {
    const r = await call(s.url, wall, 'GET', '/api/party');
    expect(r.status).toBe(200);
    const p = r.json as PartyResponse;
    const party = (await lixiaPack()).party!;
    expect(p.configured).toBe(true);
    expect(p.streets).toHaveLength(13);
    expect(p.totals).toMatchObject({ branches: party.branches.length, members: party.members.length, posts: party.posts.length });
    // Independently: the staff entities of the members that are on shift (or calling SOS) now.
    const onDuty = party.members.filter((m) => ['onDuty', 'sos'].includes(String(s.app.live.get(m.staffId)?.status)));
    expect(p.totals.onDuty).toBe(onDuty.length);
    for (const row of p.streets) expect(row.onDuty, row.name).toBe(onDuty.filter((m) => m.streetCode === row.code).length);
    expect(p.onDuty.map((m) => m.id).sort()).toEqual(onDuty.map((m) => m.id).sort());
    expect(p.posts[0]).toMatchObject({ name: expect.stringMatching(/先锋驿站$/), services: expect.any(Array) });

    // A member's staff coming on and going off shift is seen at once.
    const member = party.members[0]!;
    const dutyIds = async () => ((await call(s.url, wall, 'GET', '/api/party')).json as PartyResponse).onDuty.map((m) => m.id);
    expect(s.app.ingest.submit({ source: 'sim', deviceId: member.staffId, ts: Date.now() - 2000, status: 'onDuty' })).toMatchObject({ accepted: true });
    expect(await dutyIds()).toContain(member.id);
    expect(s.app.ingest.submit({ source: 'sim', deviceId: member.staffId, ts: Date.now() - 1000, status: 'offDuty' })).toMatchObject({ accepted: true });
    expect(await dutyIds()).not.toContain(member.id);
  });

  it('filters by street and refuses an unknown one naming the field', async () => {
    const one = (await call(s.url, lead, 'GET', `/api/party?street=${street}`)).json as PartyResponse;
    expect(one.streets.map((x) => x.code)).toEqual([street]);
    expect(one.posts.every((x) => x.streetCode === street)).toBe(true);
    const bad = await call(s.url, lead, 'GET', '/api/party?street=370102099');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^street: /);
    const malformed = await call(s.url, lead, 'GET', '/api/party?street=abc');
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.json.error)).toContain('street');
    expect((await call(s.url, undefined, 'GET', '/api/party')).status).toBe(401);
  });

  it('both routes are in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/briefing', '/api/party']));
  });
});
