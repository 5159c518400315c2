import { describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { DeviceRegistry } from '../../server/ingest/device-registry.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import { LiveFanOut } from '../../server/live/fan-out.ts';
import { decodeLiveFrame } from '../../shared/live-codec.ts';
import type { LiveChange } from '../../server/live/change-stream.ts';

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);

function fixture() {
  const entities: AnyEntity[] = [
    { id: 'veh-001', kind: 'vehicle', name: 'v1', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: 'p1', working: false } },
    { id: 'veh-002', kind: 'vehicle', name: 'v2', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'washer', plate: 'p2', working: false } },
    { id: 'bin-00001', kind: 'bin', name: 'b', orgCode: '370102001', gridId: 'g1', status: 'ok', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: 117.02, lat: 36.66, ts: 0 }, attrs: { binType: 'litter', fill: 10 } },
  ];
  let now = T0;
  const live = new LiveState(entities, connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }));
  const ingest = new Ingest(live, new DeviceRegistry([], (id) => live.get(id) !== undefined), { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now);
  const changes: LiveChange[] = [];
  live.changes.subscribe('test', (c) => changes.push(c));
  return { live, ingest, changes, tick: (ms: number) => (now += ms) };
}

describe('the change stream', () => {
  it('carries each accepted report as {before, after}, and nothing for a dropped one', () => {
    const { ingest, changes } = fixture();
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0, attrs: { fill: 96 } });
    ingest.submit({ source: 'sim', deviceId: 'bin-00001', ts: T0 + 10 * 60_000, attrs: { fill: 50 } }); // future: dropped
    expect(changes).toHaveLength(1);
    const c = changes[0]!;
    expect(c.type).toBe('report');
    expect(c.before).toMatchObject({ status: 'ok', connectivity: 'offline', lastSeen: 0, attrs: { fill: 10 } });
    expect(c.after).toMatchObject({ status: 'overflow', connectivity: 'online', lastSeen: T0, attrs: { fill: 96 } });
    expect(c.version).toBe(1);
    // before is a copy: the live entity moved on, the event did not.
    expect(c.before.attrs.fill).toBe(10);
  });

  it('emits every connectivity transition, and a derived value once', () => {
    const { live, ingest, changes, tick } = fixture();
    ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } });
    tick(60_000);
    live.sweepConnectivity(T0 + 60_000);
    live.sweepConnectivity(T0 + 60_000); // no change, no event
    tick(540_000);
    live.sweepConnectivity(T0 + 600_000);
    expect(changes.map((c) => [c.type, c.before.connectivity, c.after.connectivity])).toEqual([
      ['report', 'offline', 'online'], ['connectivity', 'online', 'stale'], ['connectivity', 'stale', 'offline'],
    ]);
    expect(live.derive('veh-001', { routeDone: 0.5 }, T0)).toBe(true);
    expect(live.derive('veh-001', { routeDone: 0.5 }, T0)).toBe(false);
    expect(changes.at(-1)).toMatchObject({ type: 'derived', after: { attrs: { routeDone: 0.5 } } });
  });

  it('keeps the ingest running when a consumer throws, and counts the failure', () => {
    const { live, ingest } = fixture();
    live.changes.subscribe('broken', () => { throw new Error('boom'); });
    expect(ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0, pos: { lon: 117.05, lat: 36.65 } }).accepted).toBe(true);
    expect(live.changes.failures.get('broken')).toBe(1);
  });

  it('lets the fan-out answer from its log what a scan of the district would', () => {
    const { live, ingest, tick } = fixture();
    const fanOut = new LiveFanOut(live, () => T0);
    ingest.submit({ source: 'sim', deviceId: 'veh-002', ts: T0, pos: { lon: 117.05, lat: 36.65 } });
    const v1 = live.version;
    tick(1000);
    ingest.submit({ source: 'sim', deviceId: 'veh-001', ts: T0 + 1000, pos: { lon: 117.05, lat: 36.65 } });
    ingest.submit({ source: 'sim', deviceId: 'veh-002', ts: T0 + 1000, pos: { lon: 117.051, lat: 36.65 } });
    const rows = (base: number) => decodeLiveFrame(fanOut.deltaSince(base)!).rows.map((r) => r.i);
    expect(rows(0)).toEqual([0, 1]);
    expect(rows(v1)).toEqual([0, 1]);
    fanOut.prune(v1);
    // Below the pruned floor the fan-out falls back to a scan, with the same answer.
    expect(rows(0)).toEqual(live.changedSince(0).map((e) => e.index));
    expect(fanOut.deltaSince(live.version)).toBeNull();
  });
});
