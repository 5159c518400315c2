/**
 * A malformed-input sweep over the operations routes (cases, requests, decisions, dispatch,
 * the crews' unit steps, alarms, settings, photos) and the ops socket: every bad request gets
 * its 4xx with the error envelope {error:{code,message}}, never a 500, and the server keeps
 * serving afterwards.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../shared/cases.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { call, login, type Reply } from './ops-http.ts';
import { liveClient, lixiaPack, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'admin-password-malformed';
const PHOTO_MAX_BYTES = 4096;

let s: RunningServer;
let admin: string, disp: string, lead: string, crew1: string, crew2: string, wall: string;
let place: { lon: number; lat: number };
let caseId: number;
let requestId: number;
const sockets: LiveClient[] = [];

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD, PHOTO_MAX_BYTES: String(PHOTO_MAX_BYTES) });
  const { access } = s.app.store;
  access.createUser('m-disp', await hashPassword('dispatcher-password'), 'dispatcher');
  access.createUser('m-lead', await hashPassword('leader-password-1'), 'leader');
  access.createUser('m-crew1', await hashPassword('crew-password-01'), 'field', Date.now(), 'staff-0001');
  access.createUser('m-crew2', await hashPassword('crew-password-02'), 'field', Date.now(), 'staff-0002');
  admin = await login(s.url, 'admin', ADMIN_PASSWORD);
  disp = await login(s.url, 'm-disp', 'dispatcher-password');
  lead = await login(s.url, 'm-lead', 'leader-password-1');
  crew1 = await login(s.url, 'm-crew1', 'crew-password-01');
  crew2 = await login(s.url, 'm-crew2', 'crew-password-02');
  wall = s.firstStart!.wallToken;
  const ring = (await lixiaPack()).grids.features[500]!.geometry.coordinates[0]!;
  place = { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 };
  const c = await call(s.url, disp, 'POST', '/api/cases', { source: 'roadChief', itemCode: '15.01.001', ...place, register: true });
  expect(c.status).toBe(201);
  caseId = (c.json as CaseDetail).id;
  const r = await call(s.url, disp, 'POST', `/api/cases/${caseId}/requests`, { kind: 'extension', reason: '需协调', days: 2 });
  expect(r.status).toBe(201);
  requestId = (r.json as CaseDetail).requests[0]!.id;
});
afterAll(async () => {
  for (const c of sockets) c.close();
  await s?.close();
});

type Row = [label: string, token: () => string | undefined, method: string, path: () => string, body: unknown, status: number, code?: string];

const huge = 'x'.repeat(100_000);
const T = { none: () => undefined, admin: () => admin, disp: () => disp, lead: () => lead, crew1: () => crew1, crew2: () => crew2, wall: () => wall };

async function sweep(rows: Row[]): Promise<void> {
  const wrong: string[] = [];
  for (const [label, token, method, path, body, status, code] of rows) {
    const r: Reply = await call(s.url, token(), method, path(), body);
    const envelope = r.json && typeof r.json === 'object' && r.json.error && typeof r.json.error.code === 'string' && typeof r.json.error.message === 'string';
    if (r.status !== status || !envelope || (code !== undefined && r.json.error.code !== code)) {
      wrong.push(`${label}: ${method} ${path()} → ${r.status} ${JSON.stringify(r.json).slice(0, 200)} (expected ${status}${code ? ` ${code}` : ''})`);
    }
  }
  expect(wrong).toEqual([]);
}

const cs = () => `/api/cases/${caseId}`;
const newCase = { source: 'roadChief', itemCode: '15.01.001', lon: 117.05, lat: 36.65 };

describe('malformed input to the operations API', () => {
  it('POST /api/cases', async () => {
    await sweep([
      ['no token', T.none, 'POST', () => '/api/cases', newCase, 401, 'unauthorized'],
      ['wall', T.wall, 'POST', () => '/api/cases', newCase, 403, 'forbidden'],
      ['field', T.crew1, 'POST', () => '/api/cases', newCase, 403, 'forbidden'],
      ['missing source', T.disp, 'POST', () => '/api/cases', { itemCode: '15.01.001', lon: 117.05, lat: 36.65 }, 400, 'bad_request'],
      ['missing lon', T.disp, 'POST', () => '/api/cases', { source: 'roadChief', itemCode: '15.01.001', lat: 36.65 }, 400, 'bad_request'],
      ['unknown source', T.disp, 'POST', () => '/api/cases', { ...newCase, source: 'rumour' }, 400, 'bad_request'],
      ['source as number', T.disp, 'POST', () => '/api/cases', { ...newCase, source: 5 }, 400, 'bad_request'],
      ['lon as text', T.disp, 'POST', () => '/api/cases', { ...newCase, lon: 'east' }, 400, 'bad_request'],
      ['lon as boolean', T.disp, 'POST', () => '/api/cases', { ...newCase, lon: true }, 400, 'bad_request'],
      ['lon null', T.disp, 'POST', () => '/api/cases', { ...newCase, lon: null }, 400, 'bad_request'],
      ['lon out of range', T.disp, 'POST', () => '/api/cases', { ...newCase, lon: -500 }, 400, 'bad_request'],
      ['point outside the district', T.disp, 'POST', () => '/api/cases', { ...newCase, lon: 0.5, lat: 0.5 }, 400, 'outside_district'],
      ['NaN (not JSON)', T.disp, 'POST', () => '/api/cases', '{"source":"roadChief","itemCode":"15.01.001","lon":NaN,"lat":36.65}', 400],
      ['broken JSON', T.disp, 'POST', () => '/api/cases', '{"source":', 400],
      ['array body', T.disp, 'POST', () => '/api/cases', [newCase], 400, 'bad_request'],
      ['unknown item', T.disp, 'POST', () => '/api/cases', { ...newCase, itemCode: '99.99.999' }, 400],
      ['unknown field', T.disp, 'POST', () => '/api/cases', { ...newCase, priority: 'high' }, 400, 'bad_request'],
      ['huge description', T.disp, 'POST', () => '/api/cases', { ...newCase, description: huge }, 400, 'bad_request'],
      ['huge body', T.disp, 'POST', () => '/api/cases', { ...newCase, description: 'y'.repeat(300 * 1024) }, 413, 'body_too_large'],
      ['emergency as text', T.disp, 'POST', () => '/api/cases', { ...newCase, emergency: 'maybe' }, 400, 'bad_request'],
      ['negative alarm id', T.disp, 'POST', () => '/api/cases', { ...newCase, alarmId: -3 }, 400, 'bad_request'],
    ]);
  });

  it('transitions, requests, decisions, resume', async () => {
    await sweep([
      ['no token', T.none, 'POST', () => `${cs()}/transitions`, { action: 'note', note: 'x' }, 401],
      ['wall', T.wall, 'POST', () => `${cs()}/transitions`, { action: 'note', note: 'x' }, 403, 'forbidden'],
      ['field', T.crew1, 'POST', () => `${cs()}/transitions`, { action: 'note', note: 'x' }, 403, 'forbidden'],
      ['unknown action', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'explode' }, 400, 'bad_request'],
      ['dispatch is not a transition', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'dispatch' }, 400, 'bad_request'],
      ['missing action', T.disp, 'POST', () => `${cs()}/transitions`, { note: 'x' }, 400, 'bad_request'],
      ['empty body', T.disp, 'POST', () => `${cs()}/transitions`, undefined, 400],
      ['version negative', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'note', version: -1 }, 400, 'bad_request'],
      ['version fractional', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'note', version: 1.5 }, 400, 'bad_request'],
      ['version as text', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'note', version: 'two' }, 400, 'bad_request'],
      ['version stale', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'register', version: 1 }, 409],
      ['score out of range', T.lead, 'POST', () => `${cs()}/transitions`, { action: 'evaluate', score: 9 }, 400, 'bad_request'],
      ['huge note', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'note', note: huge }, 400, 'bad_request'],
      ['unknown field', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'note', note: 'x', urgent: true }, 400, 'bad_request'],
      ['invalid step', T.disp, 'POST', () => `${cs()}/transitions`, { action: 'close' }, 409, 'invalid_transition'],
      ['unknown case', T.disp, 'POST', () => '/api/cases/999999/transitions', { action: 'note', note: 'x' }, 404, 'not_found'],
      ['case id text', T.disp, 'POST', () => '/api/cases/abc/transitions', { action: 'note', note: 'x' }, 400, 'bad_request'],
      ['case id zero', T.disp, 'POST', () => '/api/cases/0/transitions', { action: 'note', note: 'x' }, 400, 'bad_request'],
      ['case id negative', T.disp, 'POST', () => '/api/cases/-4/transitions', { action: 'note', note: 'x' }, 400, 'bad_request'],
      // an id no row can have is simply not there
      ['case id beyond 2^53', T.disp, 'POST', () => '/api/cases/99999999999999999999/transitions', { action: 'note', note: 'x' }, 404, 'not_found'],
      ['GET case id beyond 2^53', T.disp, 'GET', () => '/api/cases/99999999999999999999', undefined, 404, 'not_found'],
      ['GET case id fractional', T.disp, 'GET', () => '/api/cases/1.5', undefined, 400, 'bad_request'],

      ['request: unknown kind', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'holiday', reason: 'x' }, 400, 'bad_request'],
      ['request: empty reason', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'void', reason: '' }, 400, 'bad_request'],
      ['request: missing reason', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'void' }, 400, 'bad_request'],
      ['request: days negative', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'extension', reason: 'x', days: -2 }, 400, 'bad_request'],
      ['request: days huge', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'extension', reason: 'x', days: 1e9 }, 400, 'bad_request'],
      ['request: huge reason', T.disp, 'POST', () => `${cs()}/requests`, { kind: 'void', reason: huge }, 400, 'bad_request'],
      ['request: wall', T.wall, 'POST', () => `${cs()}/requests`, { kind: 'void', reason: 'x' }, 403, 'forbidden'],
      ['request: unknown case', T.disp, 'POST', () => '/api/cases/999999/requests', { kind: 'void', reason: 'x' }, 404, 'not_found'],

      ['decision: approve as text', T.lead, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: 'yes' }, 400, 'bad_request'],
      ['decision: approve null', T.lead, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: null }, 400, 'bad_request'],
      ['decision: approve as 1', T.lead, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: 1 }, 400, 'bad_request'],
      ['decision: missing approve', T.lead, 'POST', () => `${cs()}/requests/${requestId}/decision`, {}, 400, 'bad_request'],
      ['decision: unknown field', T.lead, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: true, days: 3 }, 400, 'bad_request'],
      ['decision: unknown request', T.lead, 'POST', () => `${cs()}/requests/999999/decision`, { approve: true }, 404, 'not_found'],
      ['decision: rid text', T.lead, 'POST', () => `${cs()}/requests/first/decision`, { approve: true }, 400, 'bad_request'],
      ['decision: wall', T.wall, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: true }, 403, 'forbidden'],
      ['decision: crew', T.crew1, 'POST', () => `${cs()}/requests/${requestId}/decision`, { approve: true }, 403, 'forbidden'],

      ['resume: not suspended', T.disp, 'POST', () => `${cs()}/resume`, {}, 409],
      ['resume: unknown field', T.disp, 'POST', () => `${cs()}/resume`, { hours: 2 }, 400, 'bad_request'],
    ]);
    // the request is still pending: none of the malformed decisions was applied
    const d = (await call(s.url, disp, 'GET', cs())).json as CaseDetail;
    expect(d.requests.find((r) => r.id === requestId)!.state).toBe('pending');
  });

  it('dispatch, reassign, release and the units\' own steps', async () => {
    await sweep([
      ['dispatch: no token', T.none, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001' }, 401],
      ['dispatch: wall', T.wall, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001' }, 403, 'forbidden'],
      ['dispatch: leader', T.lead, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001' }, 403, 'forbidden'],
      ['dispatch: crew', T.crew1, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001' }, 403, 'forbidden'],
      ['dispatch: missing unit', T.disp, 'POST', () => `${cs()}/dispatch`, {}, 400, 'bad_request'],
      ['dispatch: unit as number', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: 17 }, 400, 'bad_request'],
      ['dispatch: unit null', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: null }, 400, 'bad_request'],
      ['dispatch: unit empty', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: '' }, 400, 'bad_request'],
      ['dispatch: unit huge', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: huge }, 400, 'bad_request'],
      ['dispatch: unknown unit', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: 'veh-9999' }, 404, 'not_found'],
      ['dispatch: a bin is no unit', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: 'bin-0001' }, 404, 'not_found'],
      ['dispatch: version negative', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001', version: -1 }, 400, 'bad_request'],
      ['dispatch: unknown field', T.disp, 'POST', () => `${cs()}/dispatch`, { unitId: 'staff-0001', priority: 1 }, 400, 'bad_request'],
      ['dispatch: unknown case', T.disp, 'POST', () => '/api/cases/999999/dispatch', { unitId: 'staff-0001' }, 404, 'not_found'],
      ['dispatch: case id text', T.disp, 'POST', () => '/api/cases/x/dispatch', { unitId: 'staff-0001' }, 400, 'bad_request'],
      ['recommendations: limit 0', T.disp, 'GET', () => `${cs()}/recommendations?limit=0`, undefined, 400, 'bad_request'],
      ['recommendations: limit text', T.disp, 'GET', () => `${cs()}/recommendations?limit=many`, undefined, 400, 'bad_request'],
      ['recommendations: unknown case', T.disp, 'GET', () => '/api/cases/999999/recommendations', undefined, 404, 'not_found'],
      ['recommendations: wall', T.wall, 'GET', () => `${cs()}/recommendations`, undefined, 403, 'forbidden'],

      ['reassign: missing reason', T.disp, 'POST', () => `${cs()}/reassign`, { unitId: 'staff-0001' }, 400, 'bad_request'],
      ['reassign: empty reason', T.disp, 'POST', () => `${cs()}/reassign`, { unitId: 'staff-0001', reason: '' }, 400, 'bad_request'],
      ['reassign: huge reason', T.disp, 'POST', () => `${cs()}/reassign`, { unitId: 'staff-0001', reason: huge }, 400, 'bad_request'],
      ['reassign: nothing to reassign', T.disp, 'POST', () => `${cs()}/reassign`, { unitId: 'staff-0001', reason: 'x' }, 409],
      ['reassign: wall', T.wall, 'POST', () => `${cs()}/reassign`, { unitId: 'staff-0001', reason: 'x' }, 403, 'forbidden'],
      ['release: no unit', T.disp, 'POST', () => `${cs()}/release`, { reason: 'x' }, 409, 'invalid_transition'],
      ['release: reason as array', T.disp, 'POST', () => `${cs()}/release`, { reason: ['x'] }, 400, 'bad_request'],
      ['release: unknown case', T.disp, 'POST', () => '/api/cases/999999/release', { reason: 'x' }, 404, 'not_found'],

      ['accept: no task', T.crew1, 'POST', () => '/api/units/staff-0001/accept', undefined, 409, 'invalid_transition'],
      ['accept: another unit\'s crew', T.crew2, 'POST', () => '/api/units/staff-0001/accept', undefined, 403, 'forbidden'],
      ['en-route: another unit\'s crew', T.crew2, 'POST', () => '/api/units/staff-0001/en-route', undefined, 403, 'forbidden'],
      ['done: another unit\'s crew', T.crew2, 'POST', () => '/api/units/staff-0001/done', { note: '已处置' }, 403, 'forbidden'],
      ['accept: wall', T.wall, 'POST', () => '/api/units/staff-0001/accept', undefined, 403, 'forbidden'],
      ['accept: leader', T.lead, 'POST', () => '/api/units/staff-0001/accept', undefined, 403, 'forbidden'],
      ['accept: unknown unit', T.disp, 'POST', () => '/api/units/nobody/accept', undefined, 404, 'not_found'],
      ['accept: unit id too long', T.disp, 'POST', () => `/api/units/${'u'.repeat(65)}/accept`, undefined, 400, 'bad_request'],
      ['done: missing note', T.crew1, 'POST', () => '/api/units/staff-0001/done', {}, 400, 'bad_request'],
      ['done: empty note', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: '' }, 400, 'bad_request'],
      ['done: note as number', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: 42 }, 400, 'bad_request'],
      ['done: huge note', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: huge }, 400, 'bad_request'],
      ['done: photos not an array', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: 'x', photoIds: 'p1' }, 400, 'bad_request'],
      ['done: too many photos', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: 'x', photoIds: Array.from({ length: 11 }, (_, i) => `p${i}`) }, 400, 'bad_request'],
      ['done: unknown field', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: 'x', rating: 5 }, 400, 'bad_request'],
      ['done: no task', T.crew1, 'POST', () => '/api/units/staff-0001/done', { note: 'x' }, 409, 'invalid_transition'],
      ['unit: another unit\'s crew reads', T.crew2, 'GET', () => '/api/units/staff-0001', undefined, 403, 'forbidden'],
      ['unit: unknown', T.disp, 'GET', () => '/api/units/nobody', undefined, 404, 'not_found'],
      ['units: unknown status', T.disp, 'GET', () => '/api/units?status=sleeping', undefined, 400, 'bad_request'],
      ['units: unknown filter', T.disp, 'GET', () => '/api/units?colour=red', undefined, 400, 'bad_request'],
    ]);
    expect(s.app.dispatch.unit('staff-0001')!.caseId).toBeNull();
  });

  it('alarms and the settings', async () => {
    const alarmSettings = (await call(s.url, admin, 'GET', '/api/alarm-settings')).json;
    const sla = (await call(s.url, admin, 'GET', '/api/sla-settings')).json;
    const put = (settings: unknown, version: unknown = alarmSettings.version) => ({ settings, version });
    await sweep([
      ['ack: unknown alarm', T.disp, 'POST', () => '/api/alarms/999999/ack', {}, 404, 'not_found'],
      ['ack: id text', T.disp, 'POST', () => '/api/alarms/first/ack', {}, 400, 'bad_request'],
      ['ack: id beyond 2^53', T.disp, 'POST', () => '/api/alarms/99999999999999999999/ack', {}, 404, 'not_found'],
      ['ack: version text', T.disp, 'POST', () => '/api/alarms/1/ack', { version: 'v1' }, 400, 'bad_request'],
      ['ack: unknown field', T.disp, 'POST', () => '/api/alarms/1/ack', { note: 'seen' }, 400, 'bad_request'],
      ['ack: wall', T.wall, 'POST', () => '/api/alarms/1/ack', {}, 403, 'forbidden'],
      ['ack: leader', T.lead, 'POST', () => '/api/alarms/1/ack', {}, 403, 'forbidden'],
      ['ack: crew', T.crew1, 'POST', () => '/api/alarms/1/ack', {}, 403, 'forbidden'],
      ['clear: unknown alarm, no body', T.disp, 'POST', () => '/api/alarms/999999/clear', undefined, 404, 'not_found'],
      ['ack: unknown alarm, no body', T.disp, 'POST', () => '/api/alarms/999999/ack', undefined, 404, 'not_found'],
      ['ack: null body', T.disp, 'POST', () => '/api/alarms/1/ack', 'null', 400],
      ['clear: array body', T.disp, 'POST', () => '/api/alarms/1/clear', [1], 400, 'bad_request'],
      ['list: limit 0', T.disp, 'GET', () => '/api/alarms?limit=0', undefined, 400, 'bad_request'],
      ['list: since negative', T.disp, 'GET', () => '/api/alarms?since=-5', undefined, 400, 'bad_request'],
      ['list: unknown type', T.disp, 'GET', () => '/api/alarms?type=meteor', undefined, 400, 'bad_request'],

      ['alarm settings: dispatcher', T.disp, 'PUT', () => '/api/alarm-settings', put(alarmSettings.settings), 403, 'forbidden'],
      ['alarm settings: wall', T.wall, 'PUT', () => '/api/alarm-settings', put(alarmSettings.settings), 403, 'forbidden'],
      ['alarm settings: missing settings', T.admin, 'PUT', () => '/api/alarm-settings', { version: alarmSettings.version }, 400, 'bad_request'],
      ['alarm settings: missing version', T.admin, 'PUT', () => '/api/alarm-settings', { settings: alarmSettings.settings }, 400, 'bad_request'],
      ['alarm settings: negative threshold', T.admin, 'PUT', () => '/api/alarm-settings', put({ ...alarmSettings.settings, binFullPct: -5 }), 400, 'bad_request'],
      ['alarm settings: threshold as text', T.admin, 'PUT', () => '/api/alarm-settings', put({ ...alarmSettings.settings, binFullPct: 'high' }), 400, 'bad_request'],
      ['alarm settings: full above overflow', T.admin, 'PUT', () => '/api/alarm-settings', put({ ...alarmSettings.settings, binFullPct: 99, binOverflowPct: 90 }), 400, 'bad_request'],
      ['alarm settings: unknown field', T.admin, 'PUT', () => '/api/alarm-settings', put({ ...alarmSettings.settings, moonPhase: 3 }), 400, 'bad_request'],
      ['alarm settings: stale version', T.admin, 'PUT', () => '/api/alarm-settings', put(alarmSettings.settings, alarmSettings.version + 5), 409, 'conflict'],
      ['alarm settings: version negative', T.admin, 'PUT', () => '/api/alarm-settings', put(alarmSettings.settings, -1), 400, 'bad_request'],

      ['sla settings: dispatcher', T.disp, 'PUT', () => '/api/sla-settings', sla, 403, 'forbidden'],
      ['sla settings: arrival 0', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, arrivalMin: 0 }, 400, 'bad_request'],
      ['sla settings: arrival negative', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, arrivalMin: -7 }, 400, 'bad_request'],
      ['sla settings: arrival 1e308', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, arrivalMin: 1e308 }, 400, 'bad_request'],
      ['sla settings: arrival as text', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, arrivalMin: 'seven' }, 400, 'bad_request'],
      ['sla settings: closure days missing', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, closureDays: { small: 1, big: 2 } }, 400, 'bad_request'],
      ['sla settings: fractional days', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, closureDays: { ...sla.closureDays, small: 0.5 } }, 400, 'bad_request'],
      ['sla settings: unknown day mode', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, dayMode: 'lunar' }, 400, 'bad_request'],
      ['sla settings: unknown field', T.admin, 'PUT', () => '/api/sla-settings', { ...sla, timezone: 'UTC' }, 400, 'bad_request'],
      ['sla settings: empty', T.admin, 'PUT', () => '/api/sla-settings', {}, 400, 'bad_request'],
    ]);
    // nothing was changed by the refused writes
    expect((await call(s.url, admin, 'GET', '/api/alarm-settings')).json).toEqual(alarmSettings);
    expect((await call(s.url, admin, 'GET', '/api/sla-settings')).json).toEqual(sla);
  });

  it('photos', async () => {
    const JPEG = readFileSync(new URL('../fixtures/photos/street-96x64.jpg', import.meta.url));
    const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
    const send = async (label: string, token: string | undefined, path: string, type: string | undefined, body: Buffer | string | undefined, status: number, code?: string) => {
      const res = await fetch(`${s.url}${path}`, {
        method: 'POST',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(type ? { 'content-type': type } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}),
      });
      const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
      return res.status === status && typeof json?.error?.message === 'string' && (code === undefined || json.error.code === code) ? null : `${label}: ${res.status} ${JSON.stringify(json)}`;
    };
    const p = `${cs()}/photos?phase=before`;
    const wrong = (await Promise.all([
      send('no token', undefined, p, 'image/jpeg', JPEG, 401),
      send('wall', wall, p, 'image/jpeg', JPEG, 403, 'forbidden'),
      send('field', crew1, p, 'image/jpeg', JPEG, 403, 'forbidden'),
      send('no phase', disp, `${cs()}/photos`, 'image/jpeg', JPEG, 400, 'bad_request'),
      send('unknown phase', disp, `${cs()}/photos?phase=during`, 'image/jpeg', JPEG, 400, 'bad_request'),
      send('extra query', disp, `${p}&x=1`, 'image/jpeg', JPEG, 400, 'bad_request'),
      send('unknown case', disp, '/api/cases/999999/photos?phase=before', 'image/jpeg', JPEG, 404, 'not_found'),
      send('PNG declared as JPEG', disp, p, 'image/jpeg', PNG, 415, 'unsupported_media_type'),
      send('text declared as JPEG', disp, p, 'image/jpeg', Buffer.from('not an image at all'), 415, 'unsupported_media_type'),
      send('GIF', disp, p, 'image/gif', Buffer.from('GIF89a....'), 415, 'unsupported_media_type'),
      send('JSON', disp, p, 'application/json', '{"photo":"base64..."}', 415, 'unsupported_media_type'),
      send('plain text', disp, p, 'text/plain', 'hello', 415, 'unsupported_media_type'),
      send('no content type', disp, p, undefined, undefined, 415),
      send('empty JPEG', disp, p, 'image/jpeg', Buffer.alloc(0), 400, 'bad_request'),
      send('too large', disp, p, 'image/jpeg', Buffer.concat([JPEG, Buffer.alloc(PHOTO_MAX_BYTES)]), 413, 'body_too_large'),
    ])).filter((x) => x !== null);
    expect(wrong).toEqual([]);
    expect(((await call(s.url, disp, 'GET', cs())).json as CaseDetail).photos).toEqual([]);
  });

  it('garbage on the ops socket crashes nothing, and the server keeps serving', async () => {
    const c = liveClient(s.url, wall);
    sockets.push(c);
    await once((ok) => c.once('ops:snapshot', ok), 15_000, 'ops snapshot');
    const raw = c as unknown as { emit(ev: string, ...args: unknown[]): void };
    raw.emit('live:resync');
    raw.emit('ops:resync');
    raw.emit('live:resync', 'garbage');
    raw.emit('ops:resync', { ack: true }, 17);
    raw.emit('ops:resync', null);
    raw.emit('live:resync', ['x'.repeat(10_000)]);
    raw.emit('ops:dispatch', { caseId, unitId: 'staff-0001' });
    raw.emit('no-such-event', Buffer.alloc(1000));
    // the socket is still served: a proper resync is answered (rate limit aside)
    const reply = await c.timeout(5000).emitWithAck('ops:resync');
    expect(reply.ok === true || reply.error.code === 'rate_limited').toBe(true);
    expect(c.connected).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(c.connected).toBe(true);
    expect(s.app.dispatch.unit('staff-0001')!.caseId).toBeNull();
    // and so is HTTP
    expect((await call(s.url, disp, 'GET', '/api/health')).status).toBe(200);
    expect((await call(s.url, disp, 'GET', cs())).status).toBe(200);
    const again = await call(s.url, disp, 'POST', `${cs()}/transitions`, { action: 'note', note: '仍可操作' });
    expect(again.status).toBe(200);
  });
});
