/**
 * The field crew's phone API on the real server: a signed-in crew user (role field, bound to
 * its unit) drives its case through 处置 → 反馈 — accept, on my way, arrival detected from the
 * unit's own positions, an after-photo (retried with the same Idempotency-Key: one photo),
 * done — and every step in the timeline names the person. What a crew may not do: read or
 * photograph another unit's case, list all cases, act for another unit. Send-back (退回)
 * files a request; the unit's finished tasks of the day list the case.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../shared/cases.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { call, login, waitFor } from './ops-http.ts';
import { liveClient, lixiaPack, once, startServer, type RunningServer } from './server-harness.ts';

const ARRIVAL_RADIUS_M = 60;
const ENV = { SIM_ENABLED: 'false', ADMIN_PASSWORD: 'admin-password-for-field', DISPATCH_ARRIVAL_RADIUS_M: String(ARRIVAL_RADIUS_M) };
const UNIT_A = 'staff-0001';
const UNIT_B = 'staff-0002';
/** A real JPEG without metadata (tests/fixtures/photos/README.md): stored as sent. */
const JPEG = readFileSync(new URL('../fixtures/photos/street-96x64.jpg', import.meta.url));
/** ~1 m of latitude. */
const M_LAT = 1 / 111_320;

let s: RunningServer;
let disp: string, lead: string, crewA: string, crewB: string;
let caseA: CaseDetail, caseB: CaseDetail;
let placeA: { lon: number; lat: number };
let timeZone: string;

async function gridCentre(i: number): Promise<{ lon: number; lat: number }> {
  const ring = (await lixiaPack()).grids.features[i]!.geometry.coordinates[0]!;
  return { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 };
}

/** The unit reports where it is, as its phone or terminal would. */
function report(unitId: string, lon: number, lat: number, ts: number): void {
  const out = s.app.ingest.submit({ source: 'sim', deviceId: unitId, ts, pos: { lon, lat }, status: 'onDuty', attrs: { onDuty: true } });
  expect(out, `position of ${unitId}`).toMatchObject({ accepted: true });
}

async function uploadPhoto(token: string, caseId: number, key: string | undefined, body: Buffer = JPEG, phase = 'after'): Promise<{ status: number; json: any; replayed: string | null }> {
  const res = await fetch(`${s.url}/api/cases/${caseId}/photos?phase=${phase}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg', ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    body: new Uint8Array(body),
  });
  return { status: res.status, json: await res.json(), replayed: res.headers.get('idempotent-replayed') };
}

beforeAll(async () => {
  s = await startServer(ENV);
  timeZone = s.app.district.pack.meta.timezone;
  const { access } = s.app.store;
  access.createUser('f-disp', await hashPassword('dispatcher-password'), 'dispatcher');
  access.createUser('f-lead', await hashPassword('leader-password-1'), 'leader');
  access.createUser('wangfang', await hashPassword('crew-password-0a'), 'field', Date.now(), UNIT_A);
  access.createUser('lisi', await hashPassword('crew-password-0b'), 'field', Date.now(), UNIT_B);
  disp = await login(s.url, 'f-disp', 'dispatcher-password');
  lead = await login(s.url, 'f-lead', 'leader-password-1');
  crewA = await login(s.url, 'wangfang', 'crew-password-0a');
  crewB = await login(s.url, 'lisi', 'crew-password-0b');

  placeA = await gridCentre(500);
  const placeB = await gridCentre(300);
  const t0 = Date.now() - 60_000;
  // unit A 300 m north of its case, unit B 200 m north of its own
  report(UNIT_A, placeA.lon, placeA.lat + 300 * M_LAT, t0);
  report(UNIT_B, placeB.lon, placeB.lat + 200 * M_LAT, t0);
  const newCase = async (at: { lon: number; lat: number }, emergency: boolean) => {
    const r = await call(s.url, disp, 'POST', '/api/cases', { source: 'roadChief', itemCode: '15.01.001', ...at, address: '测试地址', emergency, register: true });
    expect(r.status).toBe(201);
    return r.json as CaseDetail;
  };
  caseA = await newCase(placeA, true);
  caseB = await newCase(placeB, false);
  for (const [c, unitId] of [[caseA, UNIT_A], [caseB, UNIT_B]] as const) {
    const d = await call(s.url, disp, 'POST', `/api/cases/${c.id}/dispatch`, { unitId });
    expect(d.status, JSON.stringify(d.json)).toBe(200);
  }
});
afterAll(async () => s?.close());

describe('a crew signs in and sees its unit', () => {
  it('the login names the unit, and the unit shows the task', async () => {
    const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'wangfang', password: 'crew-password-0a' }) });
    expect((await res.json()).user).toEqual({ username: 'wangfang', role: 'field', unitId: UNIT_A });
    const u = await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}`);
    expect(u.status).toBe(200);
    expect(u.json.task).toMatchObject({ caseId: caseA.id, code: caseA.code, emergency: true, address: '测试地址', arrivedTs: null, stage: 'dispatched' });
    expect(u.json.task.route.length).toBeGreaterThanOrEqual(2);
  });
});

