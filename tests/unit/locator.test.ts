import { describe, expect, it } from 'vitest';
import { DistrictLocator, PolygonIndex, distanceToPolylineM } from '../../server/district/locator.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';

describe('distanceToPolylineM', () => {
  it('measures the perpendicular distance to a segment and the distance to an end beyond it', () => {
    // 0.001° of latitude is 111.195 m (mean Earth radius 6,371,008.8 m).
    expect(distanceToPolylineM(117.05, 36.651, [[117.0, 36.65], [117.1, 36.65]])).toBeCloseTo(111.195, 2);
    // Beyond the east end by 0.001° of longitude at 36.65°N: 111.195 × cos(36.65°) = 89.20 m.
    expect(distanceToPolylineM(117.101, 36.65, [[117.0, 36.65], [117.1, 36.65]])).toBeCloseTo(89.2, 1);
    expect(distanceToPolylineM(117.05, 36.65, [])).toBe(Infinity);
  });
});

describe('PolygonIndex', () => {
  const square = { type: 'Polygon' as const, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]] as [number, number][]] };
  const holed = { type: 'Polygon' as const, coordinates: [[[2, 0], [4, 0], [4, 2], [2, 2], [2, 0]], [[2.5, 0.5], [3.5, 0.5], [3.5, 1.5], [2.5, 1.5], [2.5, 0.5]]] as [number, number][][] };
  const ix = new PolygonIndex([{ id: 'a', geometry: square }, { id: 'b', geometry: holed }], 0.3);
  it('finds the polygon containing a point, respecting holes', () => {
    expect(ix.find(0.5, 0.5)).toBe('a');
    expect(ix.find(2.2, 1.9)).toBe('b');
    expect(ix.find(3, 1)).toBeNull(); // in the hole
    expect(ix.find(5, 5)).toBeNull();
    expect(ix.find(Number.NaN, 0)).toBeNull();
  });
});

describe('DistrictLocator on the Lixia pack', () => {
  it('puts every toilet in the street and grid the pack assigns it', async () => {
    const pack = await loadDistrictPack('data/lixia');
    const locator = new DistrictLocator(pack);
    let sameGrid = 0;
    for (const t of pack.toilets) {
      const place = locator.locate(t.lon, t.lat);
      expect(place?.streetCode).toBe(t.streetCode);
      if (place?.gridId === t.gridId) sameGrid++;
    }
    expect(sameGrid).toBe(pack.toilets.length);
    expect(locator.locate(116.9, 36.65)).toBeNull(); // west of the district
    expect(locator.inDistrict(pack.meta.center[0], pack.meta.center[1])).toBe(true);
  });
});
