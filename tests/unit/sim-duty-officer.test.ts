import { afterEach, describe, expect, it, vi } from 'vitest';
import { DUTY_CONFIG, SimDutyOfficer } from '../../server/sim/duty-officer.ts';
import { HttpError } from '../../server/http-error.ts';
import { Rng } from '../../server/sim/rng.ts';
import { SIM_DUTY_OFFICER, SYSTEM_ACTOR } from '../../server/ops/ports.ts';
import type { UnitRecommendation } from '../../shared/dispatch.ts';
import { FakeCases, FakeDispatch } from './sim-fixtures.ts';

const T0 = Date.UTC(2026, 0, 15, 2, 0, 0);
const DELAY_MS = 60_000;
const CITIZEN = { name: 'citizen', role: 'sim' };
const DISPATCHER = { name: 'duty-wang', role: 'dispatcher' };

const rec = (entityId: string, rank: number, etaS: number): UnitRecommendation => ({
  entityId, name: entityId, kind: 'staff', status: 'available', etaS, roadDistanceM: etaS * 5, straightDistanceM: etaS * 4,
  positionAgeS: 3, stale: false, reasons: rank === 1 ? ['closestByRoad', 'within7Min'] : ['inGrid'], route: [], rank,
});

function setup(seed = 1) {
  let now = T0;
  const cases = new FakeCases(() => now);
  const dispatch = new FakeDispatch(cases, () => now);
  for (const id of ['staff-0001', 'staff-0002']) dispatch.addUnit(id, 'staff');
  dispatch.recommendation = [rec('staff-0001', 1, 190), rec('staff-0002', 2, 260)];
  const log = { debug: vi.fn(), warn: vi.fn() };
  const officer = new SimDutyOfficer({ ports: { cases: () => cases, dispatch: () => dispatch }, now: () => now, delayMs: DELAY_MS, rng: new Rng(seed, 9), log });
  const at = (ms: number): void => { now = T0 + ms; };
  return { cases, dispatch, officer, log, at };
}

const officerCalls = (cases: FakeCases) => cases.calls.filter((c) => c.actor.name === SIM_DUTY_OFFICER.name).map((c) => `${c.caseId}:${c.action}`);

afterEach(() => {
  vi.useRealTimers();
});

