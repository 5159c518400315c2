import { describe, expect, it, vi } from 'vitest';
import { Simulator } from '../../server/sim/simulator.ts';
import { HttpError } from '../../server/http-error.ts';
import type { IngestOutcome, IngestSink, IngestUpdate } from '../../server/ingest/types.ts';
import type { FleetVehicle, StaffMember } from '../../shared/district.ts';
import { FakeCases, FakeDispatch, gridPack, LAT0, LON0, M_PER_DEG_LAT, M_PER_DEG_LON, nodeAt, STEP_LAT, STEP_LON } from './sim-fixtures.ts';

/** 2026-01-15 10:00 in Jinan. */
const T0 = Date.UTC(2026, 0, 15, 2, 0, 0);
const SPEED = 5;
const STAFF: StaffMember[] = [
  { id: 'staff-0001', name: '执法1', role: 'enforcer', streetCode: '370102001', gridId: 'g1', shift: '00:00-24:00' },
  { id: 'staff-0002', name: '保洁2', role: 'cleaner', streetCode: '370102001', gridId: 'g1', shift: '00:00-24:00' },
];
const VEHICLES: FleetVehicle[] = [
  { id: 'veh-001', plate: '鲁A10001', vehicleType: 'sweeper', streetCode: '370102001', gridId: 'g1', roadIds: ['h1'], depot: nodeAt(0, 0), workSpeedLimitKph: 8 },
];
const PACK = gridPack({ staff: STAFF, vehicles: VEHICLES });
/** The case: on the road between (7,7) and (8,7), 5 m north of its centre line (on the pavement). */
const CASE_POINT = { lon: (nodeAt(7, 7)[0] + nodeAt(8, 7)[0]) / 2, lat: nodeAt(7, 7)[1] + 5 / M_PER_DEG_LAT };
const DISPATCHER = { name: 'duty-li', role: 'dispatcher' };

class TimedSink implements IngestSink {
  updates: IngestUpdate[] = [];
  submit(u: IngestUpdate): IngestOutcome {
    this.updates.push(u);
    return { accepted: true, entityId: u.deviceId };
  }
}

/** Road distance left on the street grid from a point on a monotone route: |Δx| + |Δy| in metres. */
const manhattanM = (lon: number, lat: number): number => Math.abs(lon - CASE_POINT.lon) * M_PER_DEG_LON + Math.abs(lat - CASE_POINT.lat) * M_PER_DEG_LAT;
/** Metres from the nearest grid line (every road of the test district is one). */
const offRoadM = (lon: number, lat: number): number => {
  const fx = (lon - LON0) / STEP_LON, fy = (lat - LAT0) / STEP_LAT;
  return Math.min(Math.abs(fx - Math.round(fx)) * STEP_LON * M_PER_DEG_LON, Math.abs(fy - Math.round(fy)) * STEP_LAT * M_PER_DEG_LAT);
};

function setup(seed = 5) {
  let wall = T0;
  const sink = new TimedSink();
  const cases = new FakeCases(() => wall);
  const dispatch = new FakeDispatch(cases, () => wall);
  for (const s of STAFF) dispatch.addUnit(s.id, 'staff');
  dispatch.addUnit('veh-001', 'vehicle');
  const sim = new Simulator({ pack: PACK, ingest: sink, seed, speed: SPEED, now: () => wall, reportsPerDay: 0, ports: { cases: () => cases, dispatch: () => dispatch } });
  const simAt = (ts: number): number => T0 + (ts - T0) * SPEED;
  dispatch.simTime = () => simAt(wall);
  // A step, then what it started with the (asynchronous) ports: they answer within the event loop's turn.
  const step = async (): Promise<void> => { wall += 1000; sim.step(1000); await new Promise<void>((r) => setImmediate(r)); };
  const runUntil = async (done: () => boolean, limit = 3000): Promise<void> => {
    for (let i = 0; i < limit && !done(); i++) await step();
    expect(done()).toBe(true);
  };
  const newCase = () => cases.add({ stage: 'registered', lon: CASE_POINT.lon, lat: CASE_POINT.lat, itemCode: '02.01.001' }, DISPATCHER);
  return { sim, sink, cases, dispatch, step, runUntil, simAt, newCase, wall: () => wall };
}

const stepsOf = (d: FakeDispatch, unit: string) => d.steps.filter((s) => s.unitId === unit);

