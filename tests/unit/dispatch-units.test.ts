import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../server/dispatch/dispatcher.ts';
import { DEFAULT_DISPATCH_SETTINGS } from '../../server/dispatch/settings.ts';
import { UnitBook } from '../../server/dispatch/unit-book.ts';
import { UnitsRepo } from '../../server/dispatch/units-repo.ts';
import { buildTravelRouters } from '../../server/district/travel-time.ts';
import { LiveState, connectivityPolicy } from '../../server/live/live-state.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import type { Actor, CasesPort } from '../../server/ops/ports.ts';
import Database from 'better-sqlite3';
import { migrate, openDatabase, type Db } from '../../server/store/database.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { AccessRepo } from '../../server/store/access-repo.ts';
import type { CaseAssignment, CaseDetail, CaseSummary } from '../../shared/cases.ts';
import type { RoadGraph } from '../../shared/district.ts';
import type { AnyEntity } from '../../shared/entities.ts';

const graph: RoadGraph = { nodes: [[117.0, 36.6], [117.01, 36.6], [117.02, 36.6]], edges: [[0, 1, 900, 'r'], [1, 2, 900, 'r']] };
const routers = buildTravelRouters({ roads: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'r', name: 'R', class: 'trunk' }, geometry: { type: 'LineString', coordinates: [[117, 36.6], [117.02, 36.6]] } }] }, roadGraph: graph });
const DISPATCHER: Actor = { name: 'zhang', role: 'dispatcher' };

function staff(id: string, onDuty = true): AnyEntity {
  return { id, kind: 'staff', name: id, orgCode: '370102001', gridId: 'g1', status: onDuty ? 'onDuty' : 'offDuty', attrs: { role: 'cleaner', shift: '00:00-24:00', onDuty }, connectivity: 'online', lastSeen: 0, version: 0 };
}
function vehicle(id: string): AnyEntity {
  return { id, kind: 'vehicle', name: id, orgCode: '370102001', gridId: 'g1', status: 'idle', attrs: { vehicleType: 'compactor', plate: id, working: false }, connectivity: 'online', lastSeen: 0, version: 0 };
}

/** An in-memory CasesPort: a case at node 2, recording the calls dispatch makes. */
class FakeCases {
  calls: string[] = [];
  cases = new Map<number, CaseSummary>();
  add(id: number, lon: number, lat: number): void {
    this.cases.set(id, { id, code: `LX-${id}`, title: 'Overflowing bin', itemCode: 'bin', stage: 'registered', assignment: null, version: 1, location: { lon, lat, streetCode: '370102001', communityCode: null, gridId: 'g1', address: null } } as unknown as CaseSummary);
  }
  private bump(id: number, patch: Partial<CaseSummary>): CaseDetail {
    const c = { ...this.cases.get(id)!, ...patch, version: this.cases.get(id)!.version + 1 };
    this.cases.set(id, c);
    return c as CaseDetail;
  }
  port(): CasesPort {
    return {
      get: async (id: number) => this.cases.get(id),
      detail: async (id: number) => this.cases.get(id),
      item: () => ({ skills: ['cleaning', 'collection'] }),
      dispatch: async (id: number, a: CaseAssignment, actor: Actor, o: { version?: number; reassign?: boolean }) => {
        if (o.version !== undefined && o.version !== this.cases.get(id)!.version) throw Object.assign(new Error('stale'), { statusCode: 409 });
        this.calls.push(`${o.reassign ? 'reassign' : 'dispatch'} ${id} ${a.unitId} by ${actor.name}`);
        return this.bump(id, { stage: 'dispatched', assignment: a });
      },
      release: async (id: number) => { this.calls.push(`release ${id}`); return this.bump(id, { stage: 'registered', assignment: null }); },
      unitStep: async (id: number, step: string, actor: Actor, data?: Record<string, unknown>) => {
        this.calls.push(`${step} ${id} by ${actor.name}${data ? ` ${JSON.stringify(data)}` : ''}`);
        return this.bump(id, { stage: 'handling' });
      },
      feedback: async (id: number, actor: Actor, o: { note: string }) => { this.calls.push(`feedback ${id} by ${actor.name}: ${o.note}`); return this.bump(id, { stage: 'fedBack' }); },
    } as unknown as CasesPort;
  }
}

