/**
 * The offline basemap re-coloured for a phone in daylight (the citizen report page). The wall's
 * style is dark-on-glow for an LED wall in a dim room; in the sun a dark map on a phone screen
 * turns into a mirror, so here: light ground, roads white with grey casing, dark labels with
 * white halos — the contrast of a paper street map. Same sources and geometry as the wall's
 * (buildOfflineStyle); only paint changes, and the glow layers go.
 */
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { Locale } from '../i18n/useI18n.ts';
import { buildOfflineStyle } from './offline-style.ts';

/** A phone is held closer than a wall is stood from, but its labels must read at arm's length outdoors. */
const PHONE_SCALE = 1.15;
/**
 * Labels in the phone's own CJK font (PingFang on iOS, Noto/Source Han on Android): the bundled
 * Noto Sans SC stays last, as the fallback where no CJK font is installed (see styles/report.css).
 */
export const PHONE_TEXT_FONT = ['PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Noto Sans SC'];
export const PHONE_FONT_FAMILY = `${PHONE_TEXT_FONT.map((f) => `'${f}'`).join(', ')}, sans-serif`;

const DROPPED = new Set(['boundary-glow-wide', 'boundary-glow', 'grid-line']);

const roadClassColor: ExpressionSpecification = ['match', ['get', 'class'], 'trunk', '#f6b352', 'primary', '#fbd77b', '#ffffff'];

const PAINT: Record<string, Record<string, unknown>> = {
  background: { 'background-color': '#dfe4ea' },
  'boundary-fill': { 'fill-color': '#f6f5f1', 'fill-opacity': 1 },
  'street-fill': { 'fill-color': ['match', ['get', 'tone'], 0, '#f6f5f1', 1, '#f1f3ee', 2, '#f3f1ec', '#eff2f4'], 'fill-opacity': 1 },
  'park-fill': { 'fill-color': '#c8e6c0', 'fill-opacity': 1 },
  'water-fill': { 'fill-color': '#a6d1ef', 'fill-opacity': 1 },
  'water-line': { 'line-color': '#76afd9', 'line-opacity': 1 },
  'street-line': { 'line-color': '#8a93a3', 'line-opacity': 0.7 },
  'road-casing': { 'line-color': '#a4acb8', 'line-opacity': 1, 'line-blur': 0 },
  'road-line': { 'line-color': roadClassColor, 'line-opacity': 1 },
  'boundary-line': { 'line-color': '#c2410c' },
  'road-labels': { 'text-color': '#3b4250', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
  'landmark-dot': { 'circle-color': '#7c3aed', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2, 'circle-stroke-opacity': 1 },
  'landmark-labels': { 'text-color': '#4c1d95', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
  'street-labels': { 'text-color': '#1f2937', 'text-opacity': 0.7, 'text-halo-color': '#ffffff', 'text-halo-width': 2, 'text-halo-blur': 0 },
};

export function buildCitizenStyle(d: DistrictGeometry, locale: Locale): StyleSpecification {
  const base = buildOfflineStyle(d, locale, PHONE_SCALE);
  const roadWidth = (base.layers.find((l) => l.id === 'road-line') as { paint?: Record<string, unknown> } | undefined)?.paint?.['line-width'] as ExpressionSpecification;
  const layers = base.layers.filter((l) => !DROPPED.has(l.id)).map((l): LayerSpecification => {
    const paint = { ...(l as { paint?: Record<string, unknown> }).paint, ...PAINT[l.id] };
    // The casing outlines every road (on a light ground a white road needs an edge), 1.5 px each side.
    if (l.id === 'road-casing') {
      const { filter: _onlyMajorRoads, ...all } = l as LayerSpecification & { filter?: unknown };
      return { ...all, paint: { ...paint, 'line-width': ['+', roadWidth, 3] } } as LayerSpecification;
    }
    const layout = (l as { layout?: Record<string, unknown> }).layout;
    if (layout?.['text-font']) return { ...l, paint, layout: { ...layout, 'text-font': PHONE_TEXT_FONT } } as LayerSpecification;
    return { ...l, paint } as LayerSpecification;
  });
  return { ...base, name: 'cityops-citizen', layers };
}