describe('simulated crews answer dispatches', () => {
  it('an enforcer accepts, sets off, rides the roads to the case, works there, reports done and goes back', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) await t.step();
    const c = t.newCase();
    await t.dispatch.dispatchCase(c.id, 'staff-0001', DISPATCHER, { version: c.version });
    const dispatchedSim = t.simAt(t.wall());
    await t.runUntil(() => stepsOf(t.dispatch, 'staff-0001').some((s) => s.step === 'done'));

    const steps = stepsOf(t.dispatch, 'staff-0001');
    expect(steps.map((s) => s.step)).toEqual(['accept', 'enRoute', 'done']);
    for (const s of steps) expect(s.actor).toEqual({ name: 'staff-0001', role: 'sim' });
    expect(steps[2]!.opts?.note).toMatch(/[\u4e00-\u9fa5]/);
    // Accepted 20–90 s (sim) after the dispatch, give or take one 5 s step.
    const acceptAfterS = (steps[0]!.simTime - dispatchedSim) / 1000;
    expect(acceptAfterS).toBeGreaterThanOrEqual(20);
    expect(acceptAfterS).toBeLessThanOrEqual(95);
    // Arrival is never told: the server is left to see it in the positions.
    expect(t.cases.calls.filter((x) => x.action === 'arrive')).toEqual([]);
    expect((await t.cases.get(c.id))!.stage).toBe('fedBack');

    const [enRoute, done] = [steps[1]!, steps[2]!];
    const trip = t.sink.updates.filter((u) => u.deviceId === 'staff-0001' && t.simAt(u.ts) >= enRoute.simTime && t.simAt(u.ts) < done.simTime);
    expect(trip.length).toBeGreaterThan(5);
    const left = trip.map((u) => manhattanM(u.pos!.lon, u.pos!.lat));
    // The start is at least a few blocks away, and every fix is closer (or as close) along the road.
    expect(left[0]).toBeGreaterThan(600);
    for (let i = 1; i < left.length; i++) expect(left[i]!).toBeLessThanOrEqual(left[i - 1]! + 0.5);
    for (const u of trip) expect(offRoadM(u.pos!.lon, u.pos!.lat)).toBeLessThan(5.5);
    const last = trip.at(-1)!;
    expect(manhattanM(last.pos!.lon, last.pos!.lat)).toBeLessThan(30);
    expect(last.pos!.speed).toBe(0);
    // E-bike speed, and the distance covered between two moving fixes matches it.
    const moving = trip.filter((u) => (u.pos!.speed ?? 0) > 0);
    expect(moving.length).toBeGreaterThan(3);
    for (const u of moving) {
      expect(u.pos!.speed!).toBeGreaterThanOrEqual(18);
      expect(u.pos!.speed!).toBeLessThanOrEqual(25);
    }
    for (let i = 1; i < trip.length; i++) {
      const [a, b] = [trip[i - 1]!, trip[i]!];
      if (!(a.pos!.speed! > 0 && b.pos!.speed! > 0)) continue;
      const kph = ((manhattanM(a.pos!.lon, a.pos!.lat) - manhattanM(b.pos!.lon, b.pos!.lat)) / 1000) / (((b.ts - a.ts) * SPEED) / 3_600_000);
      expect(Math.abs(kph - b.pos!.speed!)).toBeLessThan(0.2);
    }
    // Worked on scene for the small item's 10–20 min (sim), from the first fix standing there.
    const onScene = trip.find((u) => manhattanM(u.pos!.lon, u.pos!.lat) < 30)!;
    const workedMin = (done.simTime - t.simAt(onScene.ts)) / 60_000;
    expect(workedMin).toBeGreaterThanOrEqual(10 - 0.1);
    expect(workedMin).toBeLessThanOrEqual(20 + 0.1);

    // Then back to the patrol: the task ends and the member walks again (≤ 5 km/h × 1.15).
    await t.runUntil(() => t.sim.opsStats().crews.busy === 0);
    const back = t.sink.updates.filter((u) => u.deviceId === 'staff-0001' && t.simAt(u.ts) > done.simTime);
    expect(manhattanM(back.at(-1)!.pos!.lon, back.at(-1)!.pos!.lat)).toBeGreaterThan(300);
    for (let i = 0; i < 30; i++) await t.step();
    const later = t.sink.updates.filter((u) => u.deviceId === 'staff-0001').slice(-3);
    for (const u of later) expect(u.pos!.speed!).toBeLessThanOrEqual(5.75);
    expect(t.sim.opsStats().crews).toMatchObject({ tasksStarted: 1, tasksDone: 1, tasksAbandoned: 0 });
  });

  it('a vehicle drives at town speed, idle rather than working, and its day\'s plan waits for it', async () => {
    const t = setup(9);
    for (let i = 0; i < 20; i++) await t.step();
    const c = t.newCase();
    await t.dispatch.dispatchCase(c.id, 'veh-001', DISPATCHER, { version: c.version });
    t.sim.onUnitDispatched('veh-001');
    await t.runUntil(() => stepsOf(t.dispatch, 'veh-001').some((s) => s.step === 'done'));
    const steps = stepsOf(t.dispatch, 'veh-001');
    expect(steps.map((s) => s.step)).toEqual(['accept', 'enRoute', 'done']);
    const trip = t.sink.updates.filter((u) => u.deviceId === 'veh-001' && t.simAt(u.ts) >= steps[1]!.simTime && t.simAt(u.ts) < steps[2]!.simTime);
    const moving = trip.filter((u) => (u.pos!.speed ?? 0) > 0);
    expect(moving.length).toBeGreaterThan(0);
    // 25–35 km/h, with the vehicles' ±5 % speedometer jitter.
    for (const u of moving) {
      expect(u.pos!.speed!).toBeGreaterThanOrEqual(23.75);
      expect(u.pos!.speed!).toBeLessThanOrEqual(36.75);
    }
    for (const u of trip) if (u.status !== undefined) expect(u.status).toBe('idle');
    expect(manhattanM(trip.at(-1)!.pos!.lon, trip.at(-1)!.pos!.lat)).toBeLessThan(30);
    await t.runUntil(() => t.sim.opsStats().crews.busy === 0);
  });

  it('gives up a task that is released on the way, without reporting done', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) await t.step();
    const c = t.newCase();
    await t.dispatch.dispatchCase(c.id, 'staff-0001', DISPATCHER, { version: c.version });
    await t.runUntil(() => stepsOf(t.dispatch, 'staff-0001').some((s) => s.step === 'enRoute'));
    for (let i = 0; i < 5; i++) await t.step();
    const releasedAt = t.wall();
    t.dispatch.release('staff-0001');
    await t.runUntil(() => t.sim.opsStats().crews.busy === 0);
    for (let i = 0; i < 300; i++) await t.step();
    expect(stepsOf(t.dispatch, 'staff-0001').map((s) => s.step)).toEqual(['accept', 'enRoute']);
    expect(t.sim.opsStats().crews).toMatchObject({ tasksStarted: 1, tasksDone: 0, tasksAbandoned: 1 });
    // It never got to the case after the release.
    const after = t.sink.updates.filter((u) => u.deviceId === 'staff-0001' && u.ts > releasedAt);
    for (const u of after) expect(manhattanM(u.pos!.lon, u.pos!.lat)).toBeGreaterThan(30);
  });

  it('retries a step the server refused while the unit is still on the case', async () => {
    const t = setup();
    t.dispatch.stepErrors = [new HttpError(409, 'conflict', 'unit version moved')];
    const c = t.newCase();
    await t.dispatch.dispatchCase(c.id, 'staff-0002', DISPATCHER, { version: c.version });
    await t.runUntil(() => stepsOf(t.dispatch, 'staff-0002').some((s) => s.step === 'done'), 6000);
    const steps = stepsOf(t.dispatch, 'staff-0002');
    expect(steps.map((s) => s.step)).toEqual(['accept', 'accept', 'enRoute', 'done']);
    // The retry comes 30 s (sim) later.
    expect((steps[1]!.simTime - steps[0]!.simTime) / 1000).toBeGreaterThanOrEqual(30);
    expect((steps[1]!.simTime - steps[0]!.simTime) / 1000).toBeLessThanOrEqual(35);
    // A cleaner comes on an e-trike: 8–12 km/h.
    const moving = t.sink.updates.filter((u) => u.deviceId === 'staff-0002' && t.simAt(u.ts) > steps[2]!.simTime && t.simAt(u.ts) < steps[3]!.simTime && (u.pos!.speed ?? 0) > 0);
    expect(moving.length).toBeGreaterThan(0);
    for (const u of moving) {
      expect(u.pos!.speed!).toBeGreaterThanOrEqual(8);
      expect(u.pos!.speed!).toBeLessThanOrEqual(12);
    }
    expect(t.sim.opsStats().crews.stepErrors).toBe(1);
  });

  it('leaves units that are not the simulator\'s alone', async () => {
    const t = setup();
    const c = t.newCase();
    t.dispatch.addUnit('jt808-device-9', 'vehicle');
    await t.dispatch.dispatchCase(c.id, 'jt808-device-9', DISPATCHER, { version: c.version });
    for (let i = 0; i < 200; i++) await t.step();
    expect(t.dispatch.steps).toEqual([]);
    expect(t.sim.opsStats().crews.tasksStarted).toBe(0);
  });

  it('keeps the district running when the dispatch module throws, logging only now and then', () => {
    let wall = T0;
    const sink = new TimedSink();
    const warn = vi.fn();
    const broken = { engaged: () => { throw new Error('database is locked'); } } as unknown as FakeDispatch;
    const sim = new Simulator({
      pack: PACK, ingest: sink, seed: 5, speed: SPEED, now: () => wall, reportsPerDay: 0,
      ports: { cases: () => new FakeCases(() => wall), dispatch: () => broken }, log: { debug: vi.fn(), warn },
    });
    for (let i = 0; i < 150; i++) {
      wall += 1000;
      expect(() => sim.step(1000)).not.toThrow();
    }
    expect(sim.opsStats().crews.stepErrors).toBe(150);
    // The 1st, 10th and 100th failure are logged.
    expect(warn).toHaveBeenCalledTimes(3);
    expect(sink.updates.filter((u) => u.deviceId === 'staff-0001').length).toBeGreaterThan(10);
  });
});
