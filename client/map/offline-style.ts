/**
 * The offline basemap: the district pack's own geometry as a GL style with local GeoJSON
 * sources. No `glyphs` (maplibre-gl ≥ 5.11 then draws labels with the page's fonts, here the
 * bundled Noto Sans SC) and no sprite (icons come from map.addImage): nothing leaves the machine.
 */
import type { ExpressionSpecification, GeoJSONSourceSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { Feature, FeatureCollection, LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import type { Locale } from '../i18n/useI18n.ts';

export const LABEL_FONT = ['Noto Sans SC'];
export const LABEL_FONT_FAMILY = "'Noto Sans SC', 'Noto Sans CJK SC', sans-serif";
/** Layers whose text follows the UI language. */
export const LOCALIZED_LABEL_LAYERS = ['street-labels', 'landmark-labels'] as const;

const STREET_TONES = ['#0a2242', '#0c284c', '#0a2547', '#0d2b52'];

export function labelField(locale: Locale): ExpressionSpecification {
  return locale === 'en' ? ['coalesce', ['get', 'nameEn'], ['get', 'name']] : ['get', 'name'];
}

/** `s` is the wall's UI scale (1 at 1920×1080): line widths and label sizes follow the panels. */
export function buildOfflineStyle(d: DistrictGeometry, locale: Locale, s: number): StyleSpecification {
  const streets = {
    ...d.streets,
    features: d.streets.features.map((f, k) => ({ ...f, properties: { ...f.properties, tone: k % STREET_TONES.length } })),
  };
  const streetLabels: FeatureCollection = {
    type: 'FeatureCollection',
    features: d.streets.features.map((f) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: labelPoint(f) },
      properties: { name: f.properties.name, nameEn: f.properties.nameEn },
    })),
  };
  const z = (a: number, b: number): ExpressionSpecification => ['interpolate', ['linear'], ['zoom'], 11, a * s, 16, b * s];
  const roadWidth: ExpressionSpecification = ['match', ['get', 'class'], 'trunk', 3.2 * s, 'primary', 2.4 * s, 'secondary', 1.6 * s, 'tertiary', 1.1 * s, 0.7 * s];
  const roadColor: ExpressionSpecification = ['match', ['get', 'class'], 'trunk', '#3fd0ff', 'primary', '#2fa8e0', 'secondary', '#2686bd', 'tertiary', '#1f6a9a', '#1a5078'];

  const layers: LayerSpecification[] = [
    { id: 'background', type: 'background', paint: { 'background-color': '#020915' } },
    { id: 'boundary-fill', type: 'fill', source: 'boundary', paint: { 'fill-color': '#061a33', 'fill-opacity': 0.9 } },
    {
      id: 'street-fill', type: 'fill', source: 'streets',
      paint: { 'fill-color': ['match', ['get', 'tone'], 0, STREET_TONES[0]!, 1, STREET_TONES[1]!, 2, STREET_TONES[2]!, STREET_TONES[3]!], 'fill-opacity': 0.85 },
    },
    { id: 'park-fill', type: 'fill', source: 'parks', paint: { 'fill-color': '#0b3a34', 'fill-opacity': 0.85 } },
    { id: 'water-fill', type: 'fill', source: 'water', paint: { 'fill-color': '#0a3d66', 'fill-opacity': 0.95 } },
    { id: 'water-line', type: 'line', source: 'water', paint: { 'line-color': '#2a8fd0', 'line-width': 1 * s, 'line-opacity': 0.6 } },
    { id: 'grid-line', type: 'line', source: 'grids', minzoom: 12.6, paint: { 'line-color': '#3a8cc8', 'line-width': 0.6 * s, 'line-opacity': ['interpolate', ['linear'], ['zoom'], 12.6, 0, 13.4, 0.35] } },
    { id: 'street-line', type: 'line', source: 'streets', paint: { 'line-color': '#35c8ff', 'line-width': 1.1 * s, 'line-opacity': 0.45, 'line-dasharray': [3, 2] } },
    { id: 'road-casing', type: 'line', source: 'roads', filter: ['in', ['get', 'class'], ['literal', ['trunk', 'primary']]], layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#3fd0ff', 'line-width': ['*', roadWidth, 3.5], 'line-opacity': 0.12, 'line-blur': 4 * s } },
    { id: 'road-line', type: 'line', source: 'roads', layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': roadColor, 'line-width': roadWidth, 'line-opacity': 0.85 } },
    { id: 'boundary-glow-wide', type: 'line', source: 'boundary', paint: { 'line-color': '#35e3ff', 'line-width': 18 * s, 'line-blur': 14 * s, 'line-opacity': 0.22 } },
    { id: 'boundary-glow', type: 'line', source: 'boundary', paint: { 'line-color': '#35e3ff', 'line-width': 6 * s, 'line-blur': 4 * s, 'line-opacity': 0.5 } },
    { id: 'boundary-line', type: 'line', source: 'boundary', paint: { 'line-color': '#9ff4ff', 'line-width': 2 * s } },
    {
      id: 'road-labels', type: 'symbol', source: 'roads', minzoom: 12.4,
      filter: ['in', ['get', 'class'], ['literal', ['trunk', 'primary', 'secondary']]],
      layout: { 'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': LABEL_FONT, 'text-size': z(11, 15), 'symbol-spacing': 320 * s, 'text-letter-spacing': 0.1 },
      paint: { 'text-color': '#8fc6ea', 'text-halo-color': '#020915', 'text-halo-width': 1.5 * s },
    },
    {
      id: 'landmark-dot', type: 'circle', source: 'landmarks',
      paint: { 'circle-radius': 3 * s, 'circle-color': '#ffd36b', 'circle-stroke-color': '#ffd36b', 'circle-stroke-width': 4 * s, 'circle-stroke-opacity': 0.25 },
    },
    {
      id: 'landmark-labels', type: 'symbol', source: 'landmarks',
      layout: { 'text-field': labelField(locale), 'text-font': LABEL_FONT, 'text-size': z(13, 17), 'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true },
      paint: { 'text-color': '#ffe3a3', 'text-halo-color': '#020915', 'text-halo-width': 1.6 * s },
    },
    {
      id: 'street-labels', type: 'symbol', source: 'street-labels',
      layout: { 'text-field': labelField(locale), 'text-font': LABEL_FONT, 'text-size': z(16, 24), 'text-letter-spacing': 0.15, 'text-allow-overlap': false, 'text-padding': 4 * s },
      paint: { 'text-color': '#cfefff', 'text-opacity': 0.82, 'text-halo-color': '#04132a', 'text-halo-width': 2 * s, 'text-halo-blur': 1 * s },
    },
  ];

  return {
    version: 8,
    name: 'cityops-offline',
    sources: {
      boundary: { type: 'geojson', data: gj(d.boundary) },
      streets: { type: 'geojson', data: gj(streets) },
      'street-labels': { type: 'geojson', data: gj(streetLabels) },
      grids: { type: 'geojson', data: gj(d.grids) },
      roads: { type: 'geojson', data: gj(d.roads) },
      water: { type: 'geojson', data: gj(d.water) },
      parks: { type: 'geojson', data: gj(d.parks) },
      landmarks: { type: 'geojson', data: gj(d.landmarks) },
    },
    layers,
  };
}

const gj = (fc: unknown): GeoJSONSourceSpecification['data'] => fc as GeoJSONSourceSpecification['data'];

/** A point inside a street area for its label: the area-weighted centroid of its largest ring. */
function labelPoint(f: Feature<PolygonGeometry | MultiPolygonGeometry, unknown>): LonLat {
  const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  let best: LonLat = [0, 0];
  let bestArea = -1;
  for (const poly of polygons) {
    const ring = poly[0];
    if (!ring || ring.length < 3) continue;
    let a = 0;
    let cx = 0;
    let cy = 0;
    for (let k = 0; k < ring.length - 1; k++) {
      const [x0, y0] = ring[k]!;
      const [x1, y1] = ring[k + 1]!;
      const cross = x0 * y1 - x1 * y0;
      a += cross;
      cx += (x0 + x1) * cross;
      cy += (y0 + y1) * cross;
    }
    if (Math.abs(a) > bestArea && a !== 0) {
      bestArea = Math.abs(a);
      best = [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best;
}
