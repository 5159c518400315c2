import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startServer, type RunningServer } from './server-harness.ts';

const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.close({ keepData: true }).catch(() => {});
  if (running[0]) rmSync(running[0].dataDir, { recursive: true, force: true });
});

describe('storage across restarts', () => {
  it('keeps users, display tokens and the device registry, and prints first-start credentials only once', async () => {
    const first = await startServer({ SIM_ENABLED: 'false' });
    running.push(first);
    expect(first.firstStart?.adminPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    const login = await fetch(`${first.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: first.firstStart!.adminPassword }) });
    const { token } = (await login.json()) as { token: string };
    const reg = await fetch(`${first.url}/api/devices`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'jt808', deviceId: '14450376202', bind: { entityId: 'muck-001' }, label: 'terminal on 鲁A·M0001' }) });
    expect(reg.status).toBe(201);
    await first.close({ keepData: true });

    const second = await startServer({ SIM_ENABLED: 'false' }, first.dataDir);
    running.push(second);
    expect(second.firstStart).toBeUndefined();
    // the session, the wall token and the device survive
    expect((await fetch(`${second.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${second.url}/api/district`, { headers: { authorization: `Bearer ${first.firstStart!.wallToken}` } })).status).toBe(200);
    const devices = (await (await fetch(`${second.url}/api/devices?protocol=jt808`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { deviceId: string; entityId: string }[] };
    expect(devices.items).toEqual([expect.objectContaining({ deviceId: '14450376202', entityId: 'muck-001', state: 'active', label: 'terminal on 鲁A·M0001' })]);
    // and the registry is live: the device's reports reach its entity
    const out = second.app.ingest.submit({ source: 'jt808', deviceId: '14450376202', ts: Date.now(), pos: { lon: 117.1, lat: 36.66, speed: 30 } });
    expect(out).toEqual({ accepted: true, entityId: 'muck-001' });
    const audit = (await second.app.store.audit.recent()).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['bootstrap', 'login', 'device.create']));
  });
});
