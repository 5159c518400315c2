/**
 * The shift of overlays onto a GCJ-02 basemap, checked against coordinate pairs published
 * with widely used converters, and the basemap settings turned into what the client draws.
 */
import { describe, expect, it } from 'vitest';
import { gcj02ToDisplay, identityToDisplay, mapCoordinates, toDisplayFor } from '../../shared/basemap.ts';
import { gcj02ToWgs84, wgs84ToGcj02 } from '../../shared/geo.ts';
import { basemapOrigins, clientBasemap } from '../../server/district/basemap.ts';
import { loadConfig } from '../../server/config.ts';

describe('WGS-84 → GCJ-02', () => {
  it('matches the pairs published with wandergis/coordtransform (Beijing, 116.404, 39.915)', () => {
    // README of github.com/wandergis/coordtransform: wgs84togcj02(116.404, 39.915) → [116.41024449916938, 39.91640428150164]
    const [lon, lat] = wgs84ToGcj02(116.404, 39.915);
    expect(lon).toBeCloseTo(116.41024449916938, 9);
    expect(lat).toBeCloseTo(39.91640428150164, 9);
    // … and gcj02towgs84(116.404, 39.915) → [116.39775550083061, 39.91359571849836] (its one-step inverse; ours iterates, so within 1e-5°)
    const [wLon, wLat] = gcj02ToWgs84(116.404, 39.915);
    expect(wLon).toBeCloseTo(116.39775550083061, 4);
    expect(wLat).toBeCloseTo(39.91359571849836, 4);
  });

  it('matches the Shanghai, Shenzhen and Beijing pairs of googollee/eviltransform\'s tests', () => {
    // [wgsLat, wgsLng, gcjLat, gcjLng], as published with eviltransform
    const pairs = [
      [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
      [22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
      [39.911954, 116.377817, 39.91334545536069, 116.38404722455657],
    ] as const;
    for (const [wLat, wLng, gLat, gLng] of pairs) {
      const g = gcj02ToDisplay(wLng, wLat, [0, 0]);
      expect(g[0]).toBeCloseTo(gLng, 6);
      expect(g[1]).toBeCloseTo(gLat, 6);
    }
  });

  it('round-trips a point in Lixia (泉城广场) to well under a metre', () => {
    const g = gcj02ToDisplay(117.0199, 36.6617, [0, 0]);
    expect(Math.abs(g[0] - 117.0199) + Math.abs(g[1] - 36.6617)).toBeGreaterThan(0.003); // hundreds of metres: a shift worth making
    const back = gcj02ToWgs84(g[0], g[1]);
    expect(back[0]).toBeCloseTo(117.0199, 7);
    expect(back[1]).toBeCloseTo(36.6617, 7);
  });

  it('leaves points outside China alone, and WGS-84 basemaps unshifted', () => {
    expect(gcj02ToDisplay(2.3522, 48.8566, [0, 0])).toEqual([2.3522, 48.8566]);
    expect(toDisplayFor('WGS84')).toBe(identityToDisplay);
    expect(identityToDisplay(117, 36.6, [0, 0])).toEqual([117, 36.6]);
  });

  it('shifts every position of a geometry and no property', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: 'x', coordinates: [1, 2] }, geometry: { type: 'LineString', coordinates: [[117, 36.6], [117.1, 36.7]] } },
        { type: 'Feature', properties: {}, geometry: { type: 'MultiPolygon', coordinates: [[[[117, 36.6], [117.1, 36.6], [117, 36.7], [117, 36.6]]]] } },
      ],
    };
    const moved = mapCoordinates(fc, gcj02ToDisplay);
    expect(moved.features[0]!.geometry.coordinates[1]).toEqual(wgs84ToGcj02(117.1, 36.7));
    expect((moved.features[1]!.geometry.coordinates as unknown as number[][][][])[0]![0]![2]).toEqual(wgs84ToGcj02(117, 36.7));
    expect(moved.features[0]!.properties).toEqual({ name: 'x', coordinates: [1, 2] });
    expect(fc.features[0]!.geometry.coordinates[0]).toEqual([117, 36.6]); // the input is untouched
  });
});

describe('basemap settings → what the client draws', () => {
  it('offline by default; a Mapbox token alone still means Mapbox', () => {
    expect(clientBasemap(loadConfig({}).map)).toEqual({ kind: 'offline', crs: 'WGS84' });
    expect(clientBasemap(loadConfig({ MAPBOX_ACCESS_TOKEN: 'pk.abc' }).map)).toEqual({ kind: 'mapbox', crs: 'WGS84' });
    expect(clientBasemap(loadConfig({ MAP_BASEMAP: 'offline', MAPBOX_ACCESS_TOKEN: 'pk.abc' }).map).kind).toBe('offline');
  });

  it('Tianditu: vec_w and cva_w on t0–t7 with the key, in WGS-84 (CGCS2000)', () => {
    const b = clientBasemap(loadConfig({ MAP_BASEMAP: 'tianditu', TIANDITU_KEY: 'abcdef0123456789' }).map);
    expect(b.crs).toBe('WGS84');
    expect(b.tiles).toHaveLength(8);
    expect(b.tiles![0]).toBe('https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abcdef0123456789');
    expect(b.labelTiles![7]).toBe('https://t7.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abcdef0123456789');
    expect(basemapOrigins(loadConfig({ MAP_BASEMAP: 'tianditu', TIANDITU_KEY: 'abcdef0123456789' }).map)).toHaveLength(8);
  });

  it('GCJ-02: the provider template per server, overlays to shift, {-y} as TMS', () => {
    const amap = clientBasemap(loadConfig({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}' }).map);
    expect(amap).toMatchObject({ kind: 'gcj02', crs: 'GCJ02', attribution: 'GCJ-02 · webrd00.is.autonavi.com' });
    expect(amap.tiles).toEqual([1, 2, 3, 4].map((n) => `https://webrd0${n}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}`));
    const tencent = clientBasemap(loadConfig({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'http://127.0.0.1:9/{z}/{x}/{-y}.png' }).map);
    expect(tencent).toMatchObject({ scheme: 'tms', tiles: ['http://127.0.0.1:9/{z}/{x}/{y}.png'] });
    expect(basemapOrigins(loadConfig({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'http://127.0.0.1:9/{z}/{x}/{-y}.png' }).map)).toEqual(['http://127.0.0.1:9']);
  });
});
