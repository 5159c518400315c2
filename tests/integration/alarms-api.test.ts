import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alarm } from '../../shared/alarms.ts';
import { startServer, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let admin: string;
let wall: string;

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false' });
  wall = s.firstStart!.wallToken;
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  admin = ((await res.json()) as { token: string }).token;
});
afterAll(async () => s?.close());

const h = (t: string, body = false) => ({ authorization: `Bearer ${t}`, ...(body ? { 'content-type': 'application/json' } : {}) });

describe('alarms API', () => {
  it('lists the alarm a report raised, acknowledges it once and clears it once (409 after), all audited', async () => {
    const bin = s.app.district.pack.bins[0]!;
    expect(s.app.ingest.submit({ source: 'sim', deviceId: bin.id, ts: Date.now(), attrs: { fill: 97 } })).toMatchObject({ accepted: true });
    // The case is written to the store after the rules raised the alarm: its link follows within moments.
    await vi.waitFor(async () => expect((await s.app.alarms.active()).find((a) => a.entityId === bin.id)?.caseId).toEqual(expect.any(Number)));
    const list = await fetch(`${s.url}/api/alarms?active=true&entityId=${bin.id}`, { headers: h(admin) });
    expect(list.status).toBe(200);
    const [alarm] = (await list.json()) as Alarm[];
    // binOverflow opens a case by itself (未诉先办): linking it is the alarm's second version.
    expect(alarm).toMatchObject({ type: 'binOverflow', entityId: bin.id, orgCode: bin.streetCode, value: 97, active: true, version: 2, caseId: expect.any(Number) });
    const opened = (await s.app.cases.get(alarm!.caseId!))!;
    expect(opened).toMatchObject({ source: 'iotAlarm', alarmId: alarm!.id, stage: 'registered' });

    expect((await fetch(`${s.url}/api/alarms/${alarm!.id}/ack`, { method: 'POST', headers: h(wall, true), body: '{}' })).status).toBe(403);
    const ack = await fetch(`${s.url}/api/alarms/${alarm!.id}/ack`, { method: 'POST', headers: h(admin, true), body: JSON.stringify({ version: 2 }) });
    expect(await ack.json()).toMatchObject({ ackBy: 'admin', version: 3 });
    expect((await fetch(`${s.url}/api/alarms/${alarm!.id}/ack`, { method: 'POST', headers: h(admin, true), body: '{}' })).status).toBe(409);
    const clear = await fetch(`${s.url}/api/alarms/${alarm!.id}/clear`, { method: 'POST', headers: h(admin, true), body: '{}' });
    expect(await clear.json()).toMatchObject({ active: false, clearedBy: 'admin' });
    const again = await fetch(`${s.url}/api/alarms/${alarm!.id}/clear`, { method: 'POST', headers: h(admin, true), body: '{}' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('invalid_transition');
    expect((await fetch(`${s.url}/api/alarms/999999`, { headers: h(admin) })).status).toBe(404);
    expect((await fetch(`${s.url}/api/alarms?limit=0`, { headers: h(admin) })).status).toBe(400);
    const actions = (await s.app.store.audit.recent(10)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['alarm.ack', 'alarm.clear']));
  });

  it('reads settings as the desk, changes them as admin only, refuses bad values (400) and stale versions (409)', async () => {
    expect((await fetch(`${s.url}/api/alarm-settings`, { headers: h(wall) })).status).toBe(403);
    const doc = (await (await fetch(`${s.url}/api/alarm-settings`, { headers: h(admin) })).json()) as { settings: Record<string, unknown>; version: number };
    expect(doc.settings).toMatchObject({ binFullPct: 80, binOverflowPct: 95, clearHoldS: 60, muckOffRouteMin: 10, muckOffRouteCriticalMin: 15 });
    const put = (body: unknown) => fetch(`${s.url}/api/alarm-settings`, { method: 'PUT', headers: h(admin, true), body: JSON.stringify(body) });
    expect((await put({ settings: { ...doc.settings, binFullPct: 0 }, version: doc.version })).status).toBe(400);
    expect((await put({ settings: { ...doc.settings, binFullPct: 96 }, version: doc.version })).status).toBe(400);
    const ok = await put({ settings: { ...doc.settings, binOverflowPct: 90 }, version: doc.version });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ version: doc.version + 1, updatedBy: 'admin' });
    expect((await put({ settings: doc.settings, version: doc.version })).status).toBe(409);
    // The ingest derives bin status with the new threshold too.
    const bin = s.app.district.pack.bins[1]!;
    s.app.ingest.submit({ source: 'sim', deviceId: bin.id, ts: Date.now(), attrs: { fill: 91 } });
    expect(s.app.live.get(bin.id)!.status).toBe('overflow');
    expect((await s.app.alarms.active()).find((a) => a.entityId === bin.id)?.type).toBe('binOverflow');
  });

  it('documents the routes in /docs', async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/alarms', '/api/alarms/{id}', '/api/alarms/{id}/ack', '/api/alarms/{id}/clear', '/api/alarm-settings']));
  });
});
