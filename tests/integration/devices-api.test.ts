/**
 * The device registry end to end: the HTTP API (shared/schemas/devices.ts), the catalog that
 * grows on a connected screen without a new snapshot, the takeover of a pack entity by a real
 * device (the simulator stops driving it), and persistence of what was registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLiveFrame, type LiveFrame } from '../../shared/live-codec.ts';
import type { CatalogChange, LiveSnapshot } from '../../shared/live-events.ts';
import type { DeviceList, DeviceView } from '../../shared/schemas/devices.ts';
import { liveClient, lixiaPack, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let admin: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  s = await startServer({ LIVE_TICK_MS: '200', JT808_REGISTRATION: 'quarantine' });
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  admin = ((await res.json()) as { token: string }).token;
});
afterAll(async () => {
  for (const c of clients) c.close();
  await s?.close();
});

const api = async <T>(method: string, path: string, body?: unknown, token = admin): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${s.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
};

/** A wall socket that records every catalog change and delta after its snapshot. */
async function wall() {
  const c = liveClient(s.url, s.firstStart!.wallToken);
  clients.push(c);
  const catalogs: CatalogChange[] = [];
  const deltas: LiveFrame[] = [];
  let snapshots = 0;
  c.on('live:catalog', (ch) => catalogs.push(ch));
  c.on('live:delta', (f) => deltas.push(decodeLiveFrame(f as Uint8Array)));
  const snapshot = await once<LiveSnapshot>((ok) => c.once('live:snapshot', (snap) => { snapshots++; ok(snap); }), 15_000, 'snapshot');
  c.on('live:snapshot', () => snapshots++);
  return { c, snapshot, catalogs, deltas, snapshots: () => snapshots };
}

const until = (cond: () => boolean, what: string, ms = 10_000) =>
  once<void>((ok) => { const t = setInterval(() => { if (cond()) { clearInterval(t); ok(); } }, 50); }, ms, what);

