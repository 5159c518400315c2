/**
 * The catalog that grows at run time, as the server's consumers see it: the live state's new
 * entry and version, the fan-out's catalog change and first row, and the alarm rules, whose
 * per-entity state is indexed by catalog index.
 */
import { describe, expect, it } from 'vitest';
import { decodeLiveFrame } from '../../shared/live-codec.ts';
import type { AnyEntity } from '../../shared/entities.ts';
import { LiveFanOut } from '../../server/live/fan-out.ts';
import { harness, LAT0, LON0, MIN, northOf, T0 } from './alarm-fixtures.ts';

const newTruck = (id: string): AnyEntity => ({
  id, kind: 'muckTruck', name: '鲁A·N0001', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0,
  attrs: { plate: '鲁A·N0001', company: '', permitId: '', loaded: false, lidSealed: true, violations: [] },
});

describe('a catalog that grows at run time', () => {
  it('the live state appends the entry at the next index, versioned like a change, and tells its listeners', async () => {
    const { live } = await harness();
    const size = live.size;
    const v0 = live.version;
    const seen: string[] = [];
    live.onCatalog('t', (a) => seen.push(`${a.entry.i}:${a.entry.id}@${a.version}`));
    const e = live.addEntity(newTruck('rt-jt808-1'), T0);
    expect(e).toMatchObject({ index: size, version: v0 + 1 });
    expect(live.catalog.at(-1)).toEqual({ i: size, id: 'rt-jt808-1', kind: 'muckTruck', name: '鲁A·N0001', orgCode: '370102001', gridId: 'g1' });
    expect(live.catalogVersion).toBe(v0 + 1);
    expect(seen).toEqual([`${size}:rt-jt808-1@${v0 + 1}`]);
    expect(() => live.addEntity(newTruck('rt-jt808-1'), T0)).toThrow(/duplicate/);
    expect(live.changedSince(v0).map((x) => x.id)).toEqual(['rt-jt808-1']);
  });

  it('the fan-out sends screens the new entries from what each holds, and the new row in the next delta', async () => {
    const { live } = await harness();
    const fanOut = new LiveFanOut(live, () => T0);
    const { snapshot, version } = fanOut.snapshot();
    expect(fanOut.catalogSince(snapshot.catalog.length)).toBeNull();
    live.addEntity({ ...newTruck('rt-a'), pos: { lon: LON0, lat: LAT0, ts: T0 } } as AnyEntity, T0);
    live.addEntity(newTruck('rt-b'), T0);
    // The snapshot handed out earlier is not changed under a screen's feet.
    expect(snapshot.catalog.map((c) => c.id)).not.toContain('rt-a');
    const change = fanOut.catalogSince(snapshot.catalog.length)!;
    expect(change.entries.map((c) => [c.i, c.id])).toEqual([[snapshot.catalog.length, 'rt-a'], [snapshot.catalog.length + 1, 'rt-b']]);
    expect(change).toMatchObject({ catalogId: snapshot.catalogId, version: live.version });
    expect(fanOut.catalogSince(snapshot.catalog.length + 1)!.entries.map((c) => c.id)).toEqual(['rt-b']);
    const delta = decodeLiveFrame(fanOut.deltaSince(version)!);
    expect(delta.rows.map((r) => r.i)).toEqual([snapshot.catalog.length, snapshot.catalog.length + 1]);
    expect(delta.rows[0]!.pos).toMatchObject({ lon: LON0, lat: LAT0 });
    expect(delta.rows[0]!.attrs).toMatchObject({ plate: '鲁A·N0001' });
    fanOut.unsubscribe();
  });

  it('the alarm rules judge an entity added at run time like a pack one: raise, release, and time-based rules in the sweep', async () => {
    const h = await harness();
    const e = h.live.addEntity(newTruck('rt-jt808-9'), T0);
    h.report(e.id, { attrs: { sos: true }, pos: { ...northOf(0), ts: T0, speed: 0 } }, T0);
    expect(h.activeTypes(e.id)).toEqual(['driverSos']);
    h.report(e.id, { attrs: { sos: false }, pos: { ...northOf(0), ts: T0 + MIN, speed: 0 } }, T0 + MIN);
    await h.tick(T0 + 5 * MIN);
    // Released and cleared after the hold: the engine knows its bit at an index past the start's catalog.
    expect(h.activeTypes(e.id)).toEqual([]);
    // Its lid open while moving: a muck-truck rule with per-index state.
    h.report(e.id, { attrs: { lidSealed: false }, pos: { ...northOf(0), ts: T0 + 6 * MIN, speed: 40 } }, T0 + 6 * MIN);
    expect(h.activeTypes(e.id)).toContain('muckLidOpen');
    // And it goes offline in the sweep like any tracker (it is judged: its slot exists).
    h.live.sweepConnectivity(T0 + 20 * MIN);
    expect(h.activeTypes(e.id)).toContain('deviceOffline');
  });
});
