import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { DevicesRepo } from '../../server/devices/device-repo.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import type { SqlTx } from '../../server/store/sql/types.ts';
import { DeviceDirectory } from '../../server/devices/device-directory.ts';
import type { RegistrationPolicy } from '../../server/devices/registration-policy.ts';
import type { TerminalRegistration } from '../../server/devices/ports.ts';

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);
const base = { orgCode: '370102001', gridId: 'g1', connectivity: 'offline', lastSeen: 0, version: 0 } as const;
const PACK: AnyEntity[] = [
  { ...base, id: 'veh-001', kind: 'vehicle', name: '鲁A·10001', status: 'parked', attrs: { vehicleType: 'sweeper', plate: '鲁A·10001', working: false } },
  { ...base, id: 'muck-001', kind: 'muckTruck', name: '鲁A·20001', status: 'parked', attrs: { plate: '鲁A·20001', company: 'C', permitId: 'p1', loaded: false, lidSealed: true, violations: [] } },
  { ...base, id: 'bin-00001', kind: 'bin', name: 'bin-00001', status: 'ok', pos: { lon: 117.02, lat: 36.66, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
];
const policy = connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 });

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function world(registration: RegistrationPolicy, dataDir?: string) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'cityops-devices-'));
  if (!dataDir) dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  let now = T0;
  const live = new LiveState(PACK, policy);
  const sql = new SqliteStore(db);
  const repo = new DevicesRepo(sql);
  const directory = new DeviceDirectory({
    repo, live, policy: registration, now: () => now,
    // A toy district: east of 117 is street 370102001, grid g9.
    place: (lon) => (lon > 117 ? { streetCode: '370102001', gridId: 'g9' } : null),
  });
  await directory.load(PACK.map((e) => e.id));
  const ingest = new Ingest(live, directory, { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now);
  return { dir, db, sql, live, repo, directory, ingest, tick: (ms: number) => (now += ms), now: () => now };
}

/** Counts the store's commits: transactions, and statements run on the store outside one. */
function countCommits(sql: SqliteStore): { transactions: number; storeWrites: number } {
  const n = { transactions: 0, storeWrites: 0 };
  const transaction = sql.transaction.bind(sql);
  sql.transaction = <T>(work: (tx: SqlTx) => Promise<T>) => { n.transactions++; return transaction(work); };
  const exec = sql.exec.bind(sql);
  sql.exec = (text, params) => { n.storeWrites++; return exec(text, params); };
  return n;
}

const terminal = (deviceId: string, extra: Partial<TerminalRegistration> = {}): TerminalRegistration => ({
  protocol: 'jt808', deviceId, address: '10.0.0.7:50111', manufacturer: 'ACME', model: 'T1', terminalId: 'T0001', ...extra,
});

