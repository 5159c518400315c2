/**
 * The repositories of alarms, devices, the JT/T 808 text downlink, HTTP ingest keys and their
 * idempotent answers, and Open311 keys and requests, converted to the asynchronous layer, give
 * the same answers on SQLite and PostgreSQL: ids from RETURNING, upserts, optimistic versions
 * (409), ordering, and the alarm book's batches committed in order — also when the rules change
 * an alarm while its batch is being committed, or when a commit fails. Expected values are
 * worked out by hand from what each test writes into a fresh store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../shared/alarms.ts';
import { AlarmBook, type Originator } from '../../server/alarms/alarm-book.ts';
import { AlarmRepo } from '../../server/alarms/alarm-repo.ts';
import { AlarmSettingsRepo, DEFAULT_ALARM_SETTINGS } from '../../server/alarms/settings.ts';
import { DeviceDirectory } from '../../server/devices/device-directory.ts';
import { DevicesRepo } from '../../server/devices/device-repo.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import type { AnyEntity } from '../../shared/entities.ts';
import { IdempotencyRepo, IDEMPOTENCY_TTL_MS } from '../../server/ingest/http/idempotency-repo.ts';
import { IngestKeysRepo } from '../../server/ingest/http/keys-repo.ts';
import { MSG } from '../../server/ingest/jt808/messages.ts';
import type { Jt808Session } from '../../server/ingest/jt808/session.ts';
import { TextDownlink } from '../../server/ingest/jt808/text-downlink.ts';
import { Open311KeysRepo, REPORT_PAGE_KEY_NAME } from '../../server/open311/keys-repo.ts';
import { Open311RequestsRepo, type Open311Link } from '../../server/open311/requests-repo.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import type { SqlParam, SqlRow, SqlStore, SqlTx } from '../../server/store/sql/types.ts';
import type { BatchResult } from '../../shared/schemas/ingest.ts';
import { storeDrivers } from './store-pg-harness.ts';

/** Real times (ms since epoch beyond 2³¹): BIGINT columns on PostgreSQL. */
const T0 = Date.parse('2026-12-07T08:00:00+08:00');
const S = 1000;

const drivers = storeDrivers('devrepos');

/** The store as the alarm book sees it, with a transaction that can be held at its start or made to fail once. */
function controllable(store: SqlStore) {
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  let failNext = false;
  const wrapped: SqlStore = {
    dialect: store.dialect,
    query: <T extends SqlRow>(sql: string, params?: readonly SqlParam[]) => store.query<T>(sql, params),
    one: <T extends SqlRow>(sql: string, params?: readonly SqlParam[]) => store.one<T>(sql, params),
    exec: (sql: string, params?: readonly SqlParam[]) => store.exec(sql, params),
    close: () => store.close(),
    transaction: async <T>(work: (tx: SqlTx) => Promise<T>): Promise<T> => {
      if (gate) await gate;
      if (failNext) { failNext = false; throw new Error('disk full'); }
      return store.transaction(work);
    },
  };
  return {
    store: wrapped,
    hold() { gate = new Promise<void>((r) => { open = () => { gate = undefined; r(); }; }); },
    release() { open(); },
    failOnce() { failNext = true; },
  };
}

const base = { orgCode: '370102001', gridId: 'g1', connectivity: 'offline', lastSeen: 0, version: 0 } as const;
const PACK: AnyEntity[] = [
  { ...base, id: 'veh-001', kind: 'vehicle', name: '鲁A·10001', status: 'parked', attrs: { vehicleType: 'sweeper', plate: '鲁A·10001', working: false } },
  { ...base, id: 'bin-00001', kind: 'bin', name: 'bin-00001', status: 'ok', pos: { lon: 117.02, lat: 36.66, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
];
const connectivity = connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 });

const bin = (id: string): Originator => ({ id, kind: 'bin', name: `Bin ${id}`, orgCode: '370102001', gridId: 'g1', pos: { lon: 117.05, lat: 36.66 } });

