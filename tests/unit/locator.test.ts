import { describe, expect, it } from 'vitest';
import { DistrictLocator, PolygonIndex, distanceToFlatPolygonM, distanceToPolylineM, flattenRings } from '../../server/district/locator.ts';
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

describe('distanceToFlatPolygonM', () => {
  // A 0.01° square at 36.65°N with a 0.004° square hole in its middle.
  const outer: [number, number][] = [[117.0, 36.65], [117.01, 36.65], [117.01, 36.66], [117.0, 36.66], [117.0, 36.65]];
  const hole: [number, number][] = [[117.003, 36.653], [117.007, 36.653], [117.007, 36.657], [117.003, 36.657], [117.003, 36.653]];
  const f = flattenRings([outer, hole]);
  it('is 0 inside, the distance to the nearest edge outside or in a hole', () => {
    expect(distanceToFlatPolygonM(117.001, 36.651, f)).toBe(0);
    // 0.001° north of the north edge: 111.195 m.
    expect(distanceToFlatPolygonM(117.005, 36.661, f)).toBeCloseTo(111.195, 2);
    // 0.001° east of the east edge at 36.655°N: 111.195 × cos(36.655°) = 89.19 m.
    expect(distanceToFlatPolygonM(117.011, 36.655, f)).toBeCloseTo(89.19, 1);
    // In the middle of the hole: 0.002° of latitude (222.39 m) from its north and south edges, 0.002° of longitude (178.4 m) from its sides.
    expect(distanceToFlatPolygonM(117.005, 36.655, f)).toBeCloseTo(178.4, 0);
  });
  it('takes a ring given without its closing point as closed', () => {
    const open = flattenRings([outer.slice(0, 4)]);
    // West of the west edge, which only the closing segment (117.0, 36.66) → (117.0, 36.65) forms.
    expect(distanceToFlatPolygonM(116.999, 36.655, open)).toBeCloseTo(89.19, 1);
    expect(distanceToFlatPolygonM(117.001, 36.655, open)).toBe(0);
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
