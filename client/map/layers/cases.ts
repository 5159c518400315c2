/**
 * Cases on the map (wall and console): a marker per open case coloured by its most urgent
 * clock (green/amber/red; blue-grey while no clock runs), emergencies pulsing; the dispatched
 * unit's road route with its ETA until it arrives; a highlight ring for the fly-to. Sources
 * are added once; afterwards only setData, and paint properties for the pulses.
 */
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import { OPEN_STAGES, type CaseSummary } from '../../../shared/cases.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import { clockColour, formatCountdown, mostUrgentClock } from '../../realtime/sla-clock.ts';
import type { GLMap } from '../engine.ts';
import { identityToDisplay, type ToDisplay } from '../../../shared/basemap.ts';
import { ALARM_RED, ALERT_AMBER } from '../palette.ts';

export const CASE_COLOURS = { green: '#2ee6a6', amber: ALERT_AMBER, red: ALARM_RED, none: '#8fb0d2' } as const;
export const ROUTE_COLOUR = '#35e3ff';
/** The layers that draw a case's marker and its dispatched unit's route (features carry the case id as `id`). */
export const CASE_MARKER_LAYER = 'ops-case-dot';
export const CASE_ROUTE_LAYER = 'ops-route-line';

const SRC_CASES = 'ops-cases';
const SRC_ROUTES = 'ops-routes';
const SRC_ROUTE_ENDS = 'ops-route-ends';
const SRC_HIGHLIGHT = 'ops-highlight';
const PULSE_PERIOD_MS = 1600;

type Fc = { type: 'FeatureCollection'; features: unknown[] };
const empty = (): Fc => ({ type: 'FeatureCollection', features: [] });

export interface CaseLayerOptions {
  /** The ETA label text for a route, e.g. "预计 03:12". */
  etaLabel(text: string): string;
  /** Draw cases that are no longer open (the console's selected case); default only open ones. */
  showClosed?: boolean;
  /** WGS-84 → the basemap's CRS (a GCJ-02 basemap shifts markers and routes); default unchanged. */
  toDisplay?: ToDisplay;
}

export interface CaseMapLayer {
  readonly hitLayers: string[];
  /** Rebuilds markers and routes from the cases at `now` (wall clock ms): call on each ops frame and once a second. */
  update(cases: Iterable<CaseSummary>, now: number, selectedId?: number | null): void;
  /** The fly-to ring; null hides it. */
  highlight(at: LonLat | null): void;
  /** Pulse phase from the caller's frame loop (performance.now()). */
  pulse(t: number): void;
  setVisible(visible: boolean): void;
}

