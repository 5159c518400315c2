import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseSummary } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import { OpsState } from '../../server/ops/ops-state.ts';
import type { AlarmsPort, CasesPort, DispatchPort } from '../../server/ops/ports.ts';

const H = 3_600_000;
// 2026-11-28 10:00 in Asia/Shanghai is 02:00 UTC.
const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);

function kase(id: number, over: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id, code: `LX-20261128-${id}`, title: 't', itemCode: 'x', category: 'event', source: 'hotline', stage: 'registered', suspended: false,
    emergency: false, difficulty: 'small', location: { lon: 117.05, lat: 36.65, streetCode: '370102001', communityCode: null, gridId: null, address: null },
    assignedOrg: null, assignment: null, alarmId: null, escalationLevel: 0, reportedBy: 'x', createdTs: T0, updatedTs: T0, closedTs: null, clocks: [], version: 1, ...over,
  };
}

function alarm(id: number, over: Partial<Alarm> = {}): Alarm {
  return {
    id, type: 'binOverflow', severity: 'major', entityId: 'bin-1', entityKind: 'bin', entityName: 'b', orgCode: '370102001', gridId: 'g', lon: null, lat: null,
    startTs: T0, updateTs: T0, endTs: null, active: true, ackBy: null, ackTs: null, clearedBy: null, detail: '', value: null, caseId: null, version: 1, ...over,
  };
}

function unit(id: string, status: UnitState['status']): UnitState {
  return { entityId: id, kind: 'staff', name: id, orgCode: '370102001', gridId: 'g', skills: [], status, since: T0, caseId: null, warning: null, version: 1 };
}

async function setup() {
  let now = T0;
  const cases = new Map<number, CaseSummary>([[1, kase(1)]]);
  const alarms = new Map<number, Alarm>([[7, alarm(7)]]);
  const units = new Map<string, UnitState>([['u1', unit('u1', 'available')], ['u2', unit('u2', 'dispatched')]]);
  const casesPort = { get: async (id: number) => cases.get(id), openCases: async () => [...cases.values()].filter((c) => c.stage !== 'closed'), changedSince: async () => [...cases.values()] } as unknown as CasesPort;
  const alarmsPort = { get: async (id: number) => alarms.get(id), active: async () => [...alarms.values()].filter((a) => a.active), changedSince: async () => [...alarms.values()] } as unknown as AlarmsPort;
  const dispatchPort = { units: () => [...units.values()], unit: (id: string) => units.get(id) } as unknown as DispatchPort;
  const events = new DomainEvents();
  const ops = new OpsState({ cases: () => casesPort, alarms: () => alarmsPort, dispatch: () => dispatchPort }, events, () => now, 'Asia/Shanghai');
  await ops.load();
  return { ops, events, cases, alarms, units, advance: (ms: number) => { now += ms; } };
}

describe('OpsState', () => {
  it('snapshots the window: open cases, active alarms, engaged units only, with today\'s stats', async () => {
    const { ops } = await setup();
    const s = ops.snapshot();
    expect(s.cases.map((c) => c.id)).toEqual([1]);
    expect(s.alarms.map((a) => a.id)).toEqual([7]);
    expect(s.units.map((u) => u.entityId)).toEqual(['u2']);
    expect(s.stats.day).toBe('2026-11-28');
    expect(s.stats.casesToday).toBe(1);
    expect(s.stats.bySource.hotline).toBe(1);
    expect(s.stats.activeAlarms).toBe(1);
    expect(s.stats.unitsByStatus).toMatchObject({ available: 1, dispatched: 1, onScene: 0 });
  });

  it('sends a screen only what changed since its version, once per flush however often it changed', async () => {
    const { ops, events, cases } = await setup();
    const base = ops.version;
    expect(ops.deltaSince(base)).toBeNull();
    cases.set(1, kase(1, { stage: 'dispatched', version: 2 }));
    events.emit('case:changed', 1);
    events.emit('case:changed', 1);
    cases.set(2, kase(2, { source: 'roadChief' }));
    events.emit('case:changed', 2);
    // The changed cases are read from the (asynchronous) store; the flush takes what was read.
    await ops.settled();
    ops.flush();
    const d = ops.deltaSince(base);
    if (d === null || d === 'snapshot') throw new Error('expected a delta');
    expect(d.cases.map((c) => [c.id, c.stage])).toEqual([[1, 'dispatched'], [2, 'registered']]);
    expect(d.alarms).toEqual([]);
    expect(d.stats.byStage).toMatchObject({ dispatched: 1, registered: 1 });
    expect(d.baseVersion).toBe(base);
    expect(ops.deltaSince(d.version)).toBeNull();
  });

  it('removes what leaves the window: a case closed over 24 h ago, an alarm cleared over an hour ago, a unit back to available', async () => {
    const { ops, events, cases, alarms, units, advance } = await setup();
    const base = ops.version;
    cases.set(1, kase(1, { stage: 'closed', updatedTs: T0, closedTs: T0 }));
    alarms.set(7, alarm(7, { active: false, endTs: T0 }));
    units.set('u2', unit('u2', 'available'));
    events.emit('case:changed', 1);
    events.emit('alarm:changed', 7);
    events.emit('unit:changed', 'u2');
    // Cases and alarms are read from their (asynchronous) ports when told; the next flush takes them.
    await ops.settled();
    await new Promise((r) => setImmediate(r));
    ops.flush();
    let d = ops.deltaSince(base);
    if (d === null || d === 'snapshot') throw new Error('expected a delta');
    // Closed and cleared just now: still in the window; the unit is not.
    expect(d.cases.map((c) => c.stage)).toEqual(['closed']);
    expect(d.alarms.map((a) => a.active)).toEqual([false]);
    expect(d.removed.units).toEqual(['u2']);
    const mid = ops.version;
    advance(H + 1);
    ops.flush();
    d = ops.deltaSince(mid);
    if (d === null || d === 'snapshot') throw new Error('expected a delta');
    expect(d.removed).toEqual({ cases: [], alarms: [7], units: [] });
    advance(24 * H);
    ops.flush();
    expect(ops.snapshot().cases).toEqual([]);
  });

  it('asks a screen far behind the remembered removals for a snapshot', async () => {
    const { ops, events, units } = await setup();
    const base = ops.version;
    for (let i = 0; i < 6000; i++) {
      units.set(`x${i}`, unit(`x${i}`, 'busy'));
      events.emit('unit:changed', `x${i}`);
    }
    ops.flush();
    for (let i = 0; i < 6000; i++) {
      units.set(`x${i}`, unit(`x${i}`, 'available'));
      events.emit('unit:changed', `x${i}`);
    }
    ops.flush();
    expect(ops.deltaSince(base)).toBe('snapshot');
    const d = ops.deltaSince(ops.version - 1);
    expect(d).not.toBe('snapshot');
  });
});
