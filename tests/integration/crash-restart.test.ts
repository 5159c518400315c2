/**
 * `kill -9` in the middle of an open case. The real server runs as a child process on a temp
 * DATA_DIR; every write is acknowledged with a 2xx before the kill, and after a restart on the
 * same directory all of it is there — case, stage, assignment, timeline, clocks, the unit's
 * engagement, the alarm's acknowledgement — and the server goes on acting: a clock event that
 * fell due while it was down is recorded once, at the time it was due, and further steps work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseDetail } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import type { SlaSettings } from '../../shared/sla.ts';
import { call, login, waitFor } from './ops-http.ts';
import { lixiaPack } from './server-harness.ts';
import { dropTestSchema, storeEnv } from './server-harness.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_PASSWORD = 'admin-password-for-crash';
const dataDir = mkdtempSync(path.join(tmpdir(), 'cityops-crash-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestSchema(dataDir);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The server as a process of its own (tsx, as `npm run dev` runs it), ready when it prints its ready line. */
function spawnServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env, ...storeEnv(dataDir), PORT: String(port), JT808_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SIM_SEED: '42', LOG_LEVEL: 'warn', NODE_ENV: 'test',
      ADMIN_PASSWORD, SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0', SIM_HISTORY_DAYS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not get ready:\n${out}`)), 40_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited (${code ?? signal}):\n${out}`)); });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/CityOps Command ready: /.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('kill -9 in the middle of an open case', () => {
  it('loses nothing acknowledged, and acts on what fell due while it was down', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let child = await spawnServer(port);
    let admin = await login(url, 'admin', ADMIN_PASSWORD);
    const grids = (await lixiaPack()).grids.features;
    const centre = (i: number) => {
      const ring = grids[i]!.geometry.coordinates[0]!;
      return { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 };
    };

    // Case A: created, registered, dispatched under the default 7-minute target.
    const created = await call(url, admin, 'POST', '/api/cases', { source: 'supervisor', itemCode: '15.01.006', ...centre(300), emergency: true });
    expect(created.status).toBe(201);
    const reg = await call(url, admin, 'POST', `/api/cases/${created.json.id}/transitions`, { action: 'register', version: created.json.version });
    expect(reg.status).toBe(200);
    const recA = await call(url, admin, 'GET', `/api/cases/${reg.json.id}/recommendations`);
    const unitA = recA.json.units[0].entityId as string;
    const dispA = await call(url, admin, 'POST', `/api/cases/${reg.json.id}/dispatch`, { unitId: unitA, version: reg.json.version });
    expect(dispA.status).toBe(200);
    const caseA = dispA.json as CaseDetail;

    // An alarm acknowledged by the duty desk.
    const alarms = (await call(url, admin, 'GET', '/api/alarms?active=true')).json as Alarm[];
    const alarm = alarms.find((a) => a.ackBy === null)!;
    expect(alarm, 'an active alarm from the simulated district').toBeDefined();
    const ack = await call(url, admin, 'POST', `/api/alarms/${alarm.id}/ack`, {});
    expect(ack.status).toBe(200);
    const acked = ack.json as Alarm;
    expect(acked.ackBy).toBe('admin');

    // Case B under a 1-minute arrival target that warns after 6 s (90 % lead): the warning falls due while the server is down.
    const sla = (await call(url, admin, 'GET', '/api/sla-settings')).json as SlaSettings;
    const put = await call(url, admin, 'PUT', '/api/sla-settings', { ...sla, arrivalMin: 1, warnLeadShare: 0.9 });
    expect(put.status).toBe(200);
    const b0 = await call(url, admin, 'POST', '/api/cases', { source: 'hotline', itemCode: '15.01.007', ...centre(800), emergency: true, register: true });
    expect(b0.status).toBe(201);
    const recB = await call(url, admin, 'GET', `/api/cases/${b0.json.id}/recommendations`);
    const unitB = recB.json.units[0].entityId as string;
    const dispB = await call(url, admin, 'POST', `/api/cases/${b0.json.id}/dispatch`, { unitId: unitB, version: b0.json.version });
    expect(dispB.status).toBe(200);
    const caseB = dispB.json as CaseDetail;
    const clockB = caseB.clocks.find((k) => k.kind === 'arrival')!;
    expect(clockB).toMatchObject({ state: 'running', dueTs: clockB.startTs + 60_000, warnTs: clockB.startTs + 6000 });

    await kill9(child);
    expect(Date.now()).toBeLessThan(clockB.warnTs);
    // stay down until the warning is past
    await new Promise((r) => setTimeout(r, Math.max(0, clockB.warnTs + 500 - Date.now())));

    child = await spawnServer(port);
    // The session survived too (it was acknowledged with the login); a fresh login works as well.
    expect((await call(url, admin, 'GET', '/api/auth/me')).status).toBe(200);
    admin = await login(url, 'admin', ADMIN_PASSWORD);

    const a = (await call(url, admin, 'GET', `/api/cases/${caseA.id}`)).json as CaseDetail;
    expect(a).toMatchObject({ code: caseA.code, stage: expect.stringMatching(/^(dispatched|handling)$/) });
    expect(a.assignment).toMatchObject({ unitId: unitA, dispatchedTs: caseA.assignment!.dispatchedTs, etaTs: caseA.assignment!.etaTs, by: 'admin' });
    expect(a.assignment!.route).toEqual(caseA.assignment!.route);
    // every entry acknowledged before the kill, as it was (the restarted crew may have added its own since)
    expect(a.timeline.slice(0, caseA.timeline.length)).toEqual(caseA.timeline);
    const arrivalA = a.clocks.find((k) => k.kind === 'arrival')!;
    const arrivalA0 = caseA.clocks.find((k) => k.kind === 'arrival')!;
    expect(arrivalA).toMatchObject({ id: arrivalA0.id, startTs: arrivalA0.startTs, dueTs: arrivalA0.dueTs, warnTs: arrivalA0.warnTs, endTs: null });
    expect(arrivalA.dueTs).toBe(arrivalA0.startTs + 7 * 60_000);
    expect(['running', 'warned']).toContain(arrivalA.state);
    expect(a.clocks.find((k) => k.kind === 'closure')).toMatchObject(caseA.clocks.find((k) => k.kind === 'closure')!);
    const uA = (await call(url, admin, 'GET', `/api/units/${unitA}`)).json as UnitState;
    expect(uA.caseId).toBe(caseA.id);
    expect(['dispatched', 'enRoute', 'onScene']).toContain(uA.status);

    // The alarm keeps its acknowledgement, and the restarted rules did not open a second one.
    const al = (await call(url, admin, 'GET', `/api/alarms/${alarm.id}`)).json as Alarm;
    expect(al).toMatchObject({ id: alarm.id, ackBy: 'admin', ackTs: acked.ackTs });
    const same = ((await call(url, admin, 'GET', '/api/alarms?active=true')).json as Alarm[]).filter((x) => x.entityId === alarm.entityId && x.type === alarm.type);
    expect(same.length).toBeLessThanOrEqual(1);
    if (same[0]) expect(same[0].id).toBe(alarm.id);

    // Case B's warning fell due while the server was down: recorded once, at the time it was due.
    const b = (await call(url, admin, 'GET', `/api/cases/${caseB.id}`)).json as CaseDetail;
    const arrivalB = b.clocks.find((k) => k.kind === 'arrival')!;
    expect(arrivalB).toMatchObject({ id: clockB.id, state: 'warned', dueTs: clockB.dueTs, endTs: null });
    const warned = b.timeline.filter((e) => e.action === 'clockWarning');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.ts).toBe(clockB.warnTs);
    expect((await call(url, admin, 'GET', `/api/units/${unitB}`)).json).toMatchObject({ caseId: caseB.id });

    // The restarted server acts: a further step on case A, and the SLA settings saved before the kill.
    const noted = await call(url, admin, 'POST', `/api/cases/${caseA.id}/transitions`, { action: 'note', note: '重启后继续跟进' });
    expect(noted.status).toBe(200);
    const released = await call(url, admin, 'POST', `/api/cases/${caseB.id}/release`, { reason: '改由街道处置' });
    expect(released.status).toBe(200);
    expect(released.json.stage).toBe('registered');
    expect((await call(url, admin, 'GET', `/api/units/${unitB}`)).json.caseId).toBeNull();
    expect((await call(url, admin, 'GET', '/api/sla-settings')).json).toMatchObject({ arrivalMin: 1, warnLeadShare: 0.9 });
    // a restart again (SIGKILL once more) records nothing twice
    await kill9(child);
    child = await spawnServer(port);
    const b2 = (await call(url, admin, 'GET', `/api/cases/${caseB.id}`)).json as CaseDetail;
    expect(b2.timeline.filter((e) => e.action === 'clockWarning')).toHaveLength(1);
    expect(b2.stage).toBe('registered');
    await waitFor('health', async () => ((await fetch(`${url}/api/health`)).status === 200 ? true : undefined), 5000);
    await kill9(child);
  }, 60_000);
});
