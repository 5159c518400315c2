/**
 * Basemaps chosen by configuration (`MAP_BASEMAP`), never by code. Every basemap declares the
 * CRS its tiles are drawn in: the system keeps WGS-84 everywhere, and the wall shifts its
 * overlays (district geometry, live markers, cases) into the basemap's CRS when it differs.
 */
import { wgs84ToGcj02, type Crs } from './geo.ts';
import type { LonLat } from './geojson.ts';

export const BASEMAP_KINDS = ['offline', 'tianditu', 'gcj02', 'mapbox'] as const;
export type BasemapKind = (typeof BASEMAP_KINDS)[number];
/** CRS a basemap's tiles are drawn in; Tianditu's CGCS2000 differs from WGS-84 by centimetres. */
export type BasemapCrs = Extract<Crs, 'WGS84' | 'GCJ02'>;

/** What the client needs to draw a basemap (GET /api/config). */
export interface ClientBasemap {
  kind: BasemapKind;
  crs: BasemapCrs;
  /** Raster tile URLs ({z}/{x}/{y}), one per server of the provider, for the base layer. */
  tiles?: string[];
  /** Raster tile URLs of a label layer drawn over the base (Tianditu's cva). */
  labelTiles?: string[];
  /** `tms` when the provider counts tile rows from the south (a `{-y}` template, e.g. Tencent). */
  scheme?: 'xyz' | 'tms';
  /** Provider credit shown on the wall. */
  attribution?: string;
}

/** Converts a WGS-84 point into a basemap's CRS, writing into `out` (the live renderer reuses arrays). */
export type ToDisplay = (lon: number, lat: number, out: [number, number]) => [number, number];

export const identityToDisplay: ToDisplay = (lon, lat, out) => {
  out[0] = lon;
  out[1] = lat;
  return out;
};

export const gcj02ToDisplay: ToDisplay = (lon, lat, out) => {
  const [x, y] = wgs84ToGcj02(lon, lat);
  out[0] = x;
  out[1] = y;
  return out;
};

export function toDisplayFor(crs: BasemapCrs): ToDisplay {
  return crs === 'GCJ02' ? gcj02ToDisplay : identityToDisplay;
}

/** Every position of a GeoJSON geometry (or collection) moved by `f`; a new object, the input untouched. */
export function mapCoordinates<T>(geojson: T, f: ToDisplay): T {
  const move = (c: unknown): unknown => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') return f(c[0], c[1], [0, 0]) as LonLat;
    if (Array.isArray(c)) return c.map(move);
    return c;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = k === 'coordinates' ? move(x) : k === 'properties' ? x : walk(x);
    return out;
  };
  return walk(geojson) as T;
}