describe('what a crew may not do', () => {
  it('list all cases, read or photograph another unit\'s case, act or read for another unit', async () => {
    const list = await call(s.url, crewA, 'GET', '/api/cases');
    expect(list.status).toBe(403);
    expect(list.json.error.code).toBe('forbidden');
    expect((await call(s.url, disp, 'GET', '/api/cases')).status).toBe(200);

    expect((await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`)).status).toBe(200);
    const other = await call(s.url, crewA, 'GET', `/api/cases/${caseB.id}`);
    expect(other.status).toBe(403);
    expect(other.json.error.message).toContain(UNIT_A);

    const photo = await uploadPhoto(crewA, caseB.id, 'key-for-case-b-0001');
    expect(photo.status).toBe(403);
    expect(caseDetail(await call(s.url, disp, 'GET', `/api/cases/${caseB.id}`)).photos).toEqual([]);

    for (const path of [`/api/units/${UNIT_B}/accept`, `/api/units/${UNIT_B}/en-route`]) {
      expect((await call(s.url, crewA, 'POST', path)).status, path).toBe(403);
    }
    expect((await call(s.url, crewA, 'POST', `/api/units/${UNIT_B}/done`, { note: 'x' })).status).toBe(403);
    expect((await call(s.url, crewA, 'POST', `/api/units/${UNIT_B}/send-back`, { reason: 'x' })).status).toBe(403);
    expect((await call(s.url, crewA, 'GET', `/api/units/${UNIT_B}/tasks`)).status).toBe(403);
    // nor the district's live stream, which carries every case
    const socket = liveClient(s.url, crewA);
    try {
      const err = await once<Error>((ok, fail) => {
        socket.once('connect_error', ok);
        socket.once('connect', () => fail(new Error('a crew was let onto the ops stream')));
      }, 10_000, 'the refusal');
      expect(err.message).toBe('forbidden');
    } finally {
      socket.close();
    }
    // the desk does not send back for a crew through the crew's route
    expect((await call(s.url, disp, 'POST', `/api/units/${UNIT_B}/send-back`, { reason: 'x' })).status).toBe(403);
  });
});

const caseDetail = (r: { json: unknown }) => r.json as CaseDetail;

describe('the crew drives its case through 处置 → 反馈', () => {
  let photoId: string;

  it('accepts once: a repeated accept is refused as already done, and the timeline names the person', async () => {
    const a = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/accept`);
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    expect(caseDetail(a).stage).toBe('handling');
    const again = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/accept`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('invalid_transition');
    const d = caseDetail(await call(s.url, disp, 'GET', `/api/cases/${caseA.id}`));
    expect(d.timeline.filter((e) => e.action === 'accept')).toEqual([
      expect.objectContaining({ actor: 'wangfang', actorRole: 'field', fromStage: 'dispatched', toStage: 'handling', data: expect.objectContaining({ unitId: UNIT_A }) }),
    ]);
  });

  it('is on its way, and arrives by its own positions', async () => {
    const e = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/en-route`);
    expect(e.status, JSON.stringify(e.json)).toBe(200);
    expect(s.app.dispatch.unit(UNIT_A)!.status).toBe('enRoute');
    // said once: a retry after a lost answer is refused, and the timeline has one enRoute
    const again = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/en-route`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('invalid_transition');
    expect(caseDetail(await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`)).timeline.filter((x) => x.action === 'enRoute')).toHaveLength(1);
    // walk south in steps under 100 m, a report a second, the last one 20 m from the case
    let ts = Date.now() - 10_000;
    for (const m of [220, 140, 90, 20]) report(UNIT_A, placeA.lon, placeA.lat + m * M_LAT, (ts += 1000));
    const task = await waitFor('the server to mark the unit on scene', async () => {
      const u = await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}`);
      return u.json.task?.arrivedTs ? u.json.task : undefined;
    }, 5000, 100);
    expect(task.stage).toBe('handling');
    expect(s.app.dispatch.unit(UNIT_A)!.status).toBe('onScene');
    const arrive = caseDetail(await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`)).timeline.find((x) => x.action === 'arrive');
    // the fix that put the unit within the radius is the 20 m one
    expect(arrive).toMatchObject({ actor: 'system', data: { unitId: UNIT_A, fixTs: ts, distanceM: 20 } });
  });

  it('uploads an after-photo once even when the upload is retried with the same key', async () => {
    const first = await uploadPhoto(crewA, caseA.id, 'field-photo-key-0001');
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.json).toMatchObject({ phase: 'after', by: 'wangfang', bytes: JPEG.length, contentType: 'image/jpeg' });
    photoId = first.json.id;
    const retry = await uploadPhoto(crewA, caseA.id, 'field-photo-key-0001');
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBe('true');
    expect(retry.json).toEqual(first.json);
    const d = caseDetail(await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`));
    expect(d.photos.map((p) => p.id)).toEqual([photoId]);
    expect(d.timeline.filter((e) => e.action === 'photo')).toHaveLength(1);

    // the same key for another photo is a conflict, not a silent replay
    const other = await uploadPhoto(crewA, caseA.id, 'field-photo-key-0001', Buffer.concat([JPEG, Buffer.alloc(10, 1)]));
    expect(other.status).toBe(409);
    expect(other.json.error.message).toContain('Idempotency-Key');
    const bad = await uploadPhoto(crewA, caseA.id, 'has space');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('Idempotency-Key');
    expect(caseDetail(await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`)).photos).toHaveLength(1);

    // the crew reads its own photo back
    const img = await fetch(`${s.url}/api/cases/${caseA.id}/photos/${photoId}`, { headers: { authorization: `Bearer ${crewA}` } });
    expect(img.status).toBe(200);
    expect(Buffer.from(await img.arrayBuffer()).equals(JPEG)).toBe(true);
    const foreign = await fetch(`${s.url}/api/cases/${caseA.id}/photos/${photoId}`, { headers: { authorization: `Bearer ${crewB}` } });
    expect(foreign.status).toBe(403);
  });

  it('reports it done with the note and the photo; the timeline tells each step with the person', async () => {
    const done = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/done`, { note: '井盖已更换，现场清理完毕', photoIds: [photoId] });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(caseDetail(done).stage).toBe('fedBack');
    expect(s.app.dispatch.unit(UNIT_A)!.status).toBe('returning');
    const d = caseDetail(await call(s.url, disp, 'GET', `/api/cases/${caseA.id}`));
    const steps = d.timeline.filter((e) => ['dispatch', 'accept', 'enRoute', 'arrive', 'photo', 'feedback'].includes(e.action)).map((e) => [e.action, e.actor, e.actorRole]);
    expect(steps).toEqual([
      ['dispatch', 'f-disp', 'dispatcher'], ['accept', 'wangfang', 'field'], ['enRoute', 'wangfang', 'field'],
      ['arrive', 'system', 'system'], ['photo', 'wangfang', 'field'], ['feedback', 'wangfang', 'field'],
    ]);
    expect(d.timeline.find((e) => e.action === 'feedback')).toMatchObject({ note: '井盖已更换，现场清理完毕', data: { unitId: UNIT_A, photoIds: [photoId] } });

    // done twice: the case already moved on
    const again = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/done`, { note: '再次提交', photoIds: [photoId] });
    expect(again.status).toBe(409);
    // a retried upload of the photo that landed is still answered with it; a new photo is refused now
    expect((await uploadPhoto(crewA, caseA.id, 'field-photo-key-0001')).status).toBe(200);
    const late = await uploadPhoto(crewA, caseA.id, 'field-photo-key-0002');
    expect(late.status).toBe(409);
    // the crew still reads the case it did; the unit is returning with the case fed back
    expect((await call(s.url, crewA, 'GET', `/api/cases/${caseA.id}`)).status).toBe(200);
    const u = (await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}`)).json;
    expect(u.status).toBe('returning');
    expect(u.task).toMatchObject({ caseId: caseA.id, stage: 'fedBack' });
  });

  it('lists the finished case among the unit\'s tasks of the district day', async () => {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const r = await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}/tasks`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ unitId: UNIT_A, day, timeZone });
    expect(r.json.tasks).toEqual([expect.objectContaining({
      caseId: caseA.id, code: caseA.code, emergency: true, stage: 'fedBack', by: 'wangfang', note: '井盖已更换，现场清理完毕', photos: 1, address: '测试地址',
    })]);
    expect((await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}/tasks?day=${day}`)).json.tasks).toHaveLength(1);
    // the desk reads it too
    expect((await call(s.url, lead, 'GET', `/api/units/${UNIT_A}/tasks?day=${day}`)).json.tasks).toHaveLength(1);
    const [y, m, dd] = day.split('-').map(Number) as [number, number, number];
    const dayBefore = new Date(Date.UTC(y, m - 1, dd - 1)).toISOString().slice(0, 10);
    expect((await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}/tasks?day=${dayBefore}`)).json.tasks).toEqual([]);
    // unit B finished nothing
    expect((await call(s.url, crewB, 'GET', `/api/units/${UNIT_B}/tasks`)).json.tasks).toEqual([]);
  });

  it('refuses a malformed day, naming it', async () => {
    for (const q of ['?day=2026-02-30', '?day=yesterday', '?day=2026-1-5', '?when=today']) {
      const r = await call(s.url, crewA, 'GET', `/api/units/${UNIT_A}/tasks${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code, q).toBe('bad_request');
      // the message names the field; an unknown one is named in the details
      expect(JSON.stringify(r.json.error), q).toContain(q.slice(1, q.indexOf('=')));
    }
  });
});

describe('send-back (退回)', () => {
  it('files a pending request by the person, once, with a reason', async () => {
    const noReason = await call(s.url, crewB, 'POST', `/api/units/${UNIT_B}/send-back`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.json.error.message).toContain('reason');
    const empty = await call(s.url, crewB, 'POST', `/api/units/${UNIT_B}/send-back`, { reason: '' });
    expect(empty.status).toBe(400);

    const r = await call(s.url, crewB, 'POST', `/api/units/${UNIT_B}/send-back`, { reason: '非本单位职责，需园林部门处理' });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const d = caseDetail(r);
    expect(d.id).toBe(caseB.id);
    expect(d.stage).toBe('dispatched');
    expect(d.requests).toEqual([expect.objectContaining({ kind: 'sendBack', state: 'pending', requestedBy: 'lisi', reason: '非本单位职责，需园林部门处理' })]);
    expect(d.timeline.at(-1)).toMatchObject({ action: 'requestSendBack', actor: 'lisi', actorRole: 'field', note: '非本单位职责，需园林部门处理' });

    const twice = await call(s.url, crewB, 'POST', `/api/units/${UNIT_B}/send-back`, { reason: '再次申请' });
    expect(twice.status).toBe(409);
    // a unit without a task has nothing to send back
    const none = await call(s.url, crewA, 'POST', `/api/units/${UNIT_A}/send-back`, { reason: '无任务' });
    expect(none.status).toBe(409);

    // the leader approves: the case is back at the desk (registered) and unit B is free
    const ok = await call(s.url, lead, 'POST', `/api/cases/${caseB.id}/requests/${d.requests[0]!.id}/decision`, { approve: true });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(caseDetail(ok).stage).toBe('registered');
  });
});
