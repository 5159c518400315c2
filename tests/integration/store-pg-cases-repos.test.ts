/**
 * The cases, SLA clocks and units repositories, converted to the asynchronous layer, give the
 * same answers on SQLite and PostgreSQL: a report's id and day-numbered code, a stale version
 * refused with 409, a unit's engagement and the case's dispatch committed — or rolled back —
 * together in one unit of work, the timeline in order, a unit's feedback found in the JSON of
 * the timeline, and the SLA clocks started, ended and versioned, the settings upserted.
 * Expected values are worked out by hand from the steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseAssignment, CaseDetail } from '../../shared/cases.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { DEFAULT_SLA_SETTINGS } from '../../shared/sla.ts';
import { CasesRepo } from '../../server/cases/cases-repo.ts';
import { CasesService } from '../../server/cases/cases-service.ts';
import { UnitsRepo } from '../../server/dispatch/units-repo.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { DistrictLocator } from '../../server/district/locator.ts';
import { DomainEvents, type CaseTransition } from '../../server/ops/domain-events.ts';
import { SYSTEM_ACTOR, type Actor } from '../../server/ops/ports.ts';
import { ClocksRepo } from '../../server/sla/clocks-repo.ts';
import { SlaService } from '../../server/sla/sla-service.ts';
import { SlaSettingsRepo } from '../../server/sla/settings-repo.ts';
import { EMPTY_CALENDAR } from '../../server/sla/work-time.ts';
import type { SqlStore } from '../../server/store/sql/types.ts';
import { inUnitOfWork } from '../../server/store/sql/unit-of-work.ts';
import { storeDrivers } from './store-pg-harness.ts';

const MIN = 60_000;
const DAY = 86_400_000;
/** 2026-11-28 00:30 in Asia/Shanghai: case codes are numbered on that local day. */
const T = Date.UTC(2026, 10, 27, 16, 30);
/** The middle of grid 370102002009015 (千佛山街道). */
const AT = { lon: 117.01375, lat: 36.639 };
const DISP: Actor = { name: 'disp1', role: 'dispatcher' };

const drivers = storeDrivers('cases');