describe('units and dispatch', () => {
  let dir: string;
  let db: Db;
  let store: SqliteStore;
  let now: number;
  let live: LiveState;
  let cases: FakeCases;
  let events: DomainEvents;
  let changed: string[];
  let arrived: [string, number, number][];

  const make = async () => {
    const book = new UnitBook(live, await new UnitsRepo(store).all(), () => now, DEFAULT_DISPATCH_SETTINGS, 36.6);
    const d = new Dispatcher({ store, book, routers, cases: () => cases.port(), events, now: () => now, settings: DEFAULT_DISPATCH_SETTINGS });
    live.changes.subscribe('dispatch', (c) => d.onLiveChange(c));
    return d;
  };
  const report = (id: string, lon: number, lat: number) => live.apply(id, { pos: { lon, lat, ts: now } }, now);
  /** Lets the writes a position started (an arrival) finish: SQLite answers within the event loop's turn. */
  const settle = () => new Promise<void>((r) => setImmediate(r));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-dispatch-'));
    db = openDatabase(dir);
    store = new SqliteStore(db);
    now = 1_700_000_000_000;
    live = new LiveState([staff('s1'), staff('s2'), staff('off', false), vehicle('v1')], connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 1, offlineAfterMs: 2 }));
    cases = new FakeCases();
    cases.add(1, 117.02, 36.6);
    cases.add(2, 117.02, 36.6);
    events = new DomainEvents();
    changed = [];
    arrived = [];
    events.on('unit:changed', (id) => changed.push(id));
    events.on('unit:arrived', (id, caseId, at) => arrived.push([id, caseId, at]));
  });
  afterEach(async () => {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('derives status and skills from the live state', async () => {
    const d = await make();
    report('s1', 117.0, 36.6);
    live.sweepConnectivity(now + 601_000);
    expect(d.unit('s1')).toMatchObject({ status: 'offline', skills: ['cleaning'] });
    expect(d.unit('s2')).toMatchObject({ status: 'available', kind: 'staff' });
    expect(d.unit('off')!.status).toBe('offDuty');
    expect(d.unit('v1')).toMatchObject({ status: 'available', skills: ['collection'], kind: 'vehicle' });
    live.apply('s2', { attrs: { sos: true } }, now);
    expect(d.unit('s2')!.status).toBe('busy');
    expect(changed).toEqual(['s1', 's2']);
    expect(d.units({ status: 'available' }).map((u) => u.entityId)).toEqual(['v1']);
  });

  it('dispatches a unit in one action; a second dispatch of the same unit is refused with 409', async () => {
    const d = await make();
    report('s1', 117.0, 36.6);
    const detail = await d.dispatchCase(1, 's1', DISPATCHER, { version: 1 });
    expect(detail.stage).toBe('dispatched');
    // 1800 m of trunk at the staff speed of 15 km/h: 432 s.
    expect(detail.assignment!.etaTs).toBe(now + 432_000);
    expect(d.unit('s1')).toMatchObject({ status: 'dispatched', caseId: 1, version: 1 });
    await expect(d.dispatchCase(2, 's1', { name: 'li', role: 'dispatcher' }, {})).rejects.toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(cases.calls).toEqual(['dispatch 1 s1 by zhang']);
    expect(changed).toEqual(['s1']);
  });

  it('a write over a stale unit version loses with 409 and changes nothing', async () => {
    const repo = new UnitsRepo(store);
    const row = { entityId: 's1', status: 'dispatched' as const, since: now, caseId: 1, caseLon: 117.02, caseLat: 36.6, originLon: 117, originLat: 36.6 };
    await repo.write(row, 0);
    // Both dispatchers read version 1; the first write wins, the second names a version that is gone.
    await repo.write({ ...row, caseId: 2 }, 1);
    await expect(repo.write({ ...row, caseId: 3 }, 1)).rejects.toThrow(expect.objectContaining({ statusCode: 409, code: 'conflict' }));
    await expect(repo.write(row, 0)).rejects.toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(await repo.all()).toEqual([{ ...row, caseId: 2, version: 2 }]);
  });

  it('a case refusing the dispatch leaves the unit available (one transaction)', async () => {
    const d = await make();
    report('s1', 117.0, 36.6);
    await expect(d.dispatchCase(1, 's1', DISPATCHER, { version: 7 })).rejects.toThrow(/stale/);
    expect(d.unit('s1')!.status).toBe('available');
    expect(await new UnitsRepo(store).all()).toEqual([]);
  });

  it('detects arrival from a sequence of positions, once, within the radius', async () => {
    const d = await make();
    report('v1', 117.0, 36.6);
    await d.dispatchCase(1, 'v1', DISPATCHER, {});
    now += 60_000;
    report('v1', 117.01, 36.6);
    now += 60_000;
    report('v1', 117.0194, 36.6); // ≈ 53.6 m short of the case: inside 60 m
    now += 5_000;
    report('v1', 117.02, 36.6);
    await settle();
    expect(arrived).toEqual([['v1', 1, 1_700_000_120_000]]);
    expect(d.unit('v1')).toMatchObject({ status: 'onScene', since: 1_700_000_120_000 });
    expect(cases.calls.filter((c) => c.startsWith('arrive'))).toEqual(['arrive 1 by system {"unitId":"v1","lon":117.0194,"lat":36.6,"distanceM":54,"fixTs":1700000120000}']);
  });

  it('warns when a dispatched unit has not moved, and frees a returning unit after its time', async () => {
    const d = await make();
    report('s1', 117.0, 36.6);
    await d.dispatchCase(1, 's1', DISPATCHER, {});
    now += 239_000;
    expect(d.unit('s1')!.warning).toBeNull();
    now += 1_000;
    expect(d.unit('s1')!.warning).toBe('dispatched 4 min without moving');
    changed.length = 0;
    await d.sweep();
    expect(changed).toEqual(['s1']);
    await d.crewStep('s1', 'accept', { name: 'crew-s1', role: 'field' });
    expect(d.unit('s1')!.status).toBe('enRoute');
    await d.crewStep('s1', 'done', { name: 'crew-s1', role: 'field' }, { note: 'emptied' });
    expect(d.unit('s1')!.status).toBe('returning');
    expect(cases.calls.slice(1)).toEqual(['accept 1 by crew-s1 {"unitId":"s1"}', 'feedback 1 by crew-s1: emptied']);
    now += 299_000;
    await d.sweep();
    expect(d.unit('s1')!.status).toBe('returning');
    now += 1_000;
    await d.sweep();
    expect(d.unit('s1')).toMatchObject({ status: 'available', caseId: null });
    await expect(d.crewStep('s1', 'done', DISPATCHER, { note: 'x' })).rejects.toThrow(expect.objectContaining({ statusCode: 409 }));
  });

  it('reassigning frees the old unit; the engagement survives a restart', async () => {
    let d = await make();
    report('s1', 117.0, 36.6);
    report('v1', 117.01, 36.6);
    await d.dispatchCase(1, 's1', DISPATCHER, {});
    await d.reassign(1, 'v1', DISPATCHER, { reason: 'closer vehicle' });
    expect(cases.calls).toEqual(['dispatch 1 s1 by zhang', 'reassign 1 v1 by zhang']);
    expect(d.unit('s1')!.status).toBe('available');
    d = await make();
    expect(d.unit('v1')).toMatchObject({ status: 'dispatched', caseId: 1 });
    expect(d.engaged().map((u) => u.entityId)).toEqual(['v1']);
    await d.release(1, DISPATCHER, { reason: 'duplicate' });
    expect(d.unit('v1')!.status).toBe('available');
  });
});

describe('migration 5', () => {
  it('admits crew users bound to a unit and keeps sessions pointing at their users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cityops-mig-'));
    // A database of the foundation (version 1) with a user signed in, then this build's migrations.
    const db = new Database(join(dir, 'old.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version === 1));
    const old = Number(db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES ('zhao', 'hash', 'dispatcher', 1)").run().lastInsertRowid);
    const access = new AccessRepo(new SqliteStore(db));
    await access.createSession('old-tok', old, 60_000, 1);
    expect(migrate(db, MIGRATIONS)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(await access.sessionUser('old-tok', 2)).toEqual({ username: 'zhao', role: 'dispatcher', unitId: null });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const id = await access.createUser('wang', 'hash', 'field', 1, 'staff-0001');
    await access.createSession('tok', id, 60_000, 1);
    expect(await access.sessionUser('tok', 2)).toEqual({ username: 'wang', role: 'field', unitId: 'staff-0001' });
    await expect(access.createUser('li', 'hash', 'field', 1, null)).rejects.toThrow(/CHECK/);
    expect(() => db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run('x', 999, 1, 2)).toThrow(/FOREIGN KEY/);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
