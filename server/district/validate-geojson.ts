/** Structural checks for the GeoJSON subset the district pack uses (RFC 7946, WGS-84). */
import type { Feature, FeatureCollection, Geometry, LonLat } from '../../shared/geojson.ts';
import { DistrictPackError, itemLabel } from './pack-error.ts';

export type Bbox = [number, number, number, number];
/** Coordinates may stray this far (degrees, ≈ 500 m) outside meta.bbox: grid cells and road ends overhang the boundary. */
export const BBOX_TOLERANCE_DEG = 0.005;

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a [lon, lat] position inside the bbox (plus tolerance). */
export function checkPosition(value: unknown, bbox: Bbox, fail: (problem: string) => never, what = 'coordinate'): LonLat {
  if (!Array.isArray(value) || value.length < 2) return fail(`${what} is not a [lon, lat] pair: ${JSON.stringify(value)}`);
  const [lon, lat] = value as unknown[];
  if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat)) {
    return fail(`${what} is not a pair of finite numbers: ${JSON.stringify(value)}`);
  }
  const t = BBOX_TOLERANCE_DEG;
  if (lon < bbox[0] - t || lon > bbox[2] + t || lat < bbox[1] - t || lat > bbox[3] + t) {
    return fail(`${what} [${lon}, ${lat}] is outside the pack bbox [${bbox.join(', ')}] (is it lat/lon swapped or not WGS-84?)`);
  }
  return [lon, lat];
}

function checkRing(value: unknown, bbox: Bbox, fail: (p: string) => never): void {
  if (!Array.isArray(value) || value.length < 4) return fail('polygon ring needs at least 4 positions');
  value.forEach((p) => checkPosition(p, bbox, fail));
  const first = value[0] as LonLat;
  const last = value[value.length - 1] as LonLat;
  if (first[0] !== last[0] || first[1] !== last[1]) fail('polygon ring not closed (first and last positions differ)');
}

function checkPolygon(value: unknown, bbox: Bbox, fail: (p: string) => never): void {
  if (!Array.isArray(value) || value.length === 0) return fail('polygon has no rings');
  for (const ring of value) checkRing(ring, bbox, fail);
}

function checkGeometry(g: unknown, allowed: readonly Geometry['type'][], bbox: Bbox, fail: (p: string) => never): void {
  if (!isObject(g)) return fail('geometry missing');
  const type = g.type as Geometry['type'];
  if (!allowed.includes(type)) return fail(`geometry type ${JSON.stringify(g.type)} not allowed here (expected ${allowed.join(' or ')})`);
  const c = g.coordinates;
  switch (type) {
    case 'Point': checkPosition(c, bbox, fail); break;
    case 'LineString':
      if (!Array.isArray(c) || c.length < 2) fail('line string needs at least 2 positions');
      (c as unknown[]).forEach((p) => checkPosition(p, bbox, fail));
      break;
    case 'Polygon': checkPolygon(c, bbox, fail); break;
    case 'MultiPolygon':
      if (!Array.isArray(c) || c.length === 0) fail('multipolygon has no polygons');
      for (const poly of c as unknown[]) checkPolygon(poly, bbox, fail);
      break;
  }
}

export interface CollectionSpec {
  file: string;
  bbox: Bbox;
  geometry: readonly Geometry['type'][];
  /** Property used to name a feature in messages (`code`, `id`, `name`). */
  idKey: string;
  /** Checks properties; call fail(problem) to reject. */
  properties: (props: Json, fail: (problem: string) => never) => void;
}

export function checkCollection<G extends Geometry, P>(value: unknown, spec: CollectionSpec): FeatureCollection<G, P> {
  const { file } = spec;
  if (!isObject(value) || value.type !== 'FeatureCollection' || !Array.isArray(value.features)) {
    throw new DistrictPackError(file, 'not a GeoJSON FeatureCollection');
  }
  (value.features as unknown[]).forEach((f, i) => {
    const props = isObject(f) && isObject(f.properties) ? f.properties : undefined;
    const label = itemLabel('feature', i, spec.idKey, props?.[spec.idKey]);
    const fail = (problem: string): never => { throw new DistrictPackError(file, problem, label); };
    if (!isObject(f) || f.type !== 'Feature') fail('not a GeoJSON Feature');
    if (!props) fail('properties missing');
    checkGeometry((f as Json).geometry, spec.geometry, spec.bbox, fail);
    spec.properties(props!, fail);
  });
  return value as unknown as FeatureCollection<G, P>;
}

/** Rejects a repeated value of `key` across features. */
export function uniqueBy<T>(features: readonly Feature<Geometry, T>[] | readonly T[], key: (item: T) => string, file: string, kind: 'feature' | 'item', keyName: string): void {
  const seen = new Map<string, number>();
  features.forEach((entry, i) => {
    const item = (kind === 'feature' ? (entry as Feature<Geometry, T>).properties : entry) as T;
    const k = key(item);
    const before = seen.get(k);
    if (before !== undefined) throw new DistrictPackError(file, `duplicate ${keyName} ${k} (also ${kind} #${before})`, itemLabel(kind, i, keyName, k));
    seen.set(k, i);
  });
}
