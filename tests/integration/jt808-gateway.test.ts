/**
 * The JT/T 808 gateway in the real server over real TCP, driven by the terminal emulator
 * (scripts/jt808/fleet.ts): register → authenticate → report moves the entity on a wall's
 * Socket.IO stream; under `open` a new terminal appears in a live client's catalog; under
 * `quarantine` it waits until an admin accepts it over the devices API; a text message — typed
 * by an admin or sent by a dispatch — is answered by the terminal and the answer recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodeLiveFrame, type LiveFrame } from '../../shared/live-codec.ts';
import type { CatalogChange, LiveSnapshot } from '../../shared/live-events.ts';
import type { DeviceList, TextMessageView } from '../../shared/schemas/devices.ts';
import { EmulatedFleet, DEFAULT_FLEET, type FleetOptions } from '../../scripts/jt808/fleet.ts';
import { loadRoadGraph } from '../../scripts/jt808/road-walk.ts';
import { liveClient, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

const graph = loadRoadGraph('data/lixia/road-graph.json');
const vehicles = JSON.parse(readFileSync('data/lixia/vehicles.json', 'utf8')) as Array<{ id: string; plate: string }>;
const muckTrucks = JSON.parse(readFileSync('data/lixia/muck-trucks.json', 'utf8')) as Array<{ id: string; plate: string }>;

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function adminToken(s: RunningServer): Promise<string> {
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  return ((await res.json()) as { token: string }).token;
}

async function api<T>(s: RunningServer, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${s.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** A wall's live stream, with the catalog it holds and the latest row of every entity. */
function wall(s: RunningServer) {
  const c: LiveClient = liveClient(s.url, s.firstStart!.wallToken);
  const state = { catalog: [] as LiveSnapshot['catalog'], rows: new Map<number, LiveFrame['rows'][number]>(), catalogChanges: [] as CatalogChange[] };
  c.on('live:snapshot', (snap) => {
    state.catalog = [...snap.catalog];
    for (const r of decodeLiveFrame(snap.frame as Uint8Array).rows) state.rows.set(r.i, r);
  });
  c.on('live:catalog', (change) => {
    state.catalogChanges.push(change);
    state.catalog.push(...change.entries);
  });
  c.on('live:delta', (f) => {
    for (const r of decodeLiveFrame(f as Uint8Array).rows) state.rows.set(r.i, { ...state.rows.get(r.i), ...r });
  });
  const rowOf = (entityId: string) => {
    const e = state.catalog.find((x) => x.id === entityId);
    return e === undefined ? undefined : state.rows.get(e.i);
  };
  return { c, state, rowOf };
}

function fleet(s: RunningServer, opts: Partial<FleetOptions>): EmulatedFleet {
  const f = new EmulatedFleet({ ...DEFAULT_FLEET, port: s.app.jt808.port!, intervalS: 0.5, retryS: 0.3, ...opts }, graph);
  f.start(50);
  return f;
}

