/**
 * Where is a point: which street (街道), community (社区) and unit grid (网格) of the district
 * contain it, and how far it is from a line (a muck truck from its permitted route, a road
 * chief from their road). Polygons are bucketed by bounding box once, so a look-up tests
 * only the few polygons whose box covers the point's cell.
 */
import type { DistrictPack } from '../../shared/district.ts';
import type { LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { pointInPolygon } from '../../shared/geo.ts';

const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;

type Rings = readonly (readonly LonLat[])[];

/** A bucketed set of polygons with an id each; `find` returns the id of the first that contains a point. */
export class PolygonIndex {
  private readonly polys: { id: string; parts: Rings[]; box: [number, number, number, number] }[] = [];
  private readonly cells = new Map<number, number[]>();

  constructor(features: readonly { id: string; geometry: PolygonGeometry | MultiPolygonGeometry }[], private readonly cellDeg = 0.005) {
    for (const f of features) {
      const parts: Rings[] = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
      let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
      for (const part of parts) for (const [lo, la] of part[0] ?? []) {
        if (lo < w) w = lo;
        if (lo > e) e = lo;
        if (la < s) s = la;
        if (la > n) n = la;
      }
      const k = this.polys.length;
      this.polys.push({ id: f.id, parts, box: [w, s, e, n] });
      for (let cy = this.cell(s); cy <= this.cell(n); cy++) {
        for (let cx = this.cell(w); cx <= this.cell(e); cx++) {
          const key = cy * 100_000 + cx;
          let list = this.cells.get(key);
          if (!list) this.cells.set(key, (list = []));
          list.push(k);
        }
      }
    }
  }

  find(lon: number, lat: number): string | null {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
    for (const k of this.cells.get(this.cell(lat) * 100_000 + this.cell(lon)) ?? []) {
      const p = this.polys[k]!;
      if (lon < p.box[0] || lon > p.box[2] || lat < p.box[1] || lat > p.box[3]) continue;
      if (p.parts.some((rings) => pointInPolygon(lon, lat, rings))) return p.id;
    }
    return null;
  }

  private cell(deg: number): number {
    return Math.floor(deg / this.cellDeg);
  }
}

export interface PlaceOfPoint {
  streetCode: string;
  communityCode: string | null;
  gridId: string | null;
}

export class DistrictLocator {
  private readonly streets: PolygonIndex;
  private readonly communities: PolygonIndex;
  private readonly grids: PolygonIndex;
  /** Each grid's rings flattened, for the distance the staff rules measure on every report. */
  private readonly gridRingsById = new Map<string, Float64Array>();
  private readonly gridParents = new Map<string, { streetCode: string; communityCode: string }>();
  private readonly boundary: PolygonIndex;
  private readonly streetRingsByCode = new Map<string, Float64Array>();

  constructor(pack: Pick<DistrictPack, 'boundary' | 'streets' | 'communities' | 'grids'>) {
    this.boundary = new PolygonIndex(pack.boundary.features.map((f, i) => ({ id: String(i), geometry: f.geometry })), 0.02);
    this.streets = new PolygonIndex(pack.streets.features.map((f) => ({ id: f.properties.code, geometry: f.geometry })), 0.01);
    this.communities = new PolygonIndex(pack.communities.features.map((f) => ({ id: f.properties.code, geometry: f.geometry })));
    this.grids = new PolygonIndex(pack.grids.features.map((f) => ({ id: f.properties.id, geometry: f.geometry })), 0.003);
    for (const f of pack.streets.features) {
      // All rings of all parts in one block: even-odd over them is the multipolygon's inside (its parts do not overlap).
      this.streetRingsByCode.set(f.properties.code, flattenRings(f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates.flat()));
    }
    for (const f of pack.grids.features) {
      this.gridRingsById.set(f.properties.id, flattenRings(f.geometry.coordinates));
      this.gridParents.set(f.properties.id, { streetCode: f.properties.streetCode, communityCode: f.properties.communityCode });
    }
  }

  inDistrict(lon: number, lat: number): boolean {
    return this.boundary.find(lon, lat) !== null;
  }

  /**
   * The street, community and grid containing the point; null outside every street of the
   * district. Grid ids nest street → community → grid, so a point in a grid takes the grid's
   * street and community (a grid cell drawn across a street line belongs to one street).
   */
  locate(lon: number, lat: number): PlaceOfPoint | null {
    const gridId = this.grids.find(lon, lat);
    const parents = gridId === null ? undefined : this.gridParents.get(gridId);
    if (parents) return { ...parents, gridId };
    const streetCode = this.streets.find(lon, lat);
    if (streetCode === null) return null;
    return { streetCode, communityCode: this.communities.find(lon, lat), gridId: null };
  }

  /** A grid's rings flattened (flattenRings), for the distance from it (distanceToFlatPolygonM); undefined for an unknown grid. */
  gridRings(gridId: string): Float64Array | undefined {
    return this.gridRingsById.get(gridId);
  }

  /** A street's rings flattened (all parts), for distanceToFlatPolygonM; undefined for an unknown street. */
  streetRings(streetCode: string): Float64Array | undefined {
    return this.streetRingsByCode.get(streetCode);
  }
}

/**
 * A polygon's rings in one array: [ring count, end of each ring…, lon, lat, lon, lat…]. One
 * contiguous block rather than an array per vertex: the look-up runs on every staff report
 * and was bound by walking those arrays (tests/bench/lib/ingest-replay.ts).
 */
export function flattenRings(rings: Rings): Float64Array {
  let size = 1 + rings.length;
  for (const r of rings) size += r.length * 2;
  const out = new Float64Array(size);
  out[0] = rings.length;
  let k = 1 + rings.length;
  rings.forEach((ring, i) => {
    for (const p of ring) {
      out[k++] = p[0];
      out[k++] = p[1];
    }
    out[1 + i] = k;
  });
  return out;
}

/**
 * Metres from a point to a flattened polygon (0 inside), in one pass: even-odd ray casting
 * over every ring (a point in a hole crosses twice, so it is outside) and the nearest edge,
 * on the same local plane as distanceToPolylineM. Each ring is taken as closed.
 */
export function distanceToFlatPolygonM(lon: number, lat: number, f: Float64Array): number {
  const kx = M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
  const ky = M_PER_DEG_LAT;
  const n = f[0]!;
  let inside = false;
  let best2 = Infinity;
  let start = 1 + n;
  for (let r = 0; r < n; r++) {
    const end = f[1 + r]!;
    if (end - start < 2) {
      start = end;
      continue;
    }
    let xj = f[end - 2]!, yj = f[end - 1]!;
    for (let i = start; i < end; i += 2) {
      const xi = f[i]!, yi = f[i + 1]!;
      if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      // The segment j→i on the plane around the point, and its closest point to the origin.
      const ax = (xj - lon) * kx, ay = (yj - lat) * ky;
      const dx = (xi - xj) * kx, dy = (yi - yj) * ky;
      const len2 = dx * dx + dy * dy;
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
      const cx = ax + t * dx, cy = ay + t * dy;
      const d2 = cx * cx + cy * cy;
      if (d2 < best2) best2 = d2;
      xj = xi;
      yj = yi;
    }
    start = end;
  }
  return inside ? 0 : Math.sqrt(best2);
}

/**
 * Distance from a point to a polyline, metres, on a local equirectangular plane around the
 * point (accurate to well under 1 % over a district).
 */
export function distanceToPolylineM(lon: number, lat: number, line: readonly LonLat[]): number {
  if (line.length === 0) return Infinity;
  const kx = M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
  const ky = M_PER_DEG_LAT;
  const first = line[0]!;
  let ax = (first[0] - lon) * kx, ay = (first[1] - lat) * ky;
  // Squared distances until the end: one square root per call, not per segment.
  let best2 = ax * ax + ay * ay;
  for (let i = 1; i < line.length; i++) {
    const p = line[i]!;
    const bx = (p[0] - lon) * kx, by = (p[1] - lat) * ky;
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    // The closest point of segment a→b to the origin (the point itself).
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
    const cx = ax + t * dx, cy = ay + t * dy;
    const d2 = cx * cx + cy * cy;
    if (d2 < best2) best2 = d2;
    ax = bx;
    ay = by;
  }
  return Math.sqrt(best2);
}