describe('devices API and the growing catalog', () => {
  it('a device bound to a new bin puts the bin on a connected wall with the next tick: a catalog change, then its row, no new snapshot', async () => {
    const pack = await lixiaPack();
    const w = await wall();
    const size = w.snapshot.catalog.length;
    const near = pack.bins[0]!;
    const created = await api<DeviceView>('POST', '/api/devices', {
      protocol: 'mqtt', deviceId: 'bin-sensor-1', label: 'new bin on the square',
      bind: { newEntity: { kind: 'bin', name: '泉城广场新桶', type: 'garbage', lon: near.lon + 0.0001, lat: near.lat } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      protocol: 'mqtt', deviceId: 'bin-sensor-1', state: 'active', entityId: 'rt-mqtt-bin-sensor-1', entityKind: 'bin', entityName: '泉城广场新桶',
      real: false, drives: false, connected: null, accepted: 0, refused: 0, label: 'new bin on the square',
    });
    await until(() => w.catalogs.length > 0, 'catalog change');
    expect(w.catalogs[0]).toEqual({
      catalogId: w.snapshot.catalogId, version: expect.any(Number),
      entries: [{ i: size, id: 'rt-mqtt-bin-sensor-1', kind: 'bin', name: '泉城广场新桶', orgCode: near.streetCode, gridId: expect.any(String) }],
    });
    await until(() => w.deltas.some((d) => d.rows.some((r) => r.i === size)), 'the new bin\'s row');
    const row = w.deltas.flatMap((d) => d.rows).find((r) => r.i === size)!;
    expect(row.pos!.lon).toBeCloseTo(near.lon + 0.0001, 6);
    expect(row.attrs).toMatchObject({ binType: 'garbage', fill: 0 });
    // Its readings reach the live state like any bin's.
    expect(s.app.ingest.submit({ source: 'mqtt', deviceId: 'bin-sensor-1', ts: Date.now(), attrs: { fill: 97 } })).toEqual({ accepted: true, entityId: 'rt-mqtt-bin-sensor-1' });
    expect(s.app.live.get('rt-mqtt-bin-sensor-1')).toMatchObject({ status: 'overflow', connectivity: 'online' });
    expect(w.snapshots()).toBe(1);
    // A wall that connects now gets the bin in its snapshot's catalog.
    const late = await wall();
    expect(late.snapshot.catalog[size]).toMatchObject({ id: 'rt-mqtt-bin-sensor-1' });
  });

  it('a real device takes a pack vehicle over from the simulator at its first report; disabling it hands the vehicle back', { timeout: 45_000 }, async () => {
    const pack = await lixiaPack();
    // A moving vehicle reports every few seconds (a parked one twice a minute).
    const v = pack.vehicles.find((x) => s.app.live.get(x.id)!.status !== 'parked' && s.app.live.get(x.id)!.connectivity === 'online') ?? pack.vehicles[0]!;
    const created = await api<DeviceView>('POST', '/api/devices', { protocol: 'http', deviceId: 'gps-77', bind: { plate: v.plate } });
    expect(created.status).toBe(201);
    expect(created.body.entityId).toBe(v.id);
    const before = s.app.live.get(v.id)!.pos!;
    const at = { lon: before.lon + 0.0005, lat: before.lat };
    expect(s.app.ingest.submit({ source: 'http', deviceId: 'gps-77', ts: Date.now(), pos: at })).toEqual({ accepted: true, entityId: v.id });
    const list = await api<DeviceList>('GET', `/api/devices?q=${encodeURIComponent(v.id)}`);
    expect(list.body.items.map((d) => [d.protocol, d.real, d.drives])).toEqual([['http', true, true], ['sim', true, false]]);
    // The simulator reports every vehicle every few seconds; it sends nothing for this one now.
    const skipped = s.app.simulator!.instance.stats.skippedTakenOver;
    await until(() => s.app.simulator!.instance.stats.skippedTakenOver > skipped, 'a skipped simulator report', 35_000);
    expect(s.app.live.get(v.id)!.pos).toMatchObject(at);
    const real = await api<DeviceList>('GET', '/api/devices?real=true&protocol=http');
    expect(real.body.items.map((d) => d.deviceId)).toContain('gps-77');
    expect(real.body.counts.real).toBeGreaterThanOrEqual(1);

    const disabled = await api<DeviceView>('POST', `/api/devices/${created.body.id}/disable`);
    expect(disabled.body).toMatchObject({ state: 'disabled', real: false, drives: false });
    expect(s.app.ingest.submit({ source: 'http', deviceId: 'gps-77', ts: Date.now(), pos: at })).toMatchObject({ accepted: false, reason: 'deviceInactive' });
    const refusedOnDevice = await api<DeviceView>('GET', `/api/devices/${created.body.id}`);
    expect(refusedOnDevice.body).toMatchObject({ accepted: 1, refused: 1, lastRefusal: { reason: 'deviceInactive' } });
    expect(s.app.deviceDirectory.isReal(v.id)).toBe(false);
  });

  it('a quarantined terminal is accepted by an admin: bound to a new vehicle that every wall learns of; rejecting and bad requests answer clearly', async () => {
    const w = await wall();
    const size = w.snapshot.catalog.length;
    expect(await s.app.deviceDirectory.registerTerminal({ protocol: 'jt808', deviceId: '013911112222', plate: '鲁A·Q0001', address: '10.1.1.1:5000' }, Date.now())).toMatchObject({ outcome: 'quarantined' });
    const q = await api<DeviceList>('GET', '/api/devices?state=quarantined');
    expect(q.body.counts.quarantined).toBe(1);
    expect(q.body.timeZone).toBe('Asia/Shanghai'); // the pack's zone (data/lixia/pack.json), for the page's times
    const item = q.body.items[0]!;
    expect(item).toMatchObject({ protocol: 'jt808', deviceId: '013911112222', entityId: null, plate: '鲁A·Q0001', address: '10.1.1.1:5000', connected: false });
    const accepted = await api<DeviceView>('POST', `/api/devices/${item.id}/accept`, {});
    expect(accepted.body).toMatchObject({ state: 'active', entityId: 'rt-jt808-013911112222', entityKind: 'vehicle', entityName: '鲁A·Q0001' });
    await until(() => w.catalogs.some((c) => c.entries.some((e) => e.id === 'rt-jt808-013911112222')), 'catalog change');
    expect(w.catalogs.at(-1)!.entries.at(-1)).toMatchObject({ i: size, kind: 'vehicle' });
    // accepting twice, rejecting an active device: a conflict, said why
    const again = await api<{ error: { code: string; message: string } }>('POST', `/api/devices/${item.id}/accept`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is active, not quarantined/);
    expect((await api('POST', `/api/devices/${item.id}/reject`)).status).toBe(409);
    expect((await api('POST', '/api/devices/999999/disable')).status).toBe(404);
    expect((await api('POST', '/api/devices', { protocol: 'jt808', deviceId: 'x', bind: { entityId: 'bin-00001' } })).status).toBe(400);
    expect((await api('POST', '/api/devices', { protocol: 'mqtt', deviceId: 'bad id!', bind: { entityId: 'x' } })).status).toBe(400);
    const sim = (await api<DeviceList>('GET', '/api/devices?protocol=sim&limit=1')).body.items[0]!;
    expect((await api('DELETE', `/api/devices/${sim.id}`)).status).toBe(409);
    // Removing the terminal keeps its entity (history refers to it); the terminal is unknown afterwards.
    expect((await api('DELETE', `/api/devices/${item.id}`)).status).toBe(204);
    expect(s.app.live.get('rt-jt808-013911112222')).toBeDefined();
    expect(s.app.deviceDirectory.authenticate('jt808', '013911112222', 'x', Date.now())).toMatchObject({ ok: false, reason: 'unknownDevice' });
    const audit = (await s.app.store.audit.recent()).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['device.create', 'device.accept', 'device.disable', 'device.remove']));
  });

  it('is for admins only', async () => {
    const display = await api('GET', '/api/devices', undefined, s.firstStart!.wallToken);
    expect(display.status).toBe(403);
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(401);
  });
});
