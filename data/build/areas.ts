/** Streets, communities and unit grids: weighted Voronoi cells clipped to the boundary. */
import type { LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { pointInPolygon, pointInRing } from '../../shared/geo.ts';
import { closeRing, multiPolygonAreaM2, polygonClipping, Rng, round, roundLonLat, toLonLat, toXY } from './util.ts';
import type { StreetSeed } from './geography.ts';

type XY = [number, number];
type MultiRings = LonLat[][][];

/** 万米单元网格 lattice: 0.0025° × 0.002° ≈ 223 m × 221 m, cells whose centre is in the district. */
export const GRID = { lon0: 117.0, lat0: 36.59, dLon: 0.0025, dLat: 0.002 };

export interface GridCell { i: number; j: number; center: LonLat; streetCode: string; communityCode: string; id: string }
export interface AreaResult {
  streets: { code: string; geometry: PolygonGeometry | MultiPolygonGeometry; areaKm2: number }[];
  communities: { code: string; streetCode: string; geometry: PolygonGeometry | MultiPolygonGeometry }[];
  grids: GridCell[];
}

/** Clip a convex polygon by the half-plane a·p ≤ b (Sutherland–Hodgman). */
function clipHalfPlane(poly: XY[], a: XY, b: number): XY[] {
  const out: XY[] = [];
  for (let k = 0; k < poly.length; k++) {
    const p = poly[k]!;
    const q = poly[(k + 1) % poly.length]!;
    const fp = a[0] * p[0] + a[1] * p[1] - b;
    const fq = a[0] * q[0] + a[1] * q[1] - b;
    if (fp <= 0) out.push(p);
    if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0)) {
      const t = fp / (fp - fq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

/** Power-diagram cell of seed i: |x−pi|² − wi ≤ |x−pj|² − wj for every j. */
function powerCell(seeds: XY[], weights: number[], i: number, frame: XY[]): XY[] {
  let poly = frame;
  const pi = seeds[i]!;
  const wi = weights[i]!;
  seeds.forEach((pj, j) => {
    if (j === i || poly.length === 0) return;
    const a: XY = [2 * (pj[0] - pi[0]), 2 * (pj[1] - pi[1])];
    const b = pj[0] ** 2 + pj[1] ** 2 - pi[0] ** 2 - pi[1] ** 2 + wi - weights[j]!;
    poly = clipHalfPlane(poly, a, b);
  });
  return poly;
}

function nearestPower(p: XY, seeds: XY[], weights: number[]): number {
  let best = 0;
  let bestD = Infinity;
  seeds.forEach((s, k) => {
    const d = (p[0] - s[0]) ** 2 + (p[1] - s[1]) ** 2 - weights[k]!;
    if (d < bestD) { bestD = d; best = k; }
  });
  return best;
}

const FRAME: XY[] = [[-20_000, -20_000], [20_000, -20_000], [20_000, 20_000], [-20_000, 20_000]];

function clipCells(clip: MultiRings, seeds: XY[], weights: number[]): MultiRings[] {
  return seeds.map((_, i) => {
    const cell = powerCell(seeds, weights, i, FRAME).map((p) => toLonLat(p));
    if (cell.length < 3) return [];
    return polygonClipping.intersection(clip, [closeRing(cell)]) as MultiRings;
  });
}

function roundedGeometry(mp: MultiRings): PolygonGeometry | MultiPolygonGeometry {
  const rounded = mp.map((poly) => poly.map((ring) => dedupe(ring.map((p) => roundLonLat(p, 6)))));
  const only = rounded[0];
  return rounded.length === 1 && only ? { type: 'Polygon', coordinates: only } : { type: 'MultiPolygon', coordinates: rounded };
}

function dedupe(ring: LonLat[]): LonLat[] {
  return ring.filter((p, k) => k === 0 || p[0] !== ring[k - 1]![0] || p[1] !== ring[k - 1]![1]);
}

function inGeometry(p: LonLat, g: PolygonGeometry | MultiPolygonGeometry): boolean {
  return g.type === 'Polygon' ? pointInPolygon(p[0], p[1], g.coordinates) : g.coordinates.some((poly) => pointInPolygon(p[0], p[1], poly));
}

/** Lloyd's k-means over grid centres: equal-ish communities, none empty. */
function kMeans(points: XY[], k: number, rng: Rng): XY[] {
  const seeds: XY[] = [];
  seeds.push(points[rng.int(0, points.length - 1)]!);
  while (seeds.length < k) {
    const d2 = points.map((p) => Math.min(...seeds.map((s) => (p[0] - s[0]) ** 2 + (p[1] - s[1]) ** 2)));
    seeds.push(points[rng.weighted(d2)]!);
  }
  for (let iter = 0; iter < 40; iter++) {
    const sums = seeds.map(() => [0, 0, 0]);
    for (const p of points) {
      const c = nearestPower(p, seeds, seeds.map(() => 0));
      const s = sums[c]!;
      s[0]! += p[0]; s[1]! += p[1]; s[2]! += 1;
    }
    sums.forEach((s, c) => { if (s[2]! > 0) seeds[c] = [s[0]! / s[2]!, s[1]! / s[2]!]; });
  }
  return seeds;
}

export function buildAreas(
  boundary: LonLat[],
  streetSeeds: StreetSeed[],
  communitiesByStreet: Map<string, string[]>,
  rng: Rng,
): AreaResult {
  const clip: MultiRings = [[closeRing(boundary)]];
  // Grid cells whose centre lies inside the boundary.
  const cells: { i: number; j: number; center: LonLat }[] = [];
  const nI = Math.ceil((117.18 - GRID.lon0) / GRID.dLon);
  const nJ = Math.ceil((36.712 - GRID.lat0) / GRID.dLat);
  for (let j = 0; j < nJ; j++) {
    for (let i = 0; i < nI; i++) {
      const center: LonLat = [round(GRID.lon0 + (i + 0.5) * GRID.dLon, 5), round(GRID.lat0 + (j + 0.5) * GRID.dLat, 5)];
      if (pointInRing(center[0], center[1], boundary)) cells.push({ i, j, center });
    }
  }
  const cellXY = cells.map((c) => toXY(c.center));
  const [a0, a1] = [toXY([GRID.lon0, GRID.lat0]), toXY([GRID.lon0 + GRID.dLon, GRID.lat0 + GRID.dLat])];
  const cellAreaM2 = (a1[0] - a0[0]) * (a1[1] - a0[1]);

  // Fit power-diagram weights so each street gets its share of the district.
  const seeds = streetSeeds.map((s) => toXY(s.seed));
  const totalTarget = streetSeeds.reduce((a, s) => a + s.targetKm2, 0);
  const districtM2 = cells.length * cellAreaM2;
  const targets = streetSeeds.map((s) => (s.targetKm2 / totalTarget) * districtM2);
  const weights = seeds.map(() => 0);
  for (let iter = 0; iter < 300; iter++) {
    const area = seeds.map(() => 0);
    for (const p of cellXY) area[nearestPower(p, seeds, weights)]! += cellAreaM2;
    seeds.forEach((_, k) => { weights[k]! += 0.6 * (targets[k]! - area[k]!); });
  }
  const streetGeoms = clipCells(clip, seeds, weights).map(roundedGeometry);
  const streets = streetSeeds.map((s, k) => {
    const geometry = streetGeoms[k]!;
    const areaKm2 = multiPolygonAreaM2(geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) / 1e6;
    return { code: s.code, geometry, areaKm2 };
  });

  const streetOf = cells.map((c, n) => {
    const hit = streets.findIndex((s) => inGeometry(c.center, s.geometry));
    return hit >= 0 ? hit : nearestPower(cellXY[n]!, seeds, weights);
  });

  const communities: AreaResult['communities'] = [];
  const grids: GridCell[] = [];
  streets.forEach((street, k) => {
    const codes = communitiesByStreet.get(street.code) ?? [];
    const members = cells.map((_, n) => n).filter((n) => streetOf[n] === k);
    if (members.length < codes.length) throw new Error(`street ${street.code}: ${members.length} grid cells for ${codes.length} communities`);
    const cSeeds = kMeans(members.map((n) => cellXY[n]!), codes.length, rng);
    const zeros = cSeeds.map(() => 0);
    const streetRings: MultiRings = street.geometry.type === 'Polygon' ? [street.geometry.coordinates] : street.geometry.coordinates;
    const geoms = clipCells(streetRings, cSeeds, zeros).map(roundedGeometry);
    codes.forEach((code, c) => communities.push({ code, streetCode: street.code, geometry: geoms[c]! }));
    const serial = new Map<string, number>();
    // Number grids north-west first, row by row, as a surveyor would.
    const ordered = [...members].sort((x, y) => cells[y]!.j - cells[x]!.j || cells[x]!.i - cells[y]!.i);
    for (const n of ordered) {
      const cell = cells[n]!;
      let c = geoms.findIndex((g) => inGeometry(cell.center, g));
      if (c < 0) c = nearestPower(cellXY[n]!, cSeeds, zeros);
      const communityCode = codes[c]!;
      const next = (serial.get(communityCode) ?? 0) + 1;
      serial.set(communityCode, next);
      grids.push({ ...cell, streetCode: street.code, communityCode, id: `${communityCode}${String(next).padStart(3, '0')}` });
    }
    for (const code of codes) if (!serial.has(code)) throw new Error(`community ${code} has no grid cell`);
  });
  return { streets, communities, grids };
}

export function gridPolygon(cell: { i: number; j: number }): LonLat[] {
  const w = round(GRID.lon0 + cell.i * GRID.dLon, 5);
  const e = round(GRID.lon0 + (cell.i + 1) * GRID.dLon, 5);
  const s = round(GRID.lat0 + cell.j * GRID.dLat, 5);
  const n = round(GRID.lat0 + (cell.j + 1) * GRID.dLat, 5);
  return [[w, s], [e, s], [e, n], [w, n], [w, s]];
}

/** Finds the grid cell containing a point (null when the point's cell is not part of the district). */
export class GridIndex {
  private readonly byKey = new Map<string, GridCell>();
  constructor(readonly cells: GridCell[]) { for (const c of cells) this.byKey.set(`${c.i},${c.j}`, c); }
  /** Moves a point lying on a cell edge 0.1 m into a cell, so that every point-in-polygon test agrees on its grid. */
  static clearOfEdges(p: LonLat): LonLat {
    const nudge = (v: number, origin: number, step: number): number => {
      const f = (v - origin) / step;
      return Math.abs(f - Math.round(f)) < 1e-3 ? round(origin + Math.round(f) * step + 0.000001, 6) : v;
    };
    return [nudge(p[0], GRID.lon0, GRID.dLon), nudge(p[1], GRID.lat0, GRID.dLat)];
  }
  at(lon: number, lat: number): GridCell | null {
    const i = Math.floor((lon - GRID.lon0) / GRID.dLon);
    const j = Math.floor((lat - GRID.lat0) / GRID.dLat);
    return this.byKey.get(`${i},${j}`) ?? null;
  }
}
