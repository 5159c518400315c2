/**
 * The wall's style for the configured basemap. Offline: the district pack's own style. A raster
 * provider (Tianditu, a GCJ-02 provider): its tiles, darkened to the wall's night palette, under
 * the district's own boundary, street lines and labels. With a GCJ-02 basemap every overlay
 * coordinate is shifted into GCJ-02 first, so the district sits on the provider's streets.
 */
import type { LayerSpecification, RasterSourceSpecification, StyleSpecification } from 'maplibre-gl';
import { mapCoordinates, toDisplayFor, type ClientBasemap } from '../../shared/basemap.ts';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { Locale } from '../i18n/useI18n.ts';
import { buildOfflineStyle } from './offline-style.ts';

/** The offline style's own land, water and road drawing: the provider's tiles take their place. */
const REPLACED_BY_TILES = new Set(['background', 'boundary-fill', 'street-fill', 'park-fill', 'water-fill', 'water-line', 'road-casing', 'road-line', 'road-labels', 'landmark-dot', 'landmark-labels']);

/**
 * Light provider tiles inverted and turned back to their hues (brightness min > max inverts,
 * hue-rotate 180° restores blue water and green parks): a dark map that matches the panels.
 */
const NIGHT_RASTER = { 'raster-brightness-min': 0.92, 'raster-brightness-max': 0.08, 'raster-hue-rotate': 180, 'raster-saturation': -0.35, 'raster-contrast': 0.08, 'raster-fade-duration': 0 } as const;

/** The district geometry in the basemap's CRS (a copy; WGS-84 returns it as it is). */
export function districtForBasemap(d: DistrictGeometry, basemap: ClientBasemap): DistrictGeometry {
  if (basemap.crs === 'WGS84') return d;
  const f = toDisplayFor(basemap.crs);
  const [w, s, e, n] = d.meta.bbox;
  const [w2, s2] = f(w, s, [0, 0]);
  const [e2, n2] = f(e, n, [0, 0]);
  return {
    ...mapCoordinates({ boundary: d.boundary, streets: d.streets, communities: d.communities, grids: d.grids, roads: d.roads, water: d.water, parks: d.parks, landmarks: d.landmarks }, f),
    meta: { ...d.meta, bbox: [w2, s2, e2, n2] },
  };
}

/** `d` already in the basemap's CRS (districtForBasemap). */
export function buildWallStyle(d: DistrictGeometry, locale: Locale, s: number, basemap: ClientBasemap): StyleSpecification {
  const offline = buildOfflineStyle(d, locale, s);
  if (!basemap.tiles?.length) return offline;
  const raster = (tiles: string[]): RasterSourceSpecification => ({
    type: 'raster', tiles, tileSize: 256, maxzoom: 18,
    ...(basemap.scheme ? { scheme: basemap.scheme } : {}),
    ...(basemap.attribution ? { attribution: basemap.attribution } : {}),
  });
  const layers: LayerSpecification[] = [
    { id: 'background', type: 'background', paint: { 'background-color': '#020915' } },
    { id: 'basemap-tiles', type: 'raster', source: 'basemap-tiles', paint: { ...NIGHT_RASTER } },
  ];
  const sources: StyleSpecification['sources'] = { ...offline.sources, 'basemap-tiles': raster(basemap.tiles) };
  if (basemap.labelTiles?.length) {
    sources['basemap-labels'] = raster(basemap.labelTiles);
    layers.push({ id: 'basemap-labels', type: 'raster', source: 'basemap-labels', paint: { ...NIGHT_RASTER, 'raster-saturation': 0 } });
  }
  // The district's areas stay readable as a light tint over the tiles.
  layers.push({ id: 'street-tint', type: 'fill', source: 'streets', paint: { 'fill-color': '#0a2a52', 'fill-opacity': 0.25 } });
  layers.push(...offline.layers.filter((l) => !REPLACED_BY_TILES.has(l.id)));
  return { ...offline, name: `cityops-${basemap.kind}`, sources, layers };
}