describe('JT/T 808 gateway, JT808_REGISTRATION=open', () => {
  let s: RunningServer;
  let token: string;
  const fleets: EmulatedFleet[] = [];
  let live: ReturnType<typeof wall>;

  beforeAll(async () => {
    s = await startServer({ SIM_ENABLED: 'false', LIVE_TICK_MS: '200', JT808_REGISTRATION: 'open' });
    token = await adminToken(s);
    live = wall(s);
    await once<LiveSnapshot>((ok) => live.c.once('live:snapshot', ok), 15_000, 'snapshot');
  });
  afterAll(async () => {
    for (const f of fleets) f.stop();
    live?.c.close();
    await s?.close();
  });

  it('listens on a port of its own (0 in tests) and turns a terminal\'s reports into a moving entity on the wall', async () => {
    expect(s.app.jt808.port).toBeGreaterThan(0);
    const target = vehicles[0]!;
    const f = fleet(s, { terminals: 1, phoneBase: 13900000001, plates: [target.plate] });
    fleets.push(f);
    await until('the terminal reports', () => f.view(0).acked >= 3);
    expect(f.view(0).state).toBe('reporting');
    // The wall shows the pack vehicle the plate named, where the terminal said it is.
    await until('the wall sees the reported position', () => {
      const r = live.rowOf(target.id);
      const t = f.view(0);
      return r?.pos !== undefined && Math.abs(r.pos.lon - t.lon) < 0.0005 && Math.abs(r.pos.lat - t.lat) < 0.0005;
    });
    const first = { ...live.rowOf(target.id)!.pos! };
    await until('it moves on', () => {
      const p = live.rowOf(target.id)?.pos;
      return p !== undefined && (p.lon !== first.lon || p.lat !== first.lat);
    });
    const list = await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808');
    expect(list.json.items).toEqual([expect.objectContaining({ deviceId: '013900000001', entityId: target.id, state: 'active', connected: true, real: true })]);
    const e = s.app.live.get(target.id)!;
    expect(e.attrs).toMatchObject({ acc: true, sos: false, rssi: 25, satellites: 12 });
  });

  it('drives a muck truck by its plate: load from the standard status bits, ACC, status', async () => {
    const truck = muckTrucks[0]!;
    const f = fleet(s, { terminals: 1, phoneBase: 13900000050, plates: [truck.plate] });
    fleets.push(f);
    await until('the truck reports', () => f.view(0).acked >= 2);
    await until('the truck is where its terminal is', () => {
      const p = s.app.live.get(truck.id)?.pos;
      return p !== undefined && Math.abs(p.lon - f.view(0).lon) < 0.001 && Math.abs(p.lat - f.view(0).lat) < 0.001;
    });
    // The emulator reports ACC on, moving, load bits 00 (empty).
    expect(s.app.live.get(truck.id)).toMatchObject({ status: 'empty', attrs: { loaded: false, acc: true, sos: false } });
  });

  it('adds a new terminal without a known plate to a live client\'s catalog, without a reload', async () => {
    const before = live.state.catalog.length;
    const f = fleet(s, { terminals: 1, phoneBase: 13900000099 });
    fleets.push(f);
    const entityId = 'rt-jt808-013900000099';
    await until('the catalog grows', () => live.state.catalog.some((e) => e.id === entityId));
    expect(live.state.catalogChanges.at(-1)!.entries).toEqual([expect.objectContaining({ i: before, id: entityId, kind: 'vehicle' })]);
    await until('the new entity has a position', () => live.rowOf(entityId)?.pos !== undefined);
  });

  it('sends an admin\'s text to the terminal and records its answer', async () => {
    const list = await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808&q=013900000001');
    const id = list.json.items[0]!.id;
    const f = fleets[0]!;
    const sent = await api<TextMessageView>(s, token, 'POST', `/api/devices/${id}/text`, { text: '请到泺源大街清扫 OK' });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ deviceId: id, text: '请到泺源大街清扫 OK', status: 'sent', result: null });
    await until('the terminal shows it', () => f.view(0).texts.includes('请到泺源大街清扫 OK'));
    await until('the answer is recorded', async () => (await api<TextMessageView[]>(s, token, 'GET', `/api/devices/${id}/messages`)).json[0]?.status === 'answered');
    const [m] = (await api<TextMessageView[]>(s, token, 'GET', `/api/devices/${id}/messages`)).json;
    expect(m).toMatchObject({ result: 0, sentBy: 'admin' });
    expect(m!.answeredAt).toBeGreaterThanOrEqual(m!.sentAt!);
  });

  it('texts the driver when a dispatcher dispatches the unit the terminal drives', async () => {
    const target = vehicles[0]!;
    const pos = s.app.live.get(target.id)!.pos!;
    const created = await api<{ id: number; version: number; code: string }>(s, token, 'POST', '/api/cases', { source: 'supervisor', itemCode: '15.01.001', lon: pos.lon, lat: pos.lat, address: '经十路测试点', register: true });
    expect(created.status).toBe(201);
    const dispatched = await api<unknown>(s, token, 'POST', `/api/cases/${created.json.id}/dispatch`, { unitId: target.id, version: created.json.version });
    expect(dispatched.status, JSON.stringify(dispatched.json)).toBe(200);
    const f = fleets[0]!;
    await until('the driver has the task', () => f.view(0).texts.some((t) => t.startsWith(`【派遣】${created.json.code}`)));
    const id = (await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808&q=013900000001')).json.items[0]!.id;
    await until('the dispatch text is answered', async () => (await api<TextMessageView[]>(s, token, 'GET', `/api/devices/${id}/messages`)).json.some((m) => m.caseId === created.json.id && m.status === 'answered'));
  });

  it('answers a position query through the terminal', async () => {
    const id = (await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808&q=013900000001')).json.items[0]!.id;
    expect(s.app.jt808.stats()!.answers['0x8201']).toBeUndefined();
    expect((await api<unknown>(s, token, 'POST', `/api/devices/${id}/position-query`)).status).toBe(202);
    await until('the terminal answers with its position', () => s.app.jt808.stats()!.answers['0x8201'] === 1);
    const stats = await api<{ listening: boolean; authenticated: number; answers: Record<string, number> }>(s, token, 'GET', '/api/jt808/stats');
    expect(stats.json).toMatchObject({ listening: true, authenticated: 3, answers: { '0x8201': 1 } });
    expect(stats.json.answers['0x8300']).toBeGreaterThanOrEqual(2);
    // Only a JT/T 808 terminal can be asked (a simulated device is refused).
    const other = await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=sim&limit=1');
    expect((await api<unknown>(s, token, 'POST', `/api/devices/${other.json.items[0]!.id}/position-query`)).status).toBe(409);
  });
});

describe('JT/T 808 gateway, JT808_REGISTRATION=quarantine', () => {
  let s: RunningServer;
  let token: string;
  let f: EmulatedFleet | undefined;

  beforeAll(async () => {
    s = await startServer({ SIM_ENABLED: 'false', LIVE_TICK_MS: '200' });
    token = await adminToken(s);
  });
  afterAll(async () => {
    f?.stop();
    await s?.close();
  });

  it('holds a new terminal until an admin accepts it, then its reports count', async () => {
    const target = vehicles[5]!;
    f = fleet(s, { terminals: 1, phoneBase: 13700000005, plates: [target.plate] });
    await until('the terminal is quarantined', async () => (await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808&state=quarantined')).json.total === 1);
    await until('it was told to wait', () => f!.stats.refusedRegistrations >= 2);
    expect(f.view(0).state).not.toBe('reporting');
    expect(s.app.jt808.stats()!.refused.registrationQuarantined).toBeGreaterThanOrEqual(2);
    const [d] = (await api<DeviceList>(s, token, 'GET', '/api/devices?protocol=jt808&state=quarantined')).json.items;
    expect(d).toMatchObject({ deviceId: '013700000005', plate: target.plate, entityId: null });

    const accepted = await api<{ state: string; entityId: string }>(s, token, 'POST', `/api/devices/${d!.id}/accept`, {});
    expect(accepted.json).toMatchObject({ state: 'active', entityId: target.id });
    await until('the terminal reports', () => f!.view(0).acked >= 2);
    const t = f.view(0);
    await until('the entity is where the terminal is', () => {
      const p = s.app.live.get(target.id)?.pos;
      return p !== undefined && Math.abs(p.lon - t.lon) < 0.01 && Math.abs(p.lat - t.lat) < 0.01;
    });
  });
});