const alarm = (over: Partial<Alarm>): Alarm => ({
  id: 0, type: 'binFull', severity: 'warning', entityId: 'bin-1', entityKind: 'bin', entityName: 'Bin 1', orgCode: '370102001', gridId: 'g1',
  lon: 117.05, lat: 36.66, startTs: T0, updateTs: T0, endTs: null, active: true, ackBy: null, ackTs: null, clearedBy: null,
  detail: 'fill 85 % ≥ 80 %', value: 85, caseId: null, version: 1, ...over,
});

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`devices, alarms, ingest and Open311 repositories on ${driver.name}`, () => {
    let h: { store: SqlStore; dispose(): Promise<void> };
    beforeEach(async () => { h = await driver.open(); });
    afterEach(async () => { await h?.dispose(); });

    it('alarm rows: ids in order, one active per originator and type, versioned updates, filtered lists newest first', async () => {
      const repo = new AlarmRepo(h.store);
      expect(await repo.insert(alarm({}))).toBe(1);
      expect(await repo.insert(alarm({ entityId: 'bin-2', updateTs: T0 + 5 * S }))).toBe(2);
      expect(await repo.insert(alarm({ type: 'binOverflow', severity: 'major', updateTs: T0 + 2 * S, active: false, endTs: T0 + 2 * S }))).toBe(3);
      // A second active binFull for bin-1 is refused by the store.
      await expect(repo.insert(alarm({}))).rejects.toThrow();
      // A stale version changes nothing; the current one writes.
      expect(await repo.update(alarm({ id: 1, value: 90, version: 2, updateTs: T0 + 9 * S }), 2)).toBe(false);
      expect(await repo.update(alarm({ id: 1, value: 90, version: 2, updateTs: T0 + 9 * S }), 1)).toBe(true);
      expect(await repo.get(1)).toEqual(alarm({ id: 1, value: 90, version: 2, updateTs: T0 + 9 * S }));
      expect(await repo.get(4)).toBeUndefined();
      expect((await repo.active()).map((a) => a.id)).toEqual([1, 2]);
      expect((await repo.changedSince(T0 + 2 * S)).map((a) => a.id)).toEqual([3, 2, 1]);
      expect((await repo.query({})).map((a) => a.id)).toEqual([1, 2, 3]);
      expect((await repo.query({ active: true, limit: 1 })).map((a) => a.id)).toEqual([1]);
      expect((await repo.query({ entityId: 'bin-1', active: false })).map((a) => [a.id, a.type, a.active, a.endTs])).toEqual([[3, 'binOverflow', false, T0 + 2 * S]]);
      expect(await repo.query({ street: '370102999' })).toEqual([]);
    });

    it('alarm settings: defaults until saved, saved once from version 0, then only from the current version (409), invalid ones 400', async () => {
      const repo = new AlarmSettingsRepo(h.store);
      expect(await repo.load()).toEqual({ settings: DEFAULT_ALARM_SETTINGS, version: 0, updatedTs: null, updatedBy: null });
      const first = { ...DEFAULT_ALARM_SETTINGS, binFullPct: 70 };
      expect(await repo.save(first, 0, 'ada', T0)).toEqual({ settings: first, version: 1, updatedTs: T0, updatedBy: 'ada' });
      await expect(repo.save(first, 0, 'bob', T0 + S)).rejects.toMatchObject({ statusCode: 409, code: 'conflict' });
      const second = { ...first, clearHoldS: 30 };
      expect((await repo.save(second, 1, 'bob', T0 + 2 * S)).version).toBe(2);
      await expect(repo.save(second, 1, 'ada', T0 + 3 * S)).rejects.toMatchObject({ statusCode: 409 });
      await expect(repo.save({ ...second, binFullPct: 99 }, 2, 'ada', T0 + 3 * S)).rejects.toMatchObject({ statusCode: 400 });
      expect(await repo.load()).toEqual({ settings: second, version: 2, updatedTs: T0 + 2 * S, updatedBy: 'bob' });
    });

    it('alarm book: raise, update and clear are committed in order with their ids; a user ack after the clear goes to the row', async () => {
      const repo = new AlarmRepo(h.store);
      // One alarm from an earlier run is active: the book starts with it.
      await repo.insert(alarm({ entityId: 'bin-0' }));
      const events = new DomainEvents();
      const seen: string[] = [];
      events.on('alarm:changed', (id) => seen.push(`changed ${id}`));
      events.on('alarm:raised', (id, type) => seen.push(`raised ${id} ${type}`));
      const book = await AlarmBook.open(repo, events, () => DEFAULT_ALARM_SETTINGS);
      expect(book.isActive('bin-0', 'binFull')).toBe(true);

      book.assert(bin('bin-9'), 'binOverflow', { detail: 'fill 96 %', value: 96 }, T0);
      book.assert(bin('bin-9'), 'binOverflow', { detail: 'fill 97 %', value: 97 }, T0 + S);
      // Not in the store until a flush; every read flushes first.
      expect(await repo.get(2)).toBeUndefined();
      expect(await book.get(2)).toMatchObject({ id: 2, entityId: 'bin-9', value: 97, version: 2, startTs: T0, updateTs: T0 + S, active: true });
      expect(await repo.get(2)).toMatchObject({ value: 97, version: 2 });
      expect(seen).toEqual(['changed 2', 'raised 2 binOverflow']);

      book.assert(bin('bin-9'), 'binOverflow', { detail: 'fill 98 %', value: 98 }, T0 + 2 * S);
      book.release('bin-9', 'binOverflow', T0 + 3 * S);
      book.tick(T0 + 62 * S); // 59 s of the 60 s hold: not cleared, but the refreshed reading waited its 10 s
      await book.settle();
      expect(await repo.get(2)).toMatchObject({ active: true, value: 98, version: 3 });
      book.tick(T0 + 63 * S);
      await book.settle();
      expect(await repo.get(2)).toMatchObject({ active: false, endTs: T0 + 3 * S, clearedBy: 'system', value: 98, version: 4, updateTs: T0 + 63 * S });
      expect(seen).toEqual(['changed 2', 'raised 2 binOverflow', 'changed 2', 'changed 2']);

      const acked = await book.ack(2, { name: 'dora', role: 'dispatcher' }, T0 + 70 * S, 4);
      expect(acked).toMatchObject({ ackBy: 'dora', ackTs: T0 + 70 * S, version: 5, active: false });
      await expect(book.ack(2, { name: 'ada', role: 'admin' }, T0 + 71 * S)).rejects.toMatchObject({ statusCode: 409, code: 'invalid_transition' });
      await expect(book.clear(2, { name: 'ada', role: 'admin' }, T0 + 71 * S)).rejects.toMatchObject({ statusCode: 409, code: 'invalid_transition' });
      await expect(book.clear(1, { name: 'ada', role: 'admin' }, T0 + 71 * S, 7)).rejects.toMatchObject({ statusCode: 409, code: 'conflict' });
      await expect(book.ack(99, { name: 'ada', role: 'admin' }, T0 + 71 * S)).rejects.toMatchObject({ statusCode: 404 });
      expect(await book.clear(1, { name: 'ada', role: 'admin' }, T0 + 72 * S, 1)).toMatchObject({ id: 1, active: false, clearedBy: 'ada', version: 2 });
      await book.linkCase(2, 42);
      expect(await repo.get(2)).toMatchObject({ caseId: 42, version: 6, ackBy: 'dora' });
      expect((await book.query({ active: false })).map((a) => [a.id, a.version])).toEqual([[1, 2], [2, 6]]);
      expect(await book.active()).toEqual([]);
    });

    it('alarm book: a change made while its batch commits goes in the next batch, and a failed batch is committed by the next flush', async () => {
      const c = controllable(h.store);
      const repo = new AlarmRepo(c.store);
      const events = new DomainEvents();
      const raised: number[] = [];
      events.on('alarm:raised', (id) => raised.push(id));
      const book = await AlarmBook.open(repo, events, () => DEFAULT_ALARM_SETTINGS);

      book.assert(bin('bin-1'), 'binFull', { detail: 'fill 85 %', value: 85 }, T0);
      c.hold();
      const first = book.flush();
      await new Promise((r) => setImmediate(r));
      // The batch is taken (version 1, to be inserted); the rules change the alarm meanwhile.
      book.assert(bin('bin-1'), 'binFull', { detail: 'fill 88 %', value: 88 }, T0 + S);
      c.release();
      await first;
      expect(await repo.get(1)).toMatchObject({ value: 85, version: 1 });
      await book.flush();
      expect(await repo.get(1)).toMatchObject({ value: 88, version: 2 });
      expect((await repo.query({})).length).toBe(1);

      book.assert(bin('bin-2'), 'binFull', { detail: 'fill 81 %', value: 81 }, T0 + 2 * S);
      c.failOnce();
      await expect(book.flush()).rejects.toThrow('disk full');
      expect(await repo.get(2)).toBeUndefined();
      await book.flush();
      expect(await repo.get(2)).toMatchObject({ entityId: 'bin-2', value: 81, version: 1 });
      expect(raised).toEqual([1, 2]);
    });

    it('device rows: simulator devices once per entity, a device with the entity made for it in one transaction, identity and counters written, removal', async () => {
      const repo = new DevicesRepo(h.store);
      expect(await repo.ensureSimDevices(['veh-001', 'bin-00001'], T0)).toBe(2);
      const made = { ...base, id: 'rt-jt808-013900000001', kind: 'vehicle', name: '鲁A·99999', status: 'parked', pos: { lon: 117.05, lat: 36.65, ts: 0 }, attrs: { vehicleType: 'sweeper', plate: '鲁A·99999', working: false } } as AnyEntity;
      const row = await repo.insert({ protocol: 'jt808', deviceId: '013900000001', entityId: made.id, label: null, state: 'active', plate: '鲁A·99999', meta: { model: 'T1' }, authHash: 'ab'.repeat(32), address: '10.0.0.7:5000', createdAt: T0 + 2 * S }, made, T0 + 2 * S);
      expect(row).toEqual({
        id: 3, protocol: 'jt808', deviceId: '013900000001', entityId: made.id, label: null, createdAt: T0 + 2 * S, state: 'active', plate: '鲁A·99999', meta: { model: 'T1' },
        authHash: 'ab'.repeat(32), address: '10.0.0.7:5000', lastSeen: null, accepted: 0, refused: 0, lastRefusal: null, tookOverAt: null,
      });
      // The same terminal again, or an entity made twice: the store refuses, and nothing of it stays.
      const second = { ...made, id: 'rt-jt808-013900000002' } as AnyEntity;
      await expect(repo.insert({ ...row, deviceId: '013900000001' }, second, T0 + 3 * S)).rejects.toThrow();
      expect((await repo.runtimeEntities()).map((r) => r.entity.id)).toEqual([made.id]);
      expect(await repo.ensureSimDevices(['veh-001', 'bin-00001', 'veh-002'], T0 + S)).toBe(1);
      await repo.saveIdentities([{ ...row, state: 'disabled', label: 'truck 9', tookOverAt: T0 + 4 * S }]);
      expect(await repo.saveCounters([{ ...row, state: 'disabled', label: 'truck 9', tookOverAt: T0 + 4 * S, lastSeen: T0 + 5 * S, accepted: 12, refused: 1, lastRefusal: { at: T0 + 5 * S, reason: 'badChecksum', detail: 'xor' } }])).toBe(1);
      const all = await repo.all();
      // PostgreSQL spends an id on every insert that conflicts (the failed terminal, the two known simulator devices): 4 to 6 are gone there.
      const simId = driver.name === 'PostgreSQL' ? 7 : 4;
      expect(all.map((d) => [d.id, d.protocol, d.deviceId, d.entityId])).toEqual([[1, 'sim', 'veh-001', 'veh-001'], [2, 'sim', 'bin-00001', 'bin-00001'], [3, 'jt808', '013900000001', made.id], [simId, 'sim', 'veh-002', 'veh-002']]);
      expect(all[2]).toMatchObject({ state: 'disabled', label: 'truck 9', tookOverAt: T0 + 4 * S, lastSeen: T0 + 5 * S, accepted: 12, refused: 1, lastRefusal: { at: T0 + 5 * S, reason: 'badChecksum', detail: 'xor' } });
      const [entity] = await repo.runtimeEntities();
      expect(entity).toEqual({ createdAt: T0 + 2 * S, entity: { ...made, pos: { lon: 117.05, lat: 36.65, ts: 0 } } });
      // Rows by id, as another node reads back what this one changed: unknown ids are absent.
      expect(await repo.byIds([3, 1, 999])).toEqual([all[0], all[2]]);
      await repo.remove(3);
      expect((await repo.all()).map((d) => d.id)).toEqual([1, 2, simId]);
      expect(await repo.byIds([3])).toEqual([]);
    });

    it('device registry: a terminal registering twice at once is stored once, with the entity made for it; counters and takeovers go behind the hot path', async () => {
      let now = T0;
      const live = new LiveState(PACK, connectivity);
      const repo = new DevicesRepo(h.store);
      const directory = new DeviceDirectory({ repo, live, policy: 'open', now: () => now, place: () => null });
      expect(await directory.load(PACK.map((e) => e.id))).toEqual({ runtimeEntities: 0, devices: 2 });
      const terminal = { protocol: 'jt808' as const, deviceId: '013900000009', address: '10.0.0.7:5000', plate: '鲁A·55555' };
      const [a, b] = await Promise.all([directory.registerTerminal(terminal, now), directory.registerTerminal(terminal, now)]);
      expect(a).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000009' });
      expect(b).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000009' });
      expect(await h.store.query("SELECT id, entity_id FROM devices WHERE source = 'jt808'")).toEqual([{ id: 3, entity_id: 'rt-jt808-013900000009' }]);
      expect(await h.store.one('SELECT COUNT(*) AS n FROM runtime_entities')).toEqual({ n: 1 });
      // The second answer's code is the one the store holds.
      expect(directory.authenticate('jt808', '013900000009', (b as { authCode: string }).authCode, now)).toEqual({ ok: true, entityId: 'rt-jt808-013900000009' });
      expect(directory.authenticate('jt808', '013900000009', (a as { authCode: string }).authCode, now)).toMatchObject({ ok: false, reason: 'badAuthCode' });
      // Reports count in memory at once; the first one takes the entity over and is written at the end of the turn.
      now += S;
      directory.accepted('jt808', '013900000009', 'rt-jt808-013900000009', now);
      directory.accepted('jt808', '013900000009', 'rt-jt808-013900000009', now);
      expect(directory.find('jt808', '013900000009')).toMatchObject({ accepted: 2, tookOverAt: now });
      await new Promise((r) => setImmediate(r));
      await directory.settle();
      expect(await h.store.one("SELECT took_over_at, accepted FROM devices WHERE id = 3")).toEqual({ took_over_at: now, accepted: 0 });
      expect(await directory.flushCounters()).toBe(1);
      expect(await directory.flushCounters()).toBe(0);
      expect(await h.store.one("SELECT accepted, last_seen, refused FROM devices WHERE id = 3")).toEqual({ accepted: 2, last_seen: now, refused: 1 });
      // After a restart the device drives its entity again, made back from the store.
      const again = new DeviceDirectory({ repo, live: new LiveState(PACK, connectivity), policy: 'closed', now: () => now, place: () => null });
      expect(await again.load(PACK.map((e) => e.id))).toEqual({ runtimeEntities: 1, devices: 3 });
      expect(again.isReal('rt-jt808-013900000009')).toBe(true);
      // PostgreSQL spent ids 4 and 5 on the two simulator devices the restart found already there.
      await expect(again.create('mqtt', 'm-1', { entityId: 'bin-00001' }, null)).resolves.toMatchObject({ id: driver.name === 'PostgreSQL' ? 6 : 4, entityId: 'bin-00001', state: 'active' });
      await expect(again.create('mqtt', 'm-1', { entityId: 'bin-00001' }, null)).rejects.toMatchObject({ statusCode: 409 });
    });

    it('device registry on two nodes: what one writes, the other takes in by refresh (fields from the store, its own counters kept, indexes in step, removed devices forgotten)', async () => {
      let now = T0;
      const repo = new DevicesRepo(h.store);
      const liveA = new LiveState(PACK, connectivity);
      const liveB = new LiveState(PACK, connectivity);
      const a = new DeviceDirectory({ repo, live: liveA, policy: 'open', now: () => now, place: () => null });
      const b = new DeviceDirectory({ repo, live: liveB, policy: 'closed', now: () => now, place: () => null });
      await a.load(PACK.map((e) => e.id));
      await b.load(PACK.map((e) => e.id));
      const announcedA: number[][] = [];
      const announcedB: number[][] = [];
      a.onChanged((ids) => announcedA.push([...ids]));
      b.onChanged((ids) => announcedB.push([...ids]));
      const takeoversB: string[] = [];
      b.onTakeover((id, d) => takeoversB.push(`${id}:${d?.deviceId ?? 'sim'}`));

      // Added on A: B refuses it until it refreshes that id.
      const phone = await a.create('http', 'phone-1', { entityId: 'veh-001' }, 'crew phone');
      expect(announcedA).toEqual([[phone.id]]);
      expect(b.resolve('http', 'phone-1')).toMatchObject({ ok: false, reason: 'unknownDevice' });
      expect(await b.refresh([phone.id])).toEqual({ changed: 0, added: 1, removed: 0 });
      expect(b.resolve('http', 'phone-1')).toEqual({ ok: true, entityId: 'veh-001', handover: true });
      expect(b.get(phone.id)).toMatchObject({ label: 'crew phone', state: 'active' });
      expect(b.deviceFor('veh-001', 'http')).toBe('phone-1');
      // A refresh announces nothing: the node that wrote did.
      expect(announcedB).toEqual([]);

      // Its first report reaches B: B's takeover is written and announced; A learns the simulator must leave veh-001 alone.
      now += S;
      b.accepted('http', 'phone-1', 'veh-001', now);
      b.accepted('http', 'phone-1', 'veh-001', now);
      await new Promise((r) => setImmediate(r));
      await b.settle();
      expect(announcedB).toEqual([[phone.id]]);
      expect(a.isReal('veh-001')).toBe(false);
      expect(await a.refresh([phone.id])).toEqual({ changed: 1, added: 0, removed: 0 });
      expect(a.isReal('veh-001')).toBe(true);
      expect(a.driverOf('veh-001')?.deviceId).toBe('phone-1');
      // A's counters are A's: the reports were B's.
      expect(a.get(phone.id)).toMatchObject({ accepted: 0, lastSeen: null, tookOverAt: now });

      // Disabled on A: B refuses the device and gives veh-001 back to the simulator, keeping its own counters.
      await a.disable(phone.id);
      expect(await b.refresh([phone.id])).toEqual({ changed: 1, added: 0, removed: 0 });
      expect(b.resolve('http', 'phone-1')).toMatchObject({ ok: false, reason: 'deviceInactive' });
      expect(b.isReal('veh-001')).toBe(false);
      expect(takeoversB).toEqual(['veh-001:phone-1', 'veh-001:sim']);
      expect(b.get(phone.id)).toMatchObject({ state: 'disabled', accepted: 2, lastSeen: now });
      expect(b.deviceFor('veh-001', 'http')).toBeUndefined();

      // Enabled and bound elsewhere on A; B's refreshAll (after an outage) takes in both, its entity lists in step.
      await a.enable(phone.id);
      await a.bind(phone.id, { entityId: 'bin-00001' });
      expect(await b.refreshAll()).toMatchObject({ changed: 1, added: 0, removed: 0 });
      expect(b.deviceFor('veh-001', 'http')).toBeUndefined();
      expect(b.deviceFor('bin-00001', 'http')).toBe('phone-1');
      expect(b.resolve('http', 'phone-1')).toEqual({ ok: true, entityId: 'bin-00001', handover: true });

      // A terminal registered on A with a vehicle made for it: B has the entity from the store (its replication row may come later) and the auth code's hash.
      const reg = await a.registerTerminal({ protocol: 'jt808', deviceId: '013900000042', address: '10.0.0.9:5000', plate: '鲁A·42424' }, now);
      expect(reg).toMatchObject({ outcome: 'accepted', entityId: 'rt-jt808-013900000042' });
      const terminal = a.find('jt808', '013900000042')!;
      expect(b.authenticate('jt808', '013900000042', (reg as { authCode: string }).authCode, now)).toMatchObject({ ok: false, reason: 'unknownDevice' });
      await b.refresh(announcedA.at(-1)!);
      expect(liveB.get('rt-jt808-013900000042')).toMatchObject({ kind: 'vehicle', name: '鲁A·42424' });
      expect(b.authenticate('jt808', '013900000042', (reg as { authCode: string }).authCode, now)).toEqual({ ok: true, entityId: 'rt-jt808-013900000042' });

      // Removed on A: B forgets it everywhere; a refresh of an id B never knew changes nothing.
      await a.remove(terminal.id);
      expect(await b.refresh([terminal.id, 9999])).toEqual({ changed: 0, added: 0, removed: 1 });
      expect(b.find('jt808', '013900000042')).toBeUndefined();
      expect(b.get(terminal.id)).toBeUndefined();
      expect(b.deviceFor('rt-jt808-013900000042', 'jt808')).toBeUndefined();
      expect([...b.all()].map((d) => d.id)).toEqual([...a.all()].map((d) => d.id));
    });

    it('JT/T 808 texts: stored as queued, sent when the terminal is there, closed by its answer, expired past the TTL', async () => {
      let now = T0;
      const sent: string[] = [];
      let serial = 40;
      const session = { deviceId: '013900000001', sendText: (text: string) => { sent.push(text); return ++serial; } } as unknown as Jt808Session;
      let online = false;
      const texts = new TextDownlink(h.store, (t) => (online && t === '013900000001' ? session : undefined), 60_000, () => now);
      const target = { id: 7, deviceId: '013900000001' };
      expect(await texts.send(target, '请到经十路', 'admin')).toEqual({ id: 1, deviceId: 7, text: '请到经十路', sentBy: 'admin', caseId: null, sentAt: null, result: null, answeredAt: null, status: 'queued' });
      online = true;
      now += S;
      await texts.onSession(session);
      expect(sent).toEqual(['请到经十路']);
      expect(await texts.send(target, '派遣 LX-1', 'dispatch', 12)).toMatchObject({ id: 2, status: 'sent', sentAt: T0 + S, caseId: 12 });
      expect(sent).toEqual(['请到经十路', '派遣 LX-1']);
      now += S;
      expect(await texts.onAnswer({ deviceId: '013900000001', serial: 41, messageId: MSG.positionQuery, result: 0 })).toBe(false);
      expect(await texts.onAnswer({ deviceId: '013900000001', serial: 99, messageId: MSG.text, result: 0 })).toBe(false);
      expect(await texts.onAnswer({ deviceId: '013900000001', serial: 41, messageId: MSG.text, result: 0 })).toBe(true);
      expect((await texts.list(7)).map((m) => [m.id, m.status, m.result, m.answeredAt])).toEqual([[2, 'sent', null, null], [1, 'answered', 0, T0 + 2 * S]]);
      expect(await texts.list(8)).toEqual([]);
      now = T0 + 62 * S; // the second message, sent at T0 + 1 s, is 61 s old: past the 60 s TTL
      expect(await texts.expire()).toBe(1);
      expect((await texts.list(7, 1)).map((m) => [m.id, m.status])).toEqual([[2, 'expired']]);
    });

    it('ingest keys: created with RETURNING, found by secret until revoked, usage counted before and after a flush', async () => {
      const keys = new IngestKeysRepo(h.store);
      const a = await keys.create('platform', 'admin', T0);
      const b = await keys.create('phones', 'admin', T0 + S);
      expect(a.key).toEqual({ id: 1, name: 'platform', createdAt: T0, createdBy: 'admin', revokedAt: null, lastUsedAt: null, accepted: 0, rejected: 0 });
      expect(b.key.id).toBe(2);
      expect(a.secret).toMatch(/^cik_/);
      expect((await keys.authenticate(a.secret))?.id).toBe(1);
      expect(await keys.authenticate('cik_unknown')).toBeUndefined();
      keys.used(1, 100, 2, T0 + 5 * S);
      keys.used(1, 50, 0, T0 + 6 * S);
      expect(await keys.get(1)).toMatchObject({ accepted: 150, rejected: 2, lastUsedAt: T0 + 6 * S });
      expect(await keys.flush()).toBe(1);
      expect(await keys.flush()).toBe(0);
      keys.used(1, 1, 1, T0 + 7 * S);
      expect(await new IngestKeysRepo(h.store).get(1)).toMatchObject({ accepted: 150, rejected: 2, lastUsedAt: T0 + 6 * S });
      expect(await keys.get(1)).toMatchObject({ accepted: 151, rejected: 3, lastUsedAt: T0 + 7 * S });
      expect(await keys.flush()).toBe(1);
      expect(await new IngestKeysRepo(h.store).get(1)).toMatchObject({ accepted: 151, rejected: 3, lastUsedAt: T0 + 7 * S });
      expect(await keys.revoke(1, T0 + 8 * S)).toBe(true);
      expect(await keys.revoke(1, T0 + 9 * S)).toBe(false);
      expect(await keys.revoke(3, T0 + 9 * S)).toBe(false);
      expect(await keys.authenticate(a.secret)).toBeUndefined();
      expect((await keys.list()).map((k) => [k.id, k.revokedAt])).toEqual([[1, T0 + 8 * S], [2, null]]);
    });

    it('idempotency: the first answer is replayed for the same body, refused for another, and replaced once expired', async () => {
      const { key } = await new IngestKeysRepo(h.store).create('platform', 'admin', T0);
      const idem = new IdempotencyRepo(h.store);
      const answer: BatchResult = { accepted: 2, rejected: [{ index: 1, reason: 'badPosition', detail: 'lat out of range' }] } as unknown as BatchResult;
      expect(await idem.lookup(key.id, 'k-1', 'positions', 'aaa', T0)).toEqual({ kind: 'new' });
      await idem.remember(key.id, 'k-1', 'positions', 'aaa', answer, T0);
      expect(await idem.lookup(key.id, 'k-1', 'positions', 'aaa', T0 + S)).toEqual({ kind: 'replay', result: answer });
      expect(await idem.lookup(key.id, 'k-1', 'positions', 'bbb', T0 + S)).toEqual({ kind: 'conflict' });
      expect(await idem.lookup(key.id, 'k-1', 'readings', 'aaa', T0 + S)).toEqual({ kind: 'conflict' });
      expect(await idem.lookup(key.id, 'k-2', 'positions', 'aaa', T0 + S)).toEqual({ kind: 'new' });
      const later = T0 + IDEMPOTENCY_TTL_MS + S;
      expect(await idem.lookup(key.id, 'k-1', 'positions', 'bbb', later)).toEqual({ kind: 'new' });
      const second: BatchResult = { accepted: 1, rejected: [] } as unknown as BatchResult;
      await idem.remember(key.id, 'k-1', 'readings', 'bbb', second, later);
      expect(await idem.lookup(key.id, 'k-1', 'readings', 'bbb', later + S)).toEqual({ kind: 'replay', result: second });
      expect(await h.store.query('SELECT idempotency_key FROM ingest_requests ORDER BY idempotency_key')).toEqual([{ idempotency_key: 'k-1' }]);
    });

    it('Open311 keys: created and revoked; the report page key registered once per generation, rotated after a revoke', async () => {
      const keys = new Open311KeysRepo(h.store, (p) => Buffer.from(`secret:${p}`));
      const app = await keys.create('街道 app', 'citizenPhoto', 'admin', T0);
      expect(app.row).toEqual({ id: 1, name: '街道 app', source: 'citizenPhoto', createdBy: 'admin', createdAt: T0, revokedAt: null, lastUsedAt: null, requestCount: 0, reportPage: false });
      expect((await keys.byKey(app.key))?.id).toBe(1);
      const page = await keys.reportPage(T0 + S);
      expect(page.row).toMatchObject({ id: 2, name: REPORT_PAGE_KEY_NAME, createdBy: 'system', reportPage: true });
      expect(page.key).toBe(`o311_rp1_${Buffer.from('secret:open311-report-page:1').toString('base64url')}`);
      // Asked again (and twice at once): the same key, no new row.
      const [again, twice] = await Promise.all([keys.reportPage(T0 + 2 * S), keys.reportPage(T0 + 2 * S)]);
      expect([again.row.id, twice.row.id, again.key]).toEqual([2, 2, page.key]);
      await keys.used(2, T0 + 3 * S);
      await keys.used(2, T0 + 4 * S);
      expect(await keys.get(2)).toMatchObject({ requestCount: 2, lastUsedAt: T0 + 4 * S });
      expect(await keys.revoke(2, T0 + 5 * S)).toBe(true);
      expect(await keys.revoke(2, T0 + 5 * S)).toBe(false);
      const rotated = await keys.reportPage(T0 + 6 * S);
      expect(rotated.row).toMatchObject({ id: 3, reportPage: true, revokedAt: null });
      expect(rotated.key).toMatch(/^o311_rp2_/);
      expect((await keys.byKey(page.key))?.revokedAt).toBe(T0 + 5 * S);
      expect((await keys.list()).map((k) => [k.id, k.reportPage, k.revokedAt])).toEqual([[1, false, null], [2, true, T0 + 5 * S], [3, true, null]]);
    });

    it('Open311 requests: a case and its link commit together, are found by case, token, code and query, and roll back together', async () => {
      const keys = new Open311KeysRepo(h.store, (p) => Buffer.from(p));
      const { row: key } = await keys.create('hotline', 'hotline', 'admin', T0);
      const repo = new Open311RequestsRepo(h.store);
      const addCase = (tx: SqlTx, code: string, source: string, created: number, stage = 'reported') => tx.one<{ id: number }>(
        `INSERT INTO cases (code, title, description, item_code, category, source, stage, emergency, difficulty, lon, lat, street_code, reported_by, created_ts, updated_ts, version, rework_count)
         VALUES ($1, 't', '', '13.01.006', 'event', $2, $3, 0, 'small', 117.05, 36.66, '370102001', 'x', $4, $4, 1, 0) RETURNING id`, [code, source, stage, created]);
      const link = (caseId: number, token: string, created: number, over: Partial<Open311Link> = {}): Open311Link => ({
        caseId, keyId: key.id, token, ratingKeyHash: 'f'.repeat(64), serviceCode: '13.01.006', lon: 117.05, lat: 36.66, addressString: null,
        description: 'waste', mediaUrl: null, attributes: { count: 2 }, contact: { phone: '138' }, createdAt: created, ...over,
      });
      const submit = (code: string, token: string, created: number, stage?: string) => h.store.transaction(async (tx) => {
        const c = (await addCase(tx, code, 'hotline', created, stage))!;
        await repo.insert(link(c.id, token, created), tx);
        await keys.used(key.id, created, tx);
        return c.id;
      });
      expect(await submit('LX-20261207-0001', 'tok-1', T0)).toBe(1);
      expect(await submit('LX-20261207-0002', 'tok-2', T0 + 60 * S, 'closed')).toBe(2);
      // The link's token is taken: the case goes with it.
      await expect(submit('LX-20261207-0003', 'tok-1', T0 + 120 * S)).rejects.toThrow();
      expect(await h.store.one('SELECT COUNT(*) AS n FROM cases')).toEqual({ n: 2 });
      expect((await keys.get(key.id))?.requestCount).toBe(2);
      await h.store.transaction(async (tx) => { await addCase(tx, 'LX-20261207-0004', 'roadChief', T0 + 30 * S); });

      expect(await repo.byCase(1)).toEqual(link(1, 'tok-1', T0));
      expect((await repo.byToken('tok-2'))?.caseId).toBe(2);
      expect(await repo.byToken('tok-9')).toBeUndefined();
      expect(await repo.caseIdByCode('LX-20261207-0002', ['hotline', 'citizenPhoto'])).toBe(2);
      expect(await repo.caseIdByCode('LX-20261207-0004', ['hotline', 'citizenPhoto'])).toBeUndefined();
      const near = { lon: 117.05, lat: 36.66, dLon: 0.001, dLat: 0.001 };
      expect((await repo.recent(key.id, '13.01.006', T0, near)).map((l) => l.caseId)).toEqual([2, 1]);
      expect((await repo.recent(key.id, '13.01.006', T0 + S, near)).map((l) => l.caseId)).toEqual([2]);
      expect(await repo.recent(key.id, '13.01.006', T0, { ...near, lon: 117.2 })).toEqual([]);
      const q = { sources: ['hotline', 'citizenPhoto'] as const, codes: null, itemCodes: null, stages: null, start: T0, end: T0 + 3600 * S, limit: 10 };
      expect(await repo.caseIds(q)).toEqual([2, 1]);
      expect(await repo.caseIds({ ...q, stages: ['closed'] })).toEqual([2]);
      expect(await repo.caseIds({ ...q, itemCodes: ['13.01.006'], limit: 1 })).toEqual([2]);
      expect(await repo.caseIds({ ...q, codes: ['LX-20261207-0001', 'LX-20261207-0004'] })).toEqual([1]);
      expect(await repo.caseIds({ ...q, start: T0 + S })).toEqual([2]);
    });
  });
}
