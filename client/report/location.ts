/**
 * Where the pin is, in words a citizen recognises: the street office area (街道) it falls in and
 * the nearest named road, from the basemap geometry already on the phone — no geocoding service.
 */
import type { FeatureCollection, LineStringGeometry, LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { pointInPolygon } from '../../shared/geo.ts';

/** A road further than this from the pin is not "where" the pin is. */
export const NEAREST_ROAD_MAX_M = 150;

export function streetAt(lon: number, lat: number, streets: FeatureCollection<PolygonGeometry | MultiPolygonGeometry, { name: string; nameEn?: string }>): { name: string; nameEn?: string } | null {
  for (const f of streets.features) {
    const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    if (polygons.some((rings) => pointInPolygon(lon, lat, rings))) return f.properties;
  }
  return null;
}

/** Metres from p to the segment a–b, on a local flat projection (fine at street scale). */
export function segmentDistanceM(p: LonLat, a: LonLat, b: LonLat): number {
  const kx = 111_320 * Math.cos((p[1] * Math.PI) / 180);
  const ky = 110_574;
  const ax = (a[0] - p[0]) * kx, ay = (a[1] - p[1]) * ky;
  const bx = (b[0] - p[0]) * kx, by = (b[1] - p[1]) * ky;
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
  return Math.hypot(ax + t * dx, ay + t * dy);
}

export function nearestRoad(lon: number, lat: number, roads: FeatureCollection<LineStringGeometry, { name: string }>, maxM = NEAREST_ROAD_MAX_M): { name: string; distanceM: number } | null {
  let best: { name: string; distanceM: number } | null = null;
  for (const f of roads.features) {
    if (!f.properties.name) continue;
    const c = f.geometry.coordinates;
    for (let i = 1; i < c.length; i++) {
      const d = segmentDistanceM([lon, lat], c[i - 1]!, c[i]!);
      if (d <= maxM && (!best || d < best.distanceM)) best = { name: f.properties.name, distanceM: d };
    }
  }
  return best;
}
