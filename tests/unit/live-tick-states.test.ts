/**
 * The server side of format 2 on a small district: tick captures, deltas across skipped ticks,
 * a base the ring has forgotten, entities added at run time, and frames built once per tick.
 */
import { describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { applyLiveFrameV2, decodeLiveFrameV2 } from '../../shared/live-codec.ts';
import { LiveColumns } from '../../shared/live-columns.ts';
import { entitiesFromPack } from '../../server/live/entities-from-pack.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { columnRowOf, LiveTickStates } from '../../server/live/tick-states.ts';
import { LiveViewFrames } from '../../server/live/view-frames.ts';
import { LAT0, LON0, T0, tinyPack } from './alarm-fixtures.ts';

function setup(ring = 30) {
  const mobile = { staleAfterMs: 60_000, offlineAfterMs: 300_000 };
  const live = new LiveState(entitiesFromPack(tinyPack()), connectivityPolicy(mobile, mobile));
  let now = T0;
  const states = new LiveTickStates(live, ring, () => now);
  const views = new LiveViewFrames(states, live);
  const step = (k: number) => {
    now += 1000;
    const mobiles = live.all().filter((e) => e.kind === 'staff' || e.kind === 'vehicle');
    // A different few each tick, so a delta across skipped ticks must gather the changes of all of them.
    for (const [n, e] of mobiles.entries()) if ((n + k) % 3 === 0 || k === 0) live.apply(e.id, { pos: { lon: LON0 + 0.0001 * k + 0.00001 * n, lat: LAT0 + 0.00005 * k, ts: now, speed: 3 + k, heading: (10 * k) % 360 } }, now);
    return states.capture();
  };
  return { live, states, views, step };
}

/** The live state in wire units, straight from the entities. */
function truth(live: LiveState): LiveColumns {
  const c = new LiveColumns(live.all().length);
  for (const e of live.all()) c.set(e.index, columnRowOf(e));
  return c;
}
function expectEqual(a: LiveColumns, b: LiveColumns) {
  for (const f of ['present', 'hasPos', 'lon', 'lat', 'fixSec', 'seenSec', 'speed10', 'heading', 'status', 'conn'] as const) expect(Array.from(a[f]), f).toEqual(Array.from(b[f]));
}

describe('tick states and view frames', () => {
  it('a screen that takes only every third tick ends equal to the server', () => {
    const { live, views, step } = setup();
    let state = step(0);
    const screen = new LiveColumns(live.all().length);
    applyLiveFrameV2(screen, decodeLiveFrameV2(views.full(state, {})));
    let held = state.version;
    for (let k = 1; k <= 9; k++) {
      state = step(k);
      if (k % 3) continue; // skipped: too slow to be sent this tick
      const frame = views.delta(state, held, {})!;
      const decoded = decodeLiveFrameV2(frame);
      expect(decoded.baseVersion).toBe(held);
      applyLiveFrameV2(screen, decoded);
      held = state.version;
    }
    expectEqual(screen, truth(live));
  });

  it('a base the ring no longer holds gets no delta (the screen gets its whole view)', () => {
    const { views, step } = setup(3);
    const first = step(0);
    for (let k = 1; k <= 3; k++) step(k);
    const latest = step(4);
    expect(views.delta(latest, first.version, {})).toBeUndefined();
    expect(decodeLiveFrameV2(views.full(latest, {})).full).toBe(true);
  });

  it('an entity added at run time enters the next delta whole', () => {
    const { live, views, step } = setup();
    const base = step(0);
    const screen = new LiveColumns(live.all().length);
    applyLiveFrameV2(screen, decodeLiveFrameV2(views.full(base, {})));
    live.addEntity({ id: 'rt-1', kind: 'muckTruck', name: 'N', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, pos: { lon: LON0, lat: LAT0, ts: T0 }, attrs: { plate: 'N', company: '', permitId: '', loaded: false, lidSealed: true, violations: [] } } as AnyEntity, T0);
    const next = step(1);
    const grown = LiveColumns.copyOf(screen, live.all().length);
    applyLiveFrameV2(grown, decodeLiveFrameV2(views.delta(next, base.version, {})!));
    expectEqual(grown, truth(live));
    expect(grown.attrs[live.all().length - 1]).toMatchObject({ plate: 'N' });
  });

  it('frames are built once per tick, base and subscription, however many screens ask', () => {
    const { views, step } = setup();
    const base = step(0);
    const state = step(1);
    const builds = views.builds;
    const fulls = Array.from({ length: 50 }, () => views.full(state, {}));
    const deltas = Array.from({ length: 50 }, () => views.delta(state, base.version, {}));
    const street = Array.from({ length: 50 }, () => views.full(state, { streets: ['370102001'] }));
    expect(views.builds - builds).toBe(3);
    expect(new Set(fulls).size).toBe(1);
    expect(new Set(deltas).size).toBe(1);
    expect(new Set(street).size).toBe(1);
  });
});