let pack: DistrictPack;
beforeAll(async () => { pack = await loadDistrictPack('data/lixia'); });

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`cases, clocks and units on ${driver.name}`, () => {
    let h: { store: SqlStore; dispose(): Promise<void> };
    let cases: CasesService;
    let sla: SlaService;
    let settings: SlaSettingsRepo;
    let t = T;
    const transitions: CaseTransition[] = [];
    let a: CaseDetail;
    let b: CaseDetail;

    beforeAll(async () => {
      h = await driver.open();
      const events = new DomainEvents();
      events.on('case:transition', (tr) => { transitions.push(tr); });
      settings = new SlaSettingsRepo(h.store, DEFAULT_SLA_SETTINGS);
      sla = new SlaService({
        store: h.store, cases: () => cases, events, settings, now: () => t,
        deadline: { timeZone: 'Asia/Shanghai', calendar: EMPTY_CALENDAR },
        log: { error: (obj) => { throw Object.assign(new Error('SLA step failed'), obj); }, warn: () => {} },
        // No timers: the steps here are the workflow's, and nothing falls due within them.
        timers: { set: () => null, clear: () => {} },
      });
      await sla.load();
      cases = new CasesService({ store: h.store, pack, locator: new DistrictLocator(pack), events, now: () => t, sla: () => sla, codePrefix: 'LX' });
    });
    afterAll(async () => { await sla?.close(); await h?.dispose(); });

    it('reports cases with their ids and the day\'s numbers; one registered at once starts its closure clock', async () => {
      a = await cases.report({ source: 'hotline', itemCode: '11.01.001', title: 'Blocked Drain by the Gate', ...AT }, DISP);
      expect(a).toMatchObject({
        id: 1, code: 'LX-20261128-0001', stage: 'reported', version: 1, itemCode: '11.01.001', emergency: false, clocks: [],
        location: { streetCode: '370102002', communityCode: '370102002009', gridId: '370102002009015' },
      });
      b = await cases.report({ source: 'roadChief', itemCode: '15.01.001', ...AT, register: true }, DISP);
      expect(b).toMatchObject({ id: 2, code: 'LX-20261128-0002', stage: 'registered', version: 1, emergency: true });
      // A small matter: one calendar day, amber at 80 % of it.
      expect(b.clocks).toEqual([expect.objectContaining({ id: 1, caseId: 2, kind: 'closure', state: 'running', startTs: T, dueTs: T + DAY, warnTs: T + 0.8 * DAY, endTs: null })]);
      expect(transitions.map((x) => [x.caseId, x.action, x.to])).toEqual([[1, 'report', 'reported'], [2, 'report', 'reported'], [2, 'register', 'registered']]);
    });

    it('finds cases by a text in any case of letters, and an escaped % matches only itself', async () => {
      const repo = new CasesRepo(h.store);
      expect((await repo.query({ q: 'blocked drain' }, ['reported'])).map((c) => c.id)).toEqual([1]);
      expect(await repo.query({ q: '100%' }, ['reported'])).toEqual([]);
      expect((await repo.query({ open: true, emergency: true }, ['reported', 'registered'])).map((c) => c.code)).toEqual(['LX-20261128-0002']);
    });

    it('refuses a step over a stale version with 409 conflict, and one the workflow does not allow with 409 invalid_transition', async () => {
      t += MIN;
      const reg = await cases.transition(a.id, 'register', DISP, { version: 1 });
      expect(reg).toMatchObject({ stage: 'registered', version: 2, updatedTs: T + MIN });
      expect(reg.clocks.map((k) => [k.id, k.kind, k.startTs, k.dueTs])).toEqual([[2, 'closure', T + MIN, T + MIN + DAY]]);
      await expect(cases.transition(a.id, 'register', DISP, { version: 1 })).rejects.toMatchObject({
        statusCode: 409, code: 'conflict', message: 'case changed since you loaded it (version 1, now 2)',
      });
      await expect(cases.transition(a.id, 'verifyPass', DISP, { version: 2 })).rejects.toMatchObject({ statusCode: 409, code: 'invalid_transition' });
      // The repository's own guard: an update naming a version that is gone changes nothing.
      const repo = new CasesRepo(h.store);
      const now = (await repo.get(a.id))!;
      expect(await repo.update({ ...now, title: 'lost', version: 3 }, 1)).toBe(false);
      expect(await repo.get(a.id)).toMatchObject({ version: 2, title: 'Blocked Drain by the Gate' });
    });

    it('writes a unit\'s engagement and the case\'s dispatch in one transaction: both roll back together, or both commit', async () => {
      t += MIN;
      const assignment: CaseAssignment = { unitId: 'veh-0001', unitName: '鲁A·洗扫01', dispatchedTs: t, etaTs: t + 4 * MIN, route: [[AT.lon, AT.lat]], arrivedTs: null, by: 'disp1' };
      const engage = { entityId: 'veh-0001', status: 'dispatched' as const, since: t, caseId: b.id, caseLon: AT.lon, caseLat: AT.lat, originLon: 117.01, originLat: 36.64 };
      const seen = transitions.length;
      // The unit is written first; the case then refuses (stale version): the unit's row goes with it.
      await expect(inUnitOfWork(h.store, async (uow) => {
        await new UnitsRepo(uow.tx).write(engage, 0);
        await cases.dispatch(b.id, assignment, DISP, { version: 5, uow });
      })).rejects.toMatchObject({ statusCode: 409, code: 'conflict' });
      expect(await new UnitsRepo(h.store).all()).toEqual([]);
      expect(await cases.get(b.id)).toMatchObject({ stage: 'registered', version: 1, assignment: null });
      expect(transitions).toHaveLength(seen);

      let inside: CaseDetail | undefined;
      await inUnitOfWork(h.store, async (uow) => {
        await new UnitsRepo(uow.tx).write(engage, 0);
        inside = await cases.dispatch(b.id, assignment, DISP, { version: 1, uow });
        // Announced only after the commit: nothing yet.
        expect(transitions).toHaveLength(seen);
      });
      expect(inside).toMatchObject({ stage: 'dispatched', version: 2 });
      expect(await new UnitsRepo(h.store).all()).toEqual([{ ...engage, version: 1 }]);
      expect(transitions.slice(seen).map((x) => [x.caseId, x.action, x.from, x.to])).toEqual([[2, 'dispatch', 'registered', 'dispatched']]);
      // The SLA clocks followed the committed step: an emergency's 7 minutes run from the dispatch.
      const now = (await cases.detail(b.id))!;
      expect(now.assignment).toEqual(assignment);
      expect(now.clocks.map((k) => [k.id, k.kind, k.startTs, k.dueTs, k.warnTs])).toEqual([[1, 'closure', T, T + DAY, T + 0.8 * DAY], [3, 'arrival', T + 2 * MIN, T + 9 * MIN, T + 2 * MIN + 5.6 * MIN]]);
      // Another dispatcher's unit write over the version it read (0: no row) loses.
      await expect(new UnitsRepo(h.store).write({ ...engage, caseId: a.id }, 0)).rejects.toMatchObject({ statusCode: 409, code: 'conflict' });
    });

    it('keeps the timeline in order with its data, and ends the arrival clock met, its entry in the same commit', async () => {
      t += 3 * MIN;
      const arrived = await cases.unitStep(b.id, 'arrive', SYSTEM_ACTOR, { unitId: 'veh-0001', distanceM: 12 });
      expect(arrived.assignment!.arrivedTs).toBe(T + 5 * MIN);
      const d = (await cases.detail(b.id))!;
      expect(d.timeline.map((e) => [e.action, e.ts, e.fromStage, e.toStage])).toEqual([
        ['report', T, null, 'reported'], ['register', T, 'reported', 'registered'], ['dispatch', T + 2 * MIN, 'registered', 'dispatched'],
        ['arrive', T + 5 * MIN, 'dispatched', 'handling'], ['clockMet', T + 5 * MIN, 'handling', 'handling'],
      ]);
      expect(d.timeline.map((e) => e.id)).toEqual([...d.timeline.map((e) => e.id)].sort((x, y) => x - y));
      expect(d.timeline[2]!.data).toEqual({ unitId: 'veh-0001', etaTs: T + 6 * MIN });
      expect(d.timeline[4]!.data).toEqual({ clockId: 3, kind: 'arrival', dueTs: T + 9 * MIN });
      expect(d.clocks.find((k) => k.kind === 'arrival')).toMatchObject({ state: 'met', endTs: T + 5 * MIN });
      expect(d.clocks.find((k) => k.kind === 'closure')).toMatchObject({ state: 'running', endTs: null });
    });

    it('finds a unit\'s feedback, and who was ever assigned, in the JSON of the timeline', async () => {
      const repo = new CasesRepo(h.store);
      const entry = (caseId: number, ts: number, action: 'feedback' | 'dispatch', data: Record<string, unknown>, note: string | null = null) =>
        repo.addTimeline({ caseId, ts, actor: 'crew-1', actorRole: 'field', action, fromStage: 'handling', toStage: 'fedBack', note, data });
      await entry(a.id, T + 100, 'feedback', { unitId: 'veh-0002', photoIds: ['p1', 'p2'] }, 'cleared');
      await entry(b.id, T + 150, 'feedback', { unitId: 'veh-0001', photoIds: [] });
      await entry(a.id, T + 300, 'feedback', { unitId: 'veh-0002', photoIds: ['p3', 7] }, 'again');
      // A dispatch naming the unit is not a feedback.
      await entry(a.id, T + 200, 'dispatch', { unitId: 'veh-0002' });
      expect(await repo.unitFeedbacks('veh-0002', T, T + 250)).toEqual([{ caseId: 1, ts: T + 100, actor: 'crew-1', note: 'cleared', photoIds: ['p1', 'p2'] }]);
      expect(await repo.unitFeedbacks('veh-0002', T, T + 301)).toEqual([
        { caseId: 1, ts: T + 100, actor: 'crew-1', note: 'cleared', photoIds: ['p1', 'p2'] },
        { caseId: 1, ts: T + 300, actor: 'crew-1', note: 'again', photoIds: ['p3'] },
      ]);
      expect((await repo.unitFeedbacks('veh-0001', T, T + DAY)).map((f) => [f.caseId, f.ts])).toEqual([[2, T + 150]]);
      expect(await repo.unitFeedbacks('veh-0003', T, T + DAY)).toEqual([]);
      // Reworked and done again: listed once, at the latest feedback.
      expect((await cases.fedBackBy('veh-0002', T, T + DAY)).map((f) => [f.summary.code, f.fedBackTs, f.note, f.photos])).toEqual([['LX-20261128-0001', T + 300, 'again', 1]]);
      expect([await repo.everAssigned(b.id, 'veh-0001'), await repo.everAssigned(a.id, 'veh-0002'), await repo.everAssigned(a.id, 'veh-0001')]).toEqual([true, true, false]);
    });

    it('versions clock rows: a write over a stale version is refused, an ended clock leaves the open ones', async () => {
      const clocks = new ClocksRepo(h.store);
      const c = await clocks.insert(a.id, { kind: 'arrival', startTs: T, dueTs: T + 7 * MIN, warnTs: T + 5.6 * MIN, policy: { dayMode: 'calendar', warnLeadShare: 0.2, deptAfterMs: 5 * MIN } }, T);
      expect(c).toMatchObject({ id: 4, caseId: 1, policy: { dayMode: 'calendar', warnLeadShare: 0.2, deptAfterMs: 5 * MIN }, kind: 'arrival', state: 'running', version: 1, pausedMs: 0, escalationLevel: 0 });
      const warned = await clocks.update({ ...c, state: 'warned' }, T + 6 * MIN);
      expect(warned.version).toBe(2);
      await expect(clocks.update({ ...c, state: 'breached' }, T + 8 * MIN)).rejects.toMatchObject({ statusCode: 409, code: 'conflict', message: 'SLA clock 4 was changed by someone else (version 1)' });
      expect((await clocks.open()).map((k) => [k.id, k.state])).toEqual([[1, 'running'], [2, 'running'], [4, 'warned']]);
      await clocks.update({ ...warned, endTs: T + 6 * MIN, cancelled: true }, T + 6 * MIN);
      expect((await clocks.open()).map((k) => k.id)).toEqual([1, 2]);
      expect(await clocks.find(a.id, 'arrival')).toMatchObject({ id: 4, version: 3, endTs: T + 6 * MIN, cancelled: true, state: 'warned' });
      expect((await clocks.byCases([2, 1, 99])).map((k) => [k.id, k.caseId])).toEqual([[1, 2], [2, 1], [3, 2], [4, 1]]);
    });

    it('upserts the SLA settings: the defaults until saved, then version 1, 2 — the column qualified in ON CONFLICT', async () => {
      expect(await settings.get()).toEqual(DEFAULT_SLA_SETTINGS);
      const first = await settings.put({ ...DEFAULT_SLA_SETTINGS, arrivalMin: 10 }, 'admin-1', T);
      expect(first.arrivalMin).toBe(10);
      await settings.put({ ...DEFAULT_SLA_SETTINGS, arrivalMin: 12, warnLeadShare: 0.25 }, 'admin-2', T + 1);
      expect(await h.store.one('SELECT version, updated_ts, updated_by FROM sla_settings WHERE id = 1')).toEqual({ version: 2, updated_ts: T + 1, updated_by: 'admin-2' });
      expect(await settings.get()).toEqual({ ...DEFAULT_SLA_SETTINGS, arrivalMin: 12, warnLeadShare: 0.25 });
      // Both written in one transaction, or neither.
      await expect(h.store.transaction(async (tx) => {
        await settings.put({ ...DEFAULT_SLA_SETTINGS, arrivalMin: 20 }, 'admin-3', T + 2, tx);
        expect((await settings.get(tx)).arrivalMin).toBe(20);
        throw new Error('changed my mind');
      })).rejects.toThrow('changed my mind');
      expect(await h.store.one('SELECT version, updated_by FROM sla_settings WHERE id = 1')).toEqual({ version: 2, updated_by: 'admin-2' });
      await expect(settings.put({ ...DEFAULT_SLA_SETTINGS, arrivalMin: 0 }, 'admin-1', T)).rejects.toMatchObject({ statusCode: 400 });
    });

    it('of two steps taken at once over the same version, one commits and the other gets 409; the clocks follow the one', async () => {
      const c = await cases.report({ source: 'hotline', itemCode: '11.01.001', ...AT }, DISP);
      expect(c).toMatchObject({ id: 3, code: 'LX-20261128-0003', version: 1 });
      // On PostgreSQL both transactions read version 1 and the second waits on the first's row lock; on SQLite they take turns.
      const [first, second] = await Promise.allSettled([
        cases.transition(c.id, 'register', DISP, { version: 1 }),
        cases.transition(c.id, 'register', { name: 'disp2', role: 'dispatcher' }, { version: 1 }),
      ]);
      const won = [first, second].filter((r) => r.status === 'fulfilled');
      const lost = [first, second].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      expect(lost[0]!.reason).toMatchObject({ statusCode: 409, code: 'conflict', message: 'case changed since you loaded it (version 1, now 2)' });
      const d = (await cases.detail(c.id))!;
      expect(d.timeline.map((e) => e.action)).toEqual(['report', 'register']);
      expect(d.clocks.map((k) => [k.id, k.kind])).toEqual([[5, 'closure']]);
      // Two engagements of one unit at once: one row, version 1; the other writer gets 409.
      const engage = { entityId: 'veh-0009', status: 'dispatched' as const, since: T, caseId: c.id, caseLon: AT.lon, caseLat: AT.lat, originLon: null, originLat: null };
      const writes = await Promise.allSettled([0, 1].map(() => inUnitOfWork(h.store, (uow) => new UnitsRepo(uow.tx).write(engage, 0))));
      expect(writes.map((w) => w.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await new UnitsRepo(h.store).all()).filter((u) => u.entityId === 'veh-0009')).toEqual([{ ...engage, version: 1 }]);
    });
  });
}
