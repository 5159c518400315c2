import { describe, expect, it } from 'vitest';
import type { FeatureCollection, LineStringGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { nearestRoad, segmentDistanceM, streetAt } from '../../client/report/location.ts';

const square = (w: number, s: number, e: number, n: number): PolygonGeometry => ({ type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] });
const STREETS: FeatureCollection<PolygonGeometry, { name: string }> = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', geometry: square(117.0, 36.6, 117.1, 36.7), properties: { name: '甲街道' } },
    { type: 'Feature', geometry: square(117.1, 36.6, 117.2, 36.7), properties: { name: '乙街道' } },
  ],
};
const line = (name: string, coords: [number, number][]) => ({ type: 'Feature' as const, geometry: { type: 'LineString' as const, coordinates: coords }, properties: { name } });
const ROADS: FeatureCollection<LineStringGeometry, { name: string }> = {
  type: 'FeatureCollection',
  features: [line('经十路', [[117.0, 36.65], [117.2, 36.65]]), line('', [[117.05, 36.6501], [117.06, 36.6501]]), line('解放路', [[117.05, 36.6], [117.05, 36.7]])],
};

describe('where the pin is, in words', () => {
  it('names the street office area the pin is in, none outside', () => {
    expect(streetAt(117.05, 36.65, STREETS)?.name).toBe('甲街道');
    expect(streetAt(117.15, 36.65, STREETS)?.name).toBe('乙街道');
    expect(streetAt(116.9, 36.65, STREETS)).toBeNull();
  });
  it('measures metres to a segment: 0.001° of latitude is about 110.6 m', () => {
    expect(segmentDistanceM([117.1, 36.651], [117.0, 36.65], [117.2, 36.65])).toBeCloseTo(110.574, 1);
    // beyond the end of the segment: distance to the end point
    expect(segmentDistanceM([117.0, 36.651], [117.01, 36.65], [117.02, 36.65])).toBeGreaterThan(110.574);
  });
  it('the nearest named road within 150 m; an unnamed road never wins', () => {
    // 0.0005° north of 经十路 ≈ 55 m; 解放路 at lon 117.05 is 0.003° east ≈ 268 m away.
    const r = nearestRoad(117.053, 36.6505, ROADS);
    expect(r?.name).toBe('经十路');
    expect(r!.distanceM).toBeCloseTo(55.3, 0);
    // Right next to 解放路, but far from 经十路
    expect(nearestRoad(117.0501, 36.68, ROADS)?.name).toBe('解放路');
    expect(nearestRoad(117.15, 36.69, ROADS)).toBeNull();
  });
});