describe('device directory: JT/T 808 registration', () => {
  it('open: binds a terminal to the pack vehicle with its plate (spaces and case aside) and issues an auth code stored only as a hash', async () => {
    const { directory, db } = await world('open');
    const r = await directory.registerTerminal(terminal('013912345678', { plate: '鲁a·10001' }), T0);
    expect(r).toMatchObject({ outcome: 'accepted', entityId: 'veh-001' });
    const code = (r as { authCode: string }).authCode;
    expect(code).toMatch(/^[0-9a-f]{24}$/);
    const row = db.prepare("SELECT auth_hash, meta, plate, state FROM devices WHERE device_id = '013912345678'").get() as { auth_hash: string; meta: string; plate: string; state: string };
    expect(row.auth_hash).toBe(createHash('sha256').update(code).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(code);
    expect(JSON.parse(row.meta)).toEqual({ manufacturer: 'ACME', model: 'T1', terminalId: 'T0001' });
    expect(row).toMatchObject({ plate: '鲁a·10001', state: 'active' });
    expect(directory.authenticate('jt808', '013912345678', code, T0)).toEqual({ ok: true, entityId: 'veh-001' });
    expect(directory.authenticate('jt808', '013912345678', 'f'.repeat(24), T0)).toMatchObject({ ok: false, reason: 'badAuthCode' });
    expect(directory.authenticate('jt808', '999', code, T0)).toMatchObject({ ok: false, reason: 'unknownDevice' });
  });

  it('open: a terminal with an unknown plate becomes a new vehicle in the live catalog; a second terminal with a taken plate is refused', async () => {
    const { directory, live } = await world('open');
    const added: string[] = [];
    live.onCatalog('test', (a) => added.push(`${a.entry.i}:${a.entry.id}`));
    const r = await directory.registerTerminal(terminal('013900000001', { plate: '鲁A·99999' }), T0);
    expect(r).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000001' });
    expect(added).toEqual([`${PACK.length}:rt-jt808-013900000001`]);
    const e = live.get('rt-jt808-013900000001')!;
    expect(e).toMatchObject({ kind: 'vehicle', name: '鲁A·99999', status: 'parked', attrs: { vehicleType: 'sweeper', plate: '鲁A·99999' } });
    expect(live.catalog.at(-1)).toMatchObject({ id: 'rt-jt808-013900000001', kind: 'vehicle' });
    expect(await directory.registerTerminal(terminal('013900000002', { plate: '鲁A·99999' }), T0)).toMatchObject({ outcome: 'refused', reason: 'plateTaken' });
    expect(directory.unattributed.jt808).toEqual({ plateTaken: 1 });
  });

  it('quarantine: the terminal waits for an admin, cannot authenticate, and after accept gets a code on its next registration', async () => {
    const { directory } = await world('quarantine');
    expect(await directory.registerTerminal(terminal('013900000003', { plate: '鲁A·20001' }), T0)).toMatchObject({ outcome: 'quarantined' });
    const d = directory.find('jt808', '013900000003')!;
    expect(d).toMatchObject({ state: 'quarantined', entityId: null, address: '10.0.0.7:50111' });
    expect(directory.authenticate('jt808', '013900000003', 'x', T0)).toMatchObject({ ok: false, reason: 'quarantined' });
    // The admin accepts without a binding: the plate matches the pack's muck truck.
    expect(await directory.accept(d.id, undefined)).toMatchObject({ state: 'active', entityId: 'muck-001' });
    const again = await directory.registerTerminal(terminal('013900000003', { plate: '鲁A·20001' }), T0 + 1000);
    expect(again).toMatchObject({ outcome: 'accepted', entityId: 'muck-001' });
    expect(directory.authenticate('jt808', '013900000003', (again as { authCode: string }).authCode, T0)).toEqual({ ok: true, entityId: 'muck-001' });
  });

  it('quarantine: a rejected terminal is refused when it registers again, and the refusal is counted on it', async () => {
    const { directory } = await world('quarantine');
    await directory.registerTerminal(terminal('013900000004'), T0);
    const d = directory.find('jt808', '013900000004')!;
    await directory.reject(d.id);
    expect(await directory.registerTerminal(terminal('013900000004'), T0 + 5)).toMatchObject({ outcome: 'refused', reason: 'rejected' });
    expect(d.refused).toBe(1);
    expect(d.lastRefusal).toMatchObject({ at: T0 + 5, reason: 'registration:rejected' });
  });

  it('closed: an unknown terminal is refused and counted; a known one still registers', async () => {
    const { directory } = await world('closed');
    expect(await directory.registerTerminal(terminal('013900000005'), T0)).toMatchObject({ outcome: 'refused', reason: 'closed' });
    expect(directory.find('jt808', '013900000005')).toBeUndefined();
    expect(directory.unattributed.jt808).toEqual({ registrationClosed: 1 });
    await directory.create('jt808', '013900000006', { entityId: 'veh-001' }, 'known');
    expect(await directory.registerTerminal(terminal('013900000006'), T0)).toMatchObject({ outcome: 'accepted', entityId: 'veh-001' });
  });

  it('counts connections, refusals with and without a device id, and answers deviceFor', async () => {
    const { directory } = await world('open');
    await directory.registerTerminal(terminal('013900000007', { plate: '鲁A·10001' }), T0);
    directory.connected('jt808', '013900000007', '10.0.0.8:4000', T0 + 1);
    const d = directory.find('jt808', '013900000007')!;
    expect(d).toMatchObject({ connected: true, address: '10.0.0.8:4000', lastSeen: T0 + 1 });
    directory.refused('jt808', '013900000007', 'badChecksum', 'xor 0x12 ≠ 0x13', T0 + 2);
    directory.refused('jt808', undefined, 'badFrame', 'no header', T0 + 2);
    expect(d).toMatchObject({ refused: 1, lastRefusal: { at: T0 + 2, reason: 'badChecksum', detail: 'xor 0x12 ≠ 0x13' } });
    expect(directory.unattributed.jt808).toEqual({ badFrame: 1 });
    directory.disconnected('jt808', '013900000007', T0 + 3);
    expect(d.connected).toBe(false);
    expect(directory.deviceFor('veh-001', 'jt808')).toBe('013900000007');
    expect(directory.deviceFor('veh-001', 'mqtt')).toBeUndefined();
  });
});

describe('device directory: registration writes and lookups', () => {
  it('open: a new terminal, its auth code hash and the vehicle made for it are stored in one transaction, all before the answer', async () => {
    const { db, sql, directory, live } = await world('open');
    const commits = countCommits(sql);
    const r = await directory.registerTerminal(terminal('013900000011', { plate: '鲁A·55555' }), T0) as { outcome: 'accepted'; entityId: string; authCode: string };
    expect(r).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000011' });
    expect(commits).toEqual({ transactions: 1, storeWrites: 0 });
    expect(db.prepare("SELECT auth_hash FROM devices WHERE device_id = '013900000011'").get()).toEqual({ auth_hash: createHash('sha256').update(r.authCode).digest('hex') });
    expect(db.prepare("SELECT id FROM runtime_entities WHERE id = 'rt-jt808-013900000011'").get()).toEqual({ id: 'rt-jt808-013900000011' });
    expect(live.get('rt-jt808-013900000011')).toBeDefined();
  });

  it('open: a registration the store refuses leaves no device and no entity behind, and the next attempt succeeds', async () => {
    const { db, repo, directory, live } = await world('open');
    const insert = repo.insert.bind(repo);
    repo.insert = () => Promise.reject(new Error('disk I/O error'));
    await expect(directory.registerTerminal(terminal('013900000012', { plate: '鲁A·66666' }), T0)).rejects.toThrow(/disk I\/O/);
    expect(live.get('rt-jt808-013900000012')).toBeUndefined();
    expect(directory.find('jt808', '013900000012')).toBeUndefined();
    expect(db.prepare("SELECT count(*) AS n FROM runtime_entities").get()).toEqual({ n: 0 });
    repo.insert = insert;
    expect(await directory.registerTerminal(terminal('013900000012', { plate: '鲁A·66666' }), T0)).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000012' });
    expect(db.prepare("SELECT count(*) AS n FROM runtime_entities").get()).toEqual({ n: 1 });
  });

  it('finds a vehicle by a plate a report gave it, and by the plate of a vehicle made at run time', async () => {
    const { directory, ingest } = await world('open');
    await expect(directory.create('mqtt', 'tracker-1', { plate: '鲁A·31313' }, null)).rejects.toThrow(/no vehicle or muck truck with plate/);
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, attrs: { plate: '鲁A·31313' } }).accepted).toBe(true);
    expect(await directory.registerTerminal(terminal('013900000013', { plate: '鲁A·31313' }), T0)).toMatchObject({ outcome: 'accepted', entityId: 'veh-001' });
    expect(await directory.registerTerminal(terminal('013900000014', { plate: '鲁A·10001' }), T0)).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000014' });
    await directory.create('mqtt', 'tracker-2', { plate: '鲁A 10001' }, null);
    expect(directory.find('mqtt', 'tracker-2')!.entityId).toBe('rt-jt808-013900000014');
  });

  it('writes the takeovers of first reports arriving together in one commit, at the end of the tick', async () => {
    const { db, sql, directory, ingest } = await world('open');
    await directory.create('http', 'phone-a', { entityId: 'veh-001' }, null);
    await directory.create('http', 'phone-b', { entityId: 'muck-001' }, null);
    const commits = countCommits(sql);
    const tookOver = () => db.prepare("SELECT device_id, took_over_at FROM devices WHERE source = 'http' ORDER BY device_id").all();
    expect(ingest.submit({ source: 'http', deviceId: 'phone-a', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    expect(ingest.submit({ source: 'http', deviceId: 'phone-b', ts: T0, pos: { lon: 117.06, lat: 36.65 } }).accepted).toBe(true);
    expect(directory.isReal('veh-001') && directory.isReal('muck-001')).toBe(true);
    expect(commits).toEqual({ transactions: 0, storeWrites: 0 });
    await new Promise((r) => setImmediate(r));
    await directory.settle();
    expect(commits).toEqual({ transactions: 1, storeWrites: 0 });
    expect(tookOver()).toEqual([{ device_id: 'phone-a', took_over_at: T0 }, { device_id: 'phone-b', took_over_at: T0 }]);
  });

  it('follows a device to the entity it is bound to next, and frees an entity when its device is removed', async () => {
    const { directory } = await world('open');
    const d = await directory.create('http', 'phone-2', { entityId: 'veh-001' }, null);
    expect(directory.deviceFor('veh-001', 'http')).toBe('phone-2');
    await directory.bind(d.id, { entityId: 'muck-001' });
    expect(directory.deviceFor('veh-001', 'http')).toBeUndefined();
    expect(directory.deviceFor('muck-001', 'http')).toBe('phone-2');
    await expect(directory.create('http', 'phone-3', { entityId: 'muck-001' }, null)).rejects.toThrow(/already has the http device phone-2/);
    await directory.remove(d.id);
    expect(directory.deviceFor('muck-001', 'http')).toBeUndefined();
    expect((await directory.create('http', 'phone-3', { entityId: 'muck-001' }, null)).entityId).toBe('muck-001');
  });
});

describe('device directory: the ingest and the takeover', () => {
  it('a real device\'s first accepted report takes the entity over: the simulator\'s reports are refused as takenOver until the device is disabled', async () => {
    const { directory, ingest, live, tick } = await world('open');
    const takeovers: string[] = [];
    directory.onTakeover((id, d) => takeovers.push(`${id}:${d?.deviceId ?? 'sim'}`));
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    const d = await directory.create('mqtt', 'tracker-1', { plate: '鲁A 10001' }, null);
    expect(d.entityId).toBe('veh-001');
    expect(directory.isReal('veh-001')).toBe(false);
    tick(1000);
    expect(ingest.submit({ source: 'mqtt', deviceId: 'tracker-1', ts: T0 + 1000, pos: { lon: 117.051, lat: 36.65 } })).toEqual({ accepted: true, entityId: 'veh-001' });
    expect(directory.isReal('veh-001')).toBe(true);
    expect(takeovers).toEqual(['veh-001:tracker-1']);
    tick(1000);
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0 + 2000, pos: { lon: 117.06, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'takenOver' });
    expect(live.get('veh-001')!.pos!.lon).toBe(117.051);
    expect(d).toMatchObject({ accepted: 1, lastSeen: T0 + 1000, tookOverAt: T0 + 1000 });
    await directory.disable(d.id);
    expect(takeovers).toEqual(['veh-001:tracker-1', 'veh-001:sim']);
    expect(ingest.submit({ source: 'mqtt', deviceId: 'tracker-1', ts: T0 + 3000, pos: { lon: 117.052, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'deviceInactive' });
    expect(d).toMatchObject({ refused: 1, lastRefusal: { reason: 'deviceInactive' } });
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0 + 3000, pos: { lon: 117.052, lat: 36.65 } }).accepted).toBe(true);
  });

  it('a device taking over is not judged against the simulator\'s last fix: 2.2 km away, or a fix older than the simulator\'s, moves the marker', async () => {
    const { directory, ingest, live, tick } = await world('open');
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0 + 5000, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    await directory.create('http', 'phone-1', { entityId: 'veh-001' }, null);
    tick(5000);
    // 0.0248° of longitude at 36.65° N is 2.2 km: in 1 s from the simulator's fix that would be ~8,000 km/h.
    expect(ingest.submit({ source: 'http', deviceId: 'phone-1', ts: T0 + 4000, pos: { lon: 117.0748, lat: 36.65 } })).toEqual({ accepted: true, entityId: 'veh-001' });
    expect(live.get('veh-001')!.pos).toMatchObject({ lon: 117.0748, lat: 36.65, ts: T0 + 4000 });
    expect(directory.isReal('veh-001')).toBe(true);
    // From then on the device's own fixes are the reference: a jump of 2.2 km in 1 s is refused.
    tick(1000);
    expect(ingest.submit({ source: 'http', deviceId: 'phone-1', ts: T0 + 5000, pos: { lon: 117.05, lat: 36.65 } })).toMatchObject({ accepted: false, reason: 'impossibleJump' });
  });

  it('keeps devices, takeovers and runtime entities across a restart, with counters flushed', async () => {
    const first = await world('open');
    await first.directory.registerTerminal(terminal('013900000008', { plate: '鲁A·77777' }), T0);
    expect(first.ingest.submit({ source: 'jt808', deviceId: '013900000008', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    expect(await first.directory.flushCounters()).toBeGreaterThan(0);
    first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);

    const second = await world('closed', first.dir);
    expect(second.live.get('rt-jt808-013900000008')).toMatchObject({ kind: 'vehicle', index: PACK.length });
    expect(second.directory.isReal('rt-jt808-013900000008')).toBe(true);
    expect(second.directory.find('jt808', '013900000008')).toMatchObject({ accepted: 1, lastSeen: T0, connected: false });
    // One simulator device per pack entity, id = entity id.
    expect([...second.directory.all()].filter((d) => d.protocol === 'sim').map((d) => d.deviceId)).toEqual(PACK.map((e) => e.id));
  });

  it('refuses bindings that make no sense: a JT/T 808 terminal on a bin, a second active device of one protocol on an entity, a new bin without a place', async () => {
    const { directory } = await world('open');
    await expect(directory.create('jt808', 't1', { entityId: 'bin-00001' }, null)).rejects.toThrow(/reports positions/);
    await directory.create('mqtt', 'm1', { entityId: 'bin-00001' }, null);
    await expect(directory.create('mqtt', 'm2', { entityId: 'bin-00001' }, null)).rejects.toThrow(/already has the mqtt device m1/);
    await expect(directory.create('mqtt', 'm3', { newEntity: { kind: 'bin', name: 'new bin' } }, null)).rejects.toThrow(/needs its place/);
    await expect(directory.create('mqtt', 'm4', { newEntity: { kind: 'bin', name: 'new bin', lon: 116.5, lat: 36.6 } }, null)).rejects.toThrow(/outside the district/);
    await expect(directory.create('mqtt', 'm5', { newEntity: { kind: 'toilet', name: 'WC', type: 'IV', lon: 117.1, lat: 36.6 } }, null)).rejects.toThrow(/toilet class "IV" is not one of I, II, III/);
    const ok = await directory.create('mqtt', 'm6', { newEntity: { kind: 'bin', name: 'new bin', type: 'garbage', lon: 117.1, lat: 36.6 } }, null);
    expect(ok.entityId).toBe('rt-mqtt-m6');
  });
});