export function addCaseLayers(map: GLMap, s: number, opts: CaseLayerOptions): CaseMapLayer {
  for (const id of [SRC_CASES, SRC_ROUTES, SRC_ROUTE_ENDS, SRC_HIGHLIGHT]) {
    map.addSource(id, { type: 'geojson', data: empty() as GeoJSONSourceSpecification['data'] });
  }
  const colour = ['match', ['get', 'c'], 'green', CASE_COLOURS.green, 'amber', CASE_COLOURS.amber, 'red', CASE_COLOURS.red, CASE_COLOURS.none] as const;
  const layerIds = ['ops-route-glow', CASE_ROUTE_LAYER, 'ops-case-pulse', CASE_MARKER_LAYER, 'ops-case-selected', 'ops-route-eta', 'ops-highlight-ring'];
  map.addLayer({ id: 'ops-route-glow', type: 'line', source: SRC_ROUTES, layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': ROUTE_COLOUR, 'line-width': 10 * s, 'line-blur': 6 * s, 'line-opacity': 0.35 } });
  map.addLayer({ id: CASE_ROUTE_LAYER, type: 'line', source: SRC_ROUTES, layout: { 'line-cap': 'round', 'line-join': 'round' }, paint: { 'line-color': '#bff6ff', 'line-width': 3 * s, 'line-dasharray': [2, 1.2] } });
  map.addLayer({
    id: 'ops-case-pulse', type: 'circle', source: SRC_CASES, filter: ['==', ['get', 'em'], 1],
    paint: { 'circle-radius': 10 * s, 'circle-color': colour as never, 'circle-opacity': 0.4, 'circle-stroke-color': colour as never, 'circle-stroke-width': 2 * s, 'circle-stroke-opacity': 0.8 },
  });
  map.addLayer({
    id: CASE_MARKER_LAYER, type: 'circle', source: SRC_CASES,
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, ['*', s, ['case', ['==', ['get', 'em'], 1], 7, 4.5]], 16, ['*', s, ['case', ['==', ['get', 'em'], 1], 12, 8]]],
      'circle-color': colour as never,
      'circle-opacity': ['case', ['==', ['get', 'open'], 1], 1, 0.45],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': ['case', ['==', ['get', 'em'], 1], 2 * s, 1.2 * s], 'circle-stroke-opacity': 0.9,
    },
  });
  map.addLayer({
    id: 'ops-case-selected', type: 'circle', source: SRC_CASES, filter: ['==', ['get', 'sel'], 1],
    paint: { 'circle-radius': 16 * s, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2.5 * s },
  });
  map.addLayer({
    id: 'ops-route-eta', type: 'symbol', source: SRC_ROUTE_ENDS,
    layout: { 'text-field': ['get', 'label'], 'text-font': ['Noto Sans SC'], 'text-size': 15 * s, 'text-offset': [0, -1.6], 'text-anchor': 'bottom', 'text-allow-overlap': true },
    paint: { 'text-color': '#dffbff', 'text-halo-color': '#03203c', 'text-halo-width': 2.5 * s },
  });
  map.addLayer({
    id: 'ops-highlight-ring', type: 'circle', source: SRC_HIGHLIGHT,
    paint: { 'circle-radius': 20 * s, 'circle-color': ALARM_RED, 'circle-opacity': 0.25, 'circle-stroke-color': ALARM_RED, 'circle-stroke-width': 3 * s, 'circle-stroke-opacity': 0.9 },
  });
  const toDisplay = opts.toDisplay ?? identityToDisplay;
  const at = (lon: number, lat: number): LonLat => toDisplay(lon, lat, [0, 0]);
  const src = (id: string) => map.getSource(id) as GeoJSONSource | undefined;
  const set = (id: string, fc: Fc) => src(id)?.setData(fc as Parameters<GeoJSONSource['setData']>[0]);
  let visible = true;
  let highlighted = false;
  // A lost GL context takes the style with it and maplibre rebuilds it on restore: until the map is
  // idle again, touching a source or paint property throws ("Style is not done loading").
  let suspended = false;
  map.on('webglcontextlost', () => (suspended = true));
  map.on('webglcontextrestored', () => map.once('idle', () => {
    suspended = false;
    applyVisibility();
  }));
  const applyVisibility = () => {
    for (const id of layerIds) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  };

  return {
    hitLayers: [CASE_MARKER_LAYER],
    update(cases, now, selectedId = null) {
      if (suspended) return;
      const points: unknown[] = [];
      const routes: unknown[] = [];
      const ends: unknown[] = [];
      for (const c of cases) {
        const open = OPEN_STAGES.includes(c.stage);
        const selected = c.id === selectedId;
        if (!open && !selected && !opts.showClosed) continue;
        const urgent = open ? mostUrgentClock(c.clocks, now) : null;
        const col = urgent ? clockColour(urgent, now) : 'none';
        points.push({
          type: 'Feature', id: c.id,
          geometry: { type: 'Point', coordinates: at(c.location.lon, c.location.lat) },
          properties: { id: c.id, c: col, em: c.emergency && open ? 1 : 0, open: open ? 1 : 0, sel: selected ? 1 : 0 },
        });
        const a = c.assignment;
        if (open && a && a.arrivedTs === null && a.route.length >= 2) {
          routes.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: toDisplay === identityToDisplay ? a.route : a.route.map(([lon, lat]) => at(lon, lat)) }, properties: { id: c.id } });
          if (a.etaTs !== null) {
            ends.push({
              type: 'Feature', geometry: { type: 'Point', coordinates: at(c.location.lon, c.location.lat) },
              // Past the ETA and not there yet: the label goes negative rather than sit at 00:00.
              properties: { label: `${a.unitName} · ${opts.etaLabel(formatCountdown(a.etaTs - now))}` },
            });
          }
        }
      }
      set(SRC_CASES, { type: 'FeatureCollection', features: points });
      set(SRC_ROUTES, { type: 'FeatureCollection', features: routes });
      set(SRC_ROUTE_ENDS, { type: 'FeatureCollection', features: ends });
    },
    highlight(at) {
      if (suspended) return;
      highlighted = at !== null;
      set(SRC_HIGHLIGHT, { type: 'FeatureCollection', features: at ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: {} }] : [] });
    },
    pulse(t) {
      if (!visible || suspended) return;
      const phase = (t % PULSE_PERIOD_MS) / PULSE_PERIOD_MS;
      map.setPaintProperty('ops-case-pulse', 'circle-radius', (8 + 22 * phase) * s);
      map.setPaintProperty('ops-case-pulse', 'circle-opacity', 0.5 * (1 - phase));
      map.setPaintProperty('ops-case-pulse', 'circle-stroke-opacity', 0.9 * (1 - phase));
      if (highlighted) {
        map.setPaintProperty('ops-highlight-ring', 'circle-radius', (14 + 46 * phase) * s);
        map.setPaintProperty('ops-highlight-ring', 'circle-opacity', 0.35 * (1 - phase));
        map.setPaintProperty('ops-highlight-ring', 'circle-stroke-opacity', 1 - phase);
      }
    },
    setVisible(v) {
      visible = v;
      if (!suspended) applyVisibility();
    },
  };
}
