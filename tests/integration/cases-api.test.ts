import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import exifr from 'exifr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseAssignment, CaseDetail, CaseSummary } from '../../shared/cases.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { SYSTEM_ACTOR } from '../../server/ops/ports.ts';
import { lixiaPack, startServer, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'admin-password-for-tests';
const ENV = { SIM_ENABLED: 'false', ADMIN_PASSWORD, PHOTO_MAX_BYTES: '4096' };

let s: RunningServer;
let admin: string, disp: string, lead: string, wall: string;
/** A grid of the pack and its centre: the case must be located in exactly this grid, community and street. */
let place: { lon: number; lat: number; gridId: string; communityCode: string; streetCode: string };

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function upload(token: string, caseId: number, body: Buffer, contentType: string, phase = 'before') {
  const res = await fetch(`${s.url}/api/cases/${caseId}/photos?phase=${phase}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: new Uint8Array(body) });
  return { status: res.status, json: (await res.json()) as any };
}

const JPEG = readFileSync(new URL('../fixtures/photos/street-96x64.jpg', import.meta.url));
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);

beforeAll(async () => {
  s = await startServer(ENV);
  const pack = await lixiaPack();
  const g = pack.grids.features[500]!;
  const ring = g.geometry.coordinates[0]!;
  place = { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2, gridId: g.properties.id, communityCode: g.properties.communityCode, streetCode: g.properties.streetCode };
  await s.app.store.access.createUser('disp1', await hashPassword('dispatcher-password'), 'dispatcher');
  await s.app.store.access.createUser('lead1', await hashPassword('leader-password-1'), 'leader');
  admin = await login('admin', ADMIN_PASSWORD);
  disp = await login('disp1', 'dispatcher-password');
  lead = await login('lead1', 'leader-password-1');
  wall = s.firstStart!.wallToken;
});
afterAll(async () => s?.close());

const newCase = (extra: Record<string, unknown> = {}) => ({ source: 'roadChief', itemCode: '15.01.001', lon: place.lon, lat: place.lat, address: '经十路 1 号', ...extra });

describe('cases API', () => {
  let lifeId = 0;

  it('serves the taxonomy and the 25 organisations to any signed-in role', async () => {
    const t = await call(wall, 'GET', '/api/taxonomy');
    expect(t.status).toBe(200);
    expect(t.json.items.filter((i: { roadChecklist: boolean }) => i.roadChecklist)).toHaveLength(142);
    const o = await call(wall, 'GET', '/api/organisations');
    expect(o.json.filter((x: { type: string }) => x.type === 'street')).toHaveLength(13);
    expect(o.json.filter((x: { type: string }) => x.type === 'department')).toHaveLength(12);
    expect((await fetch(`${s.url}/api/taxonomy`)).status).toBe(401);
  });

  it('documents every cases route in /docs under the cases tag', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op.tags] as const));
    expect(ops.filter(([, tags]) => tags?.includes('cases')).map(([k]) => k).sort()).toEqual([
      'GET /api/cases', 'GET /api/cases/{id}', 'GET /api/cases/{id}/photos/{photoId}', 'GET /api/organisations', 'GET /api/taxonomy', 'GET /media/photos/{caseId}/{photoId}',
      'POST /api/cases', 'POST /api/cases/{id}/photos', 'POST /api/cases/{id}/requests', 'POST /api/cases/{id}/requests/{rid}/decision',
      'POST /api/cases/{id}/resume', 'POST /api/cases/{id}/transitions',
    ]);
  });

  it('runs a case through its whole life, each step by its role, in timeline order', async () => {
    const r = await call(disp, 'POST', '/api/cases', newCase());
    expect(r.status).toBe(201);
    const c = r.json as CaseDetail;
    lifeId = c.id;
    expect(c.code).toMatch(/^LX-\d{8}-0001$/);
    expect(c).toMatchObject({ stage: 'reported', emergency: true, difficulty: 'small', version: 1, reportedBy: 'disp1', assignedOrg: '370102D12', clocks: [] });
    expect(c.location).toEqual({ lon: place.lon, lat: place.lat, streetCode: place.streetCode, communityCode: place.communityCode, gridId: place.gridId, address: '经十路 1 号' });

    const reg = await call(disp, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register', version: 1 });
    expect(reg.status).toBe(200);
    expect(reg.json).toMatchObject({ stage: 'registered', version: 2 });

    const assignment: CaseAssignment = { unitId: 'veh-0001', unitName: '鲁A·洗扫01', dispatchedTs: Date.now(), etaTs: Date.now() + 240_000, route: [[place.lon, place.lat]], arrivedTs: null, by: 'disp1' };
    expect((await s.app.cases.dispatch(c.id, assignment, { name: 'disp1', role: 'dispatcher' }, { version: 2 })).stage).toBe('dispatched');
    const arrived = await s.app.cases.unitStep(c.id, 'arrive', SYSTEM_ACTOR, { unitId: 'veh-0001' });
    expect(arrived.stage).toBe('handling');
    expect(arrived.assignment!.arrivedTs).toBeGreaterThan(0);
    expect((await s.app.cases.feedback(c.id, { name: 'veh-0001', role: 'field' }, { note: '井盖已更换' })).stage).toBe('fedBack');

    const v = (await call(disp, 'GET', `/api/cases/${c.id}`)).json.version as number;
    expect((await call(disp, 'POST', `/api/cases/${c.id}/transitions`, { action: 'verifyPass', version: v })).json.stage).toBe('verified');
    const closed = await call(disp, 'POST', `/api/cases/${c.id}/transitions`, { action: 'close' });
    expect(closed.json).toMatchObject({ stage: 'closed' });
    expect(closed.json.closedTs).toBeGreaterThan(0);
    const ev = await call(lead, 'POST', `/api/cases/${c.id}/transitions`, { action: 'evaluate', score: 5, note: '及时' });
    expect(ev.status).toBe(200);
    expect(ev.json.evaluation).toMatchObject({ score: 5, comment: '及时', by: 'lead1' });

    const d = (await call(wall, 'GET', `/api/cases/${c.id}`)).json as CaseDetail;
    expect(d.timeline.map((e) => [e.action, e.actor, e.actorRole, e.fromStage, e.toStage])).toEqual([
      ['report', 'disp1', 'dispatcher', null, 'reported'],
      ['register', 'disp1', 'dispatcher', 'reported', 'registered'],
      ['dispatch', 'disp1', 'dispatcher', 'registered', 'dispatched'],
      ['arrive', 'system', 'system', 'dispatched', 'handling'],
      // The SLA clocks (server/sla) record their ends: the 7-minute arrival, then the closure.
      ['clockMet', 'system', 'system', 'handling', 'handling'],
      ['feedback', 'veh-0001', 'field', 'handling', 'fedBack'],
      ['verifyPass', 'disp1', 'dispatcher', 'fedBack', 'verified'],
      ['close', 'disp1', 'dispatcher', 'verified', 'closed'],
      ['clockMet', 'system', 'system', 'closed', 'closed'],
      ['evaluate', 'lead1', 'leader', 'closed', 'evaluated'],
    ]);
    expect(d.timeline.map((e) => e.ts)).toEqual([...d.timeline.map((e) => e.ts)].sort((a, b) => a - b));
    const audit = (await s.app.store.audit.recent(50)).filter((a) => a.target === `case:${c.id}`).map((a) => a.action).reverse();
    expect(audit).toEqual(['case.report', 'case.register', 'case.verifyPass', 'case.close', 'case.evaluate']);
  });

  it('refuses an invalid transition with 409 and the reason, and a wall or wrong role with 403', async () => {
    const c = (await call(disp, 'POST', '/api/cases', newCase({ itemCode: '11.01.001' }))).json as CaseDetail;
    const bad = await call(disp, 'POST', `/api/cases/${c.id}/transitions`, { action: 'close' });
    expect(bad.status).toBe(409);
    expect(bad.json.error.code).toBe('invalid_transition');
    expect(bad.json.error.message).toContain('stage reported');
    expect((await call(wall, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register' })).status).toBe(403);
    const leaderRegisters = await call(lead, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register' });
    expect(leaderRegisters.status).toBe(403);
    expect(leaderRegisters.json.error.message).toContain('role leader may not register');
  });

  it('two people acting on the same version at once: exactly one wins, the other gets 409 conflict', async () => {
    const c = (await call(disp, 'POST', '/api/cases', newCase())).json as CaseDetail;
    const both = await Promise.all([
      call(disp, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register', version: 1 }),
      call(admin, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register', version: 1, itemCode: '15.01.003' }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = both.find((r) => r.status === 409)!;
    expect(loser.json.error).toEqual({ code: 'conflict', message: 'case changed since you loaded it (version 1, now 2)' });
    expect((await call(disp, 'GET', `/api/cases/${c.id}`)).json.timeline.filter((e: { action: string }) => e.action === 'register')).toHaveLength(1);
  });

  it('takes exception requests, decided by a leader who did not ask', async () => {
    const c = (await call(disp, 'POST', '/api/cases', newCase({ register: true }))).json as CaseDetail;
    const asked = await call(lead, 'POST', `/api/cases/${c.id}/requests`, { kind: 'suspension', reason: '等待燃气公司' });
    expect(asked.status).toBe(201);
    const rid = asked.json.requests[0].id as number;
    const own = await call(lead, 'POST', `/api/cases/${c.id}/requests/${rid}/decision`, { approve: true });
    expect(own.status).toBe(403);
    expect((await call(disp, 'POST', `/api/cases/${c.id}/requests/${rid}/decision`, { approve: true })).status).toBe(403);
    const ok = await call(admin, 'POST', `/api/cases/${c.id}/requests/${rid}/decision`, { approve: true, note: '同意' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ suspended: true, stage: 'registered' });
    expect(ok.json.requests[0]).toMatchObject({ state: 'approved', decidedBy: 'admin', requestedBy: 'lead1' });
    const resumed = await call(disp, 'POST', `/api/cases/${c.id}/resume`, {});
    expect(resumed.json.suspended).toBe(false);
    expect(resumed.json.timeline.map((e: { action: string }) => e.action)).toEqual(['report', 'register', 'requestSuspension', 'approve', 'resume']);
    const noDays = await call(disp, 'POST', `/api/cases/${c.id}/requests`, { kind: 'extension', reason: '材料未到' });
    expect(noDays.status).toBe(400);
    expect(noDays.json.error.message).toContain('days');
  });

  it('stores photos checked by their bytes, and refuses the wrong type and the too large', async () => {
    const up = await upload(disp, lifeId, JPEG, 'image/jpeg');
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({ phase: 'before', contentType: 'image/jpeg', bytes: JPEG.length, by: 'disp1' });
    expect(readdirSync(join(s.dataDir, 'photos', String(lifeId)))).toEqual([`${up.json.id}.jpg`]);
    const got = await fetch(`${s.url}${up.json.url}`, { headers: { authorization: `Bearer ${wall}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await got.arrayBuffer()).equals(JPEG)).toBe(true);

    const lie = await upload(disp, lifeId, PNG, 'image/jpeg');
    expect(lie.status).toBe(415);
    expect(lie.json.error.message).toBe('the body is a image/png image but was declared as image/jpeg');
    const text = await upload(disp, lifeId, Buffer.from('hello, not an image'), 'text/plain');
    expect(text.status).toBe(415);
    const textAsPng = await upload(disp, lifeId, Buffer.from('hello, not an image'), 'image/png');
    expect(textAsPng.status).toBe(415);
    expect(textAsPng.json.error.message).toContain('not a JPEG, PNG or WebP image');
    const big = await upload(disp, lifeId, Buffer.concat([JPEG, Buffer.alloc(5000)]), 'image/jpeg');
    expect(big.status).toBe(413);
    expect(readdirSync(join(s.dataDir, 'photos', String(lifeId)))).toHaveLength(1);
    expect((await call(disp, 'GET', `/api/cases/${lifeId}`)).json.photos).toHaveLength(1);
  });

  it('strips where a phone photo was taken, and serves it through a signed link without a login', async () => {
    const phone = readFileSync(new URL('../fixtures/photos/phone-gps-96x64.jpg', import.meta.url));
    expect(await exifr.gps(phone)).toBeDefined();
    const up = await upload(disp, lifeId, phone, 'image/jpeg');
    expect(up.status).toBe(201);
    const stored = await fetch(`${s.url}${up.json.url}`, { headers: { authorization: `Bearer ${wall}` } });
    const bytes = Buffer.from(await stored.arrayBuffer());
    expect(await exifr.gps(bytes)).toBeUndefined();
    expect(bytes.includes(Buffer.from('PhoneCo'))).toBe(false);
    expect(up.json.bytes).toBe(bytes.length);

    const link = s.app.photoLinks.path(lifeId, up.json.id);
    const open = await fetch(`${s.url}${link}`);
    expect(open.status).toBe(200);
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes)).toBe(true);
    const tampered = await fetch(`${s.url}${link.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'))}`);
    expect(tampered.status).toBe(403);
    expect((await tampered.json()).error.message).toBe('this photo link is not valid (bad signature)');
    const otherCase = await fetch(`${s.url}${link.replace(`/media/photos/${lifeId}/`, `/media/photos/${lifeId + 1}/`)}`);
    expect(otherCase.status).toBe(403);
    expect((await fetch(`${s.url}/media/photos/${lifeId}/${up.json.id}`)).status).toBe(400);
  });

  it('refuses a point outside the district and a malformed body, naming the problem', async () => {
    const out = await call(disp, 'POST', '/api/cases', newCase({ lon: 116.9, lat: 36.65 }));
    expect(out.status).toBe(400);
    expect(out.json.error.message).toContain('outside the district 历下区');
    const noItem = await call(disp, 'POST', '/api/cases', { source: 'hotline', lon: place.lon, lat: place.lat });
    expect(noItem.status).toBe(400);
    expect(noItem.json.error.message).toContain('itemCode');
    const unknownItem = await call(disp, 'POST', '/api/cases', newCase({ itemCode: '99.99.999' }));
    expect(unknownItem.status).toBe(400);
    expect(unknownItem.json.error.message).toContain('unknown taxonomy item "99.99.999"');
  });

  it('lists open cases emergencies first, and filters', async () => {
    const list = (await call(wall, 'GET', '/api/cases?open=true')).json as CaseSummary[];
    expect(list.length).toBeGreaterThan(0);
    const firstNormal = list.findIndex((c) => !c.emergency);
    expect(firstNormal === -1 || list.slice(firstNormal).every((c) => !c.emergency)).toBe(true);
    expect(list.every((c) => c.stage !== 'evaluated')).toBe(true);
    const evaluated = (await call(wall, 'GET', '/api/cases?stage=evaluated')).json as CaseSummary[];
    expect(evaluated.map((c) => c.id)).toEqual([lifeId]);
    expect((await call(wall, 'GET', '/api/cases?limit=501')).status).toBe(400);
  });

  it('keeps cases, timelines and photos across a restart', async () => {
    const before = (await call(disp, 'GET', `/api/cases/${lifeId}`)).json as CaseDetail;
    const dataDir = s.dataDir;
    await s.close({ keepData: true });
    s = await startServer(ENV, dataDir);
    disp = await login('disp1', 'dispatcher-password');
    const after = (await call(disp, 'GET', `/api/cases/${lifeId}`)).json as CaseDetail;
    expect(after).toEqual(before);
    expect(existsSync(join(dataDir, 'photos', String(lifeId), `${before.photos[0]!.id}.jpg`))).toBe(true);
    const next = (await call(disp, 'POST', '/api/cases', newCase())).json as CaseDetail;
    expect(next.code.slice(-4)).toBe('0005');
  });
});
