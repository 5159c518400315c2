import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OpsDelta } from '../../shared/ops.ts';
import type { OpsArrival } from '../../client/realtime/ops-state.ts';
import { useOpsStore } from '../../client/stores/ops.ts';
import { alarm, caseSummary, stats, unit } from '../fixtures/ops-factories.ts';

function delta(over: Partial<OpsDelta> & Pick<OpsDelta, 'version' | 'baseVersion'>): OpsDelta {
  return { cases: [], alarms: [], units: [], removed: { cases: [], alarms: [], units: [] }, stats: stats(), ...over };
}

describe('ops store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  function withSnapshot() {
    const ops = useOpsStore();
    ops.applySnapshot({
      version: 10,
      cases: [caseSummary({ id: 1 }), caseSummary({ id: 2 })],
      alarms: [alarm({ id: 7 })],
      units: [unit({ entityId: 'staff-1' })],
      stats: stats({ casesToday: 2 }),
    });
    return ops;
  }

  it('replaces everything on a snapshot', () => {
    const ops = withSnapshot();
    ops.applySnapshot({ version: 3, cases: [caseSummary({ id: 9 })], alarms: [], units: [], stats: stats({ casesToday: 1 }) });
    expect([...ops.cases.keys()]).toEqual([9]);
    expect(ops.alarms.size).toBe(0);
    expect(ops.units.size).toBe(0);
    expect(ops.version).toBe(3); // a restarted server counts from scratch: the snapshot's version is taken as is
    expect(ops.stats?.casesToday).toBe(1);
  });

  it('applies a contiguous delta: overwrites, adds, removes, takes stats and version', () => {
    const ops = withSnapshot();
    const outcome = ops.applyDelta(delta({
      version: 11, baseVersion: 10,
      cases: [caseSummary({ id: 2, stage: 'dispatched', version: 2 }), caseSummary({ id: 3 })],
      removed: { cases: [1], alarms: [7], units: ['staff-1'] },
      stats: stats({ casesToday: 3 }),
    }));
    expect(outcome).toBe('applied');
    expect([...ops.cases.keys()].sort()).toEqual([2, 3]);
    expect(ops.cases.get(2)?.stage).toBe('dispatched');
    expect(ops.alarms.size).toBe(0);
    expect(ops.units.size).toBe(0);
    expect(ops.version).toBe(11);
    expect(ops.stats?.casesToday).toBe(3);
  });

  it('reports a gap when a delta is built on a version it never saw, and still applies it', () => {
    const ops = withSnapshot();
    expect(ops.applyDelta(delta({ version: 14, baseVersion: 12, cases: [caseSummary({ id: 5 })] }))).toBe('gap');
    expect(ops.cases.has(5)).toBe(true);
    expect(ops.version).toBe(14);
    // The next contiguous delta is fine again.
    expect(ops.applyDelta(delta({ version: 15, baseVersion: 14 }))).toBe('applied');
  });

  it('ignores a delta older than what it holds, and any delta before the first snapshot', () => {
    const ops = withSnapshot();
    expect(ops.applyDelta(delta({ version: 10, baseVersion: 9, removed: { cases: [1, 2], alarms: [], units: [] } }))).toBe('stale');
    expect(ops.cases.size).toBe(2);
    setActivePinia(createPinia());
    const fresh = useOpsStore();
    expect(fresh.applyDelta(delta({ version: 1, baseVersion: 0, cases: [caseSummary({ id: 1 })] }))).toBe('noSnapshot');
    expect(fresh.cases.size).toBe(0);
    expect(fresh.version).toBeNull();
  });

  it('tells listeners about new critical alarms and new open emergencies, once, and not about a snapshot', () => {
    const ops = withSnapshot();
    const heard: OpsArrival[] = [];
    const off = ops.onArrival((a) => heard.push(a));
    ops.applySnapshot({ version: 20, cases: [caseSummary({ id: 50, emergency: true })], alarms: [alarm({ id: 60, severity: 'critical' })], units: [], stats: stats() });
    expect(heard).toEqual([]);
    ops.applyDelta(delta({
      version: 21, baseVersion: 20,
      alarms: [
        alarm({ id: 61, severity: 'critical', lon: 117.1, lat: 36.7 }),
        alarm({ id: 62, severity: 'major' }),
        alarm({ id: 60, severity: 'critical', version: 2 }), // already held active: an update, not news
      ],
      cases: [
        caseSummary({ id: 51, emergency: true, location: { lon: 117.2, lat: 36.6, streetCode: 's', communityCode: null, gridId: null, address: null } }),
        caseSummary({ id: 52, emergency: false }),
        caseSummary({ id: 53, emergency: true, stage: 'closed' }),
        caseSummary({ id: 50, emergency: true, version: 2 }),
      ],
    }));
    expect(heard).toEqual([
      { kind: 'alarm', id: 61, lon: 117.1, lat: 36.7 },
      { kind: 'case', id: 51, lon: 117.2, lat: 36.6 },
    ]);
    off();
    ops.applyDelta(delta({ version: 22, baseVersion: 21, alarms: [alarm({ id: 63, severity: 'critical' })] }));
    expect(heard).toHaveLength(2);
  });

  it('announces an alarm and the case it opened in the same delta once, as the alarm', () => {
    const ops = withSnapshot();
    const heard: OpsArrival[] = [];
    ops.onArrival((a) => heard.push(a));
    ops.applyDelta(delta({
      version: 11, baseVersion: 10,
      alarms: [alarm({ id: 70, type: 'staffSos', severity: 'critical', caseId: 80 })],
      cases: [caseSummary({ id: 80, emergency: true, alarmId: 70 })],
    }));
    expect(heard.map((a) => `${a.kind}:${a.id}`)).toEqual(['alarm:70']);
  });

  it('keeps the newer row when an HTTP reply and the stream cross', () => {
    const ops = withSnapshot();
    ops.applyDelta(delta({ version: 11, baseVersion: 10, cases: [caseSummary({ id: 1, stage: 'handling', version: 3 })] }));
    ops.upsertCase(caseSummary({ id: 1, stage: 'dispatched', version: 2 }));
    expect(ops.cases.get(1)?.stage).toBe('handling');
    ops.upsertCase(caseSummary({ id: 1, stage: 'fedBack', version: 4 }));
    expect(ops.cases.get(1)?.stage).toBe('fedBack');
  });
});
