/**
 * The console's dispatch overlays: the recommended units (rank badges and straight lines to the
 * case; the top pick's road route) and the 7-minute coverage (covered roads faint, gaps red).
 */
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import type { CoverageResult, UnitRecommendation } from '../../../shared/dispatch.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import type { GLMap } from '../engine.ts';
import { ALARM_RED } from '../palette.ts';

const SRC_RECS = 'dispatch-recs';
const SRC_REC_LINES = 'dispatch-rec-lines';
const SRC_COVERED = 'coverage-covered';
const SRC_GAPS = 'coverage-gaps';

export interface DispatchOverlays {
  setRecommendations(recs: readonly UnitRecommendation[], caseAt: LonLat | null): void;
  setCoverage(c: CoverageResult | null): void;
  setCoverageVisible(v: boolean): void;
}

const fc = (features: unknown[]) => ({ type: 'FeatureCollection', features }) as unknown as GeoJSONSourceSpecification['data'];

export function addDispatchOverlays(map: GLMap, beforeId?: string): DispatchOverlays {
  for (const id of [SRC_RECS, SRC_REC_LINES, SRC_COVERED, SRC_GAPS]) map.addSource(id, { type: 'geojson', data: fc([]) });
  const before = beforeId && map.getLayer(beforeId) ? beforeId : undefined;
  map.addLayer({ id: 'coverage-covered', type: 'line', source: SRC_COVERED, layout: { visibility: 'none' }, paint: { 'line-color': '#2ee6a6', 'line-width': 2, 'line-opacity': 0.35 } }, before);
  map.addLayer({ id: 'coverage-gaps', type: 'line', source: SRC_GAPS, layout: { visibility: 'none', 'line-cap': 'round' }, paint: { 'line-color': ALARM_RED, 'line-width': 3.5, 'line-opacity': 0.85 } }, before);
  map.addLayer({ id: 'dispatch-rec-lines', type: 'line', source: SRC_REC_LINES, paint: { 'line-color': ['case', ['==', ['get', 'rank'], 1], '#ffe066', '#9fc3e4'], 'line-width': ['case', ['==', ['get', 'rank'], 1], 3, 1.5], 'line-dasharray': [2, 2], 'line-opacity': 0.9 } });
  map.addLayer({ id: 'dispatch-recs', type: 'circle', source: SRC_RECS, paint: { 'circle-radius': 11, 'circle-color': ['case', ['==', ['get', 'rank'], 1], '#ffe066', '#163a66'], 'circle-stroke-color': ['case', ['get', 'stale'], '#8a7b3a', '#ffffff'], 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'dispatch-rec-rank', type: 'symbol', source: SRC_RECS, layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': ['Noto Sans SC'], 'text-size': 13, 'text-allow-overlap': true }, paint: { 'text-color': ['case', ['==', ['get', 'rank'], 1], '#071428', '#ffffff'] } });
  const set = (id: string, features: unknown[]) => (map.getSource(id) as GeoJSONSource | undefined)?.setData(fc(features) as Parameters<GeoJSONSource['setData']>[0]);

  return {
    setRecommendations(recs, caseAt) {
      set(SRC_RECS, recs.filter((r) => r.route.length > 0).map((r) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: r.route[0] }, properties: { rank: r.rank, stale: r.stale } })));
      set(SRC_REC_LINES, recs.filter((r) => r.route.length > 1 && caseAt).map((r) => ({
        type: 'Feature', properties: { rank: r.rank },
        // The top pick's road route; the others as a straight hint, to keep the map readable.
        geometry: { type: 'LineString', coordinates: r.rank === 1 ? r.route : [r.route[0], caseAt] },
      })));
    },
    setCoverage(c) {
      set(SRC_COVERED, c ? [{ type: 'Feature', properties: {}, geometry: { type: 'MultiLineString', coordinates: c.covered } }] : []);
      set(SRC_GAPS, c ? [{ type: 'Feature', properties: {}, geometry: { type: 'MultiLineString', coordinates: c.gaps } }] : []);
    },
    setCoverageVisible(v) {
      for (const id of ['coverage-covered', 'coverage-gaps']) map.setLayoutProperty(id, 'visibility', v ? 'visible' : 'none');
    },
  };
}