describe('the simulated duty officer', () => {
  it('registers a reported case only once it has sat untouched for the delay', async () => {
    const t = setup();
    const c = await t.cases.report({ source: 'hotline', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.at(59_999);
    await t.officer.round();
    expect(t.cases.calls).toEqual([]);
    t.at(60_000);
    await t.officer.round();
    expect(t.cases.calls).toEqual([{ method: 'transition', caseId: c.id, action: 'register', actor: SIM_DUTY_OFFICER, opts: { version: 1, note: '值班自动立案' } }]);
    expect((await t.cases.get(c.id))!.stage).toBe('registered');
    expect((await t.cases.detail(c.id))!.timeline.at(-1)).toMatchObject({ actor: 'sim-duty-officer', actorRole: 'sim', action: 'register' });
  });

  it('dispatches a registered case to the top recommendation, with the case version, after the delay', async () => {
    const t = setup();
    const c = await t.cases.report({ source: 'hotline', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.at(60_000);
    await t.officer.round(); // registers (version 1 → 2)
    t.at(60_000 + 59_000);
    await t.officer.round();
    expect(t.dispatch.dispatched).toEqual([]);
    t.at(120_000);
    await t.officer.round();
    expect(t.dispatch.recommendCalls).toEqual([{ caseId: c.id, limit: 1 }]);
    expect(t.dispatch.dispatched).toHaveLength(1);
    expect(t.dispatch.dispatched[0]).toMatchObject({ caseId: c.id, unitId: 'staff-0001', actor: SIM_DUTY_OFFICER, opts: { version: 2 } });
    // 190 s of road ETA, named in the note.
    expect(t.dispatch.dispatched[0]!.opts.note).toContain('3分10秒');
    expect((await t.cases.get(c.id))!.stage).toBe('dispatched');
  });

  it('leaves a case to the person who acted on it last, however long it then waits', async () => {
    const t = setup();
    const c = await t.cases.report({ source: 'citizenPhoto', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.at(30_000);
    t.cases.touch(c.id, 'register', DISPATCHER, 'registered');
    // A clock warning written by the system later does not hand the case back.
    t.at(50_000);
    t.cases.touch(c.id, 'clockWarning', SYSTEM_ACTOR);
    for (const ms of [60_000, 91_000, 3_600_000, 86_400_000]) {
      t.at(ms);
      await t.officer.round();
    }
    expect(t.dispatch.recommendCalls).toEqual([]);
    expect(t.dispatch.dispatched).toEqual([]);
    expect(officerCalls(t.cases)).toEqual([]);
  });

  it('swallows a 409 from racing a person and leaves the case to them', async () => {
    const t = setup();
    const c = t.cases.add({ stage: 'registered', ts: T0 }, CITIZEN);
    t.dispatch.failDispatch = new HttpError(409, 'conflict', 'case moved on: someone else dispatched it');
    t.at(61_000);
    await expect(t.officer.round()).resolves.toBeUndefined();
    expect(t.officer.stats.conflicts).toBe(1);
    expect(t.log.debug).toHaveBeenCalledTimes(1);
    expect(t.log.warn).not.toHaveBeenCalled();
    // The person's dispatch is what happened: the officer sees their action and keeps off.
    t.cases.touch(c.id, 'dispatch', DISPATCHER, 'dispatched');
    t.cases.touch(c.id, 'release', DISPATCHER, 'registered');
    for (const ms of [70_000, 200_000, 900_000]) {
      t.at(ms);
      await t.officer.round();
    }
    expect(t.dispatch.dispatched).toHaveLength(1);
    expect(t.officer.stats.dispatched).toBe(0);
  });

  it('waits and retries when no unit can be recommended', async () => {
    const t = setup();
    t.cases.add({ stage: 'registered', ts: T0 }, CITIZEN);
    t.dispatch.recommendation = [];
    t.at(61_000);
    await t.officer.round();
    t.at(61_000 + DUTY_CONFIG.retryMs - 1);
    await t.officer.round();
    expect(t.dispatch.recommendCalls).toHaveLength(1);
    t.dispatch.recommendation = [rec('staff-0002', 1, 70)];
    t.at(61_000 + DUTY_CONFIG.retryMs);
    await t.officer.round();
    expect(t.dispatch.recommendCalls).toHaveLength(2);
    expect(t.dispatch.dispatched.map((d) => d.unitId)).toEqual(['staff-0002']);
  });

  it('verifies fed-back cases, failing about 1 in 20 for rework, and closes verified ones', async () => {
    const t = setup(4);
    const ids = Array.from({ length: 400 }, () => t.cases.add({ stage: 'fedBack', ts: T0 }, { name: 'staff-0001', role: 'sim' }).id);
    // 20 actions a round, shared with closing what was verified a delay earlier: 10 minutes of rounds do it all.
    for (let r = 0; r < 120; r++) {
      t.at(61_000 + r * 5_000);
      await t.officer.round();
    }
    const verdicts = t.cases.calls.filter((c) => c.action === 'verifyPass' || c.action === 'verifyFail');
    expect(verdicts).toHaveLength(400);
    expect(new Set(verdicts.map((v) => v.caseId))).toEqual(new Set(ids));
    // 5 % of 400 = 20 expected (σ ≈ 4.4).
    const failed = verdicts.filter((v) => v.action === 'verifyFail').length;
    expect(failed).toBeGreaterThanOrEqual(8);
    expect(failed).toBeLessThanOrEqual(34);
    expect(t.officer.stats).toMatchObject({ verified: 400 - failed, reworked: failed });
    // Every passed case, and only those, is closed — each at least a delay after its verification.
    const passed = verdicts.filter((v) => v.action === 'verifyPass').map((v) => v.caseId).sort((a, b) => a - b);
    expect(t.cases.calls.filter((c) => c.action === 'close').map((c) => c.caseId).sort((a, b) => a - b)).toEqual(passed);
    for (const id of passed) {
      const tl = (await t.cases.detail(id))!.timeline;
      const [verified, closed] = [tl.find((e) => e.action === 'verifyPass')!, tl.find((e) => e.action === 'close')!];
      expect(closed.ts - verified.ts).toBeGreaterThanOrEqual(DELAY_MS);
      expect(closed.actor).toBe('sim-duty-officer');
    }
  });

  it('evaluates about 3 in 10 closed cases, each considered once', async () => {
    const t = setup(2);
    for (let i = 0; i < 200; i++) t.cases.add({ stage: 'closed', ts: T0 }, SIM_DUTY_OFFICER);
    for (let r = 0; r < 30; r++) {
      t.at(61_000 + r * 5_000);
      await t.officer.round();
    }
    const evaluations = t.cases.calls.filter((c) => c.action === 'evaluate');
    // 30 % of 200 = 60 expected (σ ≈ 6.5).
    expect(evaluations.length).toBeGreaterThanOrEqual(40);
    expect(evaluations.length).toBeLessThanOrEqual(80);
    expect(new Set(evaluations.map((e) => e.caseId)).size).toBe(evaluations.length);
    for (const e of evaluations) expect([3, 4, 5]).toContain((e.opts as { score: number }).score);
  });

  it('keeps off suspended cases and cases with a request awaiting approval', async () => {
    const t = setup();
    t.cases.add({ stage: 'registered', ts: T0, suspended: true }, CITIZEN);
    const pending = t.cases.add({ stage: 'registered', ts: T0 }, CITIZEN);
    pending.requests.push({ id: 1, caseId: pending.id, kind: 'void', reason: '重复上报', days: null, requestedBy: 'crew-1', requestedTs: T0, state: 'pending', decidedBy: null, decidedTs: null });
    t.at(10 * 60_000);
    await t.officer.round();
    expect(t.dispatch.recommendCalls).toEqual([]);
  });

  it('dispatches emergencies first when it cannot do everything in one round', async () => {
    const t = setup();
    for (let i = 0; i < DUTY_CONFIG.maxActionsPerRound; i++) t.cases.add({ stage: 'registered', ts: T0 }, CITIZEN);
    const urgent = t.cases.add({ stage: 'registered', ts: T0 + 1_000, itemCode: '02.04.001' }, CITIZEN);
    t.at(2 * 60_000);
    await t.officer.round();
    expect(t.dispatch.dispatched).toHaveLength(DUTY_CONFIG.maxActionsPerRound);
    expect(t.dispatch.dispatched[0]!.caseId).toBe(urgent.id);
  });

  it('never throws out of its round, and does nothing without the cases module', async () => {
    const t = setup();
    const broken = new SimDutyOfficer({
      ports: { cases: () => { throw new Error('store closed'); }, dispatch: () => undefined },
      now: () => T0, delayMs: DELAY_MS, rng: new Rng(1, 9), log: t.log,
    });
    expect(() => broken.round()).not.toThrow();
    expect(broken.stats.errors).toBe(1);
    expect(t.log.warn).toHaveBeenCalledTimes(1);

    const absent = new SimDutyOfficer({ ports: { cases: () => undefined, dispatch: () => undefined }, now: () => T0, delayMs: DELAY_MS, rng: new Rng(1, 9), log: t.log });
    expect(() => absent.round()).not.toThrow();
    expect(absent.stats).toMatchObject({ errors: 0, registered: 0 });

    // An unexpected refusal (not a race) is logged and the case tried again after the retry wait.
    await t.cases.report({ source: 'hotline', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.cases.failNext = { method: 'transition', error: new HttpError(400, 'bad_request', 'no taxonomy item') };
    t.at(61_000);
    await t.officer.round();
    expect(t.officer.stats).toMatchObject({ errors: 1, registered: 0 });
    t.at(61_000 + DUTY_CONFIG.retryMs);
    await t.officer.round();
    expect(t.officer.stats.registered).toBe(1);
  });

  it('runs on its own timer until stopped', async () => {
    vi.useFakeTimers();
    const t = setup();
    await t.cases.report({ source: 'hotline', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.at(61_000);
    t.officer.start(5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(t.officer.stats.registered).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.officer.stats.registered).toBe(1);
    await t.officer.stop();
    await t.cases.report({ source: 'hotline', itemCode: '02.01.001', lon: 117.06, lat: 36.65 }, CITIZEN);
    t.at(10 * 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.officer.stats.registered).toBe(1);
  });
});
