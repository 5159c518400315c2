import { describe, expect, it, vi } from 'vitest';
import type { GeoJSONSourceDiff } from 'maplibre-gl';
import { addEntityLayer } from '../../client/map/layers/entity-layer.ts';
import { staffLayer } from '../../client/map/layers/staff.ts';
import type { GLMap } from '../../client/map/engine.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import type { CatalogEntry } from '../../shared/live-events.ts';

/**
 * What the staff layer sends the map's GeoJSON source: a recording stand-in for the source (the
 * real one is maplibre's, exercised by the wall's browser tests); the expected diffs are written
 * out by hand from the buffer each step sets up.
 */
/** `failDiffs`: how many `updateData` calls, from the first, the source refuses. */
function recordingMap(failDiffs = 0) {
  const calls: { op: 'setData' | 'updateData'; arg: unknown }[] = [];
  const source = {
    setData: (arg: unknown) => { calls.push({ op: 'setData', arg: structuredClone(arg) }); return Promise.resolve(); },
    updateData: (arg: GeoJSONSourceDiff) => {
      calls.push({ op: 'updateData', arg: structuredClone(arg) });
      return failDiffs-- > 0 ? Promise.reject(new Error('not updateable')) : Promise.resolve();
    },
  };
  const map = {
    addSource: () => undefined,
    addLayer: () => undefined,
    getLayer: () => undefined,
    getSource: () => source,
    setLayoutProperty: () => undefined,
    setPaintProperty: () => undefined,
  } as unknown as GLMap;
  return { map, calls };
}

const entry = (i: number): CatalogEntry => ({ i, id: `s${i}`, kind: 'staff', name: `S${i}`, orgCode: 'x', gridId: 'g' }) as CatalogEntry;

/** Four staff: 0–2 placed on duty and online; 3 without a position. */
function buffer(): EntityBuffer {
  const buf = new EntityBuffer();
  buf.reset('c1', [entry(0), entry(1), entry(2), entry(3)]);
  const placed: [number, number][] = [[117, 36.6], [117.01, 36.61], [117.02, 36.62]];
  for (const [i, [lon, lat]] of placed.entries()) {
    buf.hasPos[i] = 1;
    buf.lon[i] = lon;
    buf.lat[i] = lat;
    buf.statusCode[i] = 0; // onDuty
    buf.connectivity[i] = 0; // online
  }
  return buf;
}

const feature = (i: number, x: number, y: number, st = 'onDuty', cn = 0, hd = 0) => ({
  type: 'Feature', id: i, geometry: { type: 'Point', coordinates: [x, y] }, properties: { i, st, cn, hd },
});

describe('entity layer: what a tick sends the map', () => {
  it('adds every placed feature once, then sends only what changed, and nothing when nothing did', async () => {
    const { map, calls } = recordingMap();
    const buf = buffer();
    const layer = addEntityLayer(map, staffLayer, 1, undefined, undefined, true);
    layer.update(buf, 0);
    expect(calls).toEqual([{ op: 'updateData', arg: { add: [feature(0, 117, 36.6), feature(1, 117.01, 36.61), feature(2, 117.02, 36.62)], update: [], remove: [] } }]);
    expect(layer.count()).toBe(3);

    layer.update(buf, 0);
    expect(calls).toHaveLength(1);

    buf.lat[1] = 36.615; // moved
    buf.statusCode[2] = 2; // sos
    buf.heading[2] = 90;
    layer.update(buf, 0);
    expect(calls[1]).toEqual({
      op: 'updateData',
      arg: {
        add: [],
        update: [
          { id: 1, newGeometry: { type: 'Point', coordinates: [117.01, 36.615] } },
          { id: 2, addOrUpdateProperties: [{ key: 'st', value: 'sos' }, { key: 'hd', value: 90 }] },
        ],
        remove: [],
      },
    });

    buf.hasPos[0] = 0;
    buf.hasPos[3] = 1;
    buf.lon[3] = 117.03;
    buf.lat[3] = 36.63;
    buf.connectivity[3] = 1; // stale
    layer.update(buf, 0);
    expect(calls[2]).toEqual({ op: 'updateData', arg: { add: [feature(3, 117.03, 36.63, 'onDuty', 1)], update: [], remove: [0] } });
    expect(layer.count()).toBe(3);
    expect(layer.shown()).toBe(3);
    await Promise.resolve();
  });

  it('thinning takes the features it no longer shows off the map, and keeps alarms', () => {
    const { map, calls } = recordingMap();
    const buf = buffer();
    buf.statusCode[1] = 2; // sos: always shown
    const layer = addEntityLayer(map, { ...staffLayer, alwaysShown: ['sos'] }, 1, undefined, undefined, true);
    layer.update(buf, 0);
    layer.update(buf, 0, 3); // one in three by catalog index: 0, plus the sos 1
    expect(calls[1]).toEqual({ op: 'updateData', arg: { add: [], update: [], remove: [2] } });
    expect(layer.count()).toBe(2);
    expect(layer.shown()).toBe(3); // the legend still counts all three
    // What a full drawing of a box shows counts the thinned-out 2 too: boxes around 0, around all three, around 2 alone.
    expect(layer.countWithin(buf, 0, 116.99, 36.59, 117.025, 36.605)).toBe(1);
    expect(layer.countWithin(buf, 0, 116.99, 36.59, 117.025, 36.625)).toBe(3);
    expect(layer.countWithin(buf, 0, 117.015, 36.615, 117.025, 36.625)).toBe(1);
  });

  it('hands the whole kind to a map that takes no diffs (mapbox-gl), on every update', () => {
    const { map, calls } = recordingMap();
    const buf = buffer();
    const layer = addEntityLayer(map, staffLayer, 1, undefined, undefined, false);
    layer.update(buf, 0);
    buf.lat[0] = 36.605;
    layer.update(buf, 0);
    expect(calls.map((c) => c.op)).toEqual(['setData', 'setData']);
    expect(calls[1]!.arg).toEqual({ type: 'FeatureCollection', features: [feature(0, 117, 36.605), feature(1, 117.01, 36.61), feature(2, 117.02, 36.62)] });
  });

  it('after a diff the map refused, resends the whole kind once, then diffs again', async () => {
    const { map, calls } = recordingMap(1);
    const buf = buffer();
    const layer = addEntityLayer(map, staffLayer, 1, undefined, undefined, true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      layer.update(buf, 0);
      await new Promise((ok) => setTimeout(ok, 0)); // the rejection lands
      buf.lat[2] = 36.625;
      layer.update(buf, 0);
      buf.lat[2] = 36.63;
      layer.update(buf, 0);
      await new Promise((ok) => setTimeout(ok, 0)); // the accepted diff settles: no second warning
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain('live-staff: a feature diff failed');
    } finally {
      warn.mockRestore();
    }
    expect(calls.map((c) => c.op)).toEqual(['updateData', 'setData', 'updateData']);
    expect(calls[1]!.arg).toEqual({ type: 'FeatureCollection', features: [feature(0, 117, 36.6), feature(1, 117.01, 36.61), feature(2, 117.02, 36.625)] });
  });
});
