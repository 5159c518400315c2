import { onBeforeUnmount, reactive, shallowRef, watch, type Ref } from 'vue';
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import type { GLMap } from '../map/engine.ts';
import type { ToDisplay } from '../../shared/basemap.ts';
import { fetchHeat, type HeatKind, type HeatResponse } from '../heat/heat-api.ts';
import { useSessionStore } from '../stores/session.ts';

export const HEAT_SOURCE = 'heat-src';
export const HEAT_LAYER = 'heat-layer';
const REFRESH_MS = 60_000;
/** When the server had no time yet for some hours of units' history (it computes them in the background), ask again this soon. */
const PENDING_RETRY_MS = 5000;
export const HEAT_WINDOWS = { day: 24 * 3_600_000, week: 7 * 24 * 3_600_000 } as const;
export type HeatWindowName = keyof typeof HEAT_WINDOWS;

export interface HeatLayerSettings { enabled: boolean; kind: HeatKind; window: HeatWindowName }

/** What the layer shows now: the wall's toggle reads it (and tests, through the toggle's data attributes). */
export interface HeatLayerState { layerType: string | null; points: number; error: boolean }

type FeatureCollection = { type: 'FeatureCollection'; features: { type: 'Feature'; geometry: { type: 'Point'; coordinates: [number, number] }; properties: { w: number } }[] };

/**
 * A maplibre `heatmap` layer of cases, alarms or where units spent their time, from /api/heat,
 * under the live markers. Off until switched on; while on it reads the chosen window again
 * every minute. The layer, its source, its timer and any request in flight end with the component.
 */
export function useHeatLayer(
  map: Ref<GLMap | null>, ready: Ref<boolean>, scale: Readonly<Ref<number>>, toDisplay?: Readonly<Ref<ToDisplay>>,
  /** A fixed window (the briefing's period) instead of the last 24 h / 7 days up to now. */
  windowOf?: () => { from: number; to: number },
) {
  const session = useSessionStore();
  const settings = reactive<HeatLayerSettings>({ enabled: false, kind: 'cases', window: 'day' });
  const state = reactive<HeatLayerState>({ layerType: null, points: 0, error: false });
  const added = shallowRef<GLMap | null>(null);
  let timer: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let inFlight: AbortController | null = null;

  function ensureLayer(m: GLMap): void {
    if (added.value === m) return;
    const empty: FeatureCollection = { type: 'FeatureCollection', features: [] };
    m.addSource(HEAT_SOURCE, { type: 'geojson', data: empty as unknown as GeoJSONSourceSpecification['data'] });
    // Under the live markers (their sources are live-<kind>), over the basemap.
    const firstLive = m.getStyle().layers.find((l) => 'source' in l && typeof l.source === 'string' && l.source.startsWith('live-'));
    const s = scale.value;
    m.addLayer({
      id: HEAT_LAYER, type: 'heatmap', source: HEAT_SOURCE,
      paint: {
        'heatmap-weight': ['get', 'w'],
        'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 11, 1, 15, 2.5],
        'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 11, 14 * s, 13, 24 * s, 16, 48 * s],
        'heatmap-opacity': 0.72,
        'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'],
          0, 'rgba(0,0,0,0)', 0.15, 'rgba(31,111,178,0.55)', 0.35, '#35e3ff', 0.6, '#ffd166', 0.85, '#ff8c42', 1, '#ff3b3b'],
      },
    }, firstLive?.id);
    added.value = m;
    state.layerType = m.getLayer(HEAT_LAYER)?.type ?? null;
  }

  const shift = (lon: number, lat: number): [number, number] => {
    const out: [number, number] = [lon, lat];
    return toDisplay ? toDisplay.value(lon, lat, out) : out;
  };

  function draw(m: GLMap, data: HeatResponse): void {
    // Square root: a busy corner should not wash out every other cell of the district.
    const fc: FeatureCollection = {
      type: 'FeatureCollection',
      // On a GCJ-02 basemap the cells are shifted like every other overlay (shared/basemap.ts).
      features: data.points.map(([lon, lat, w]) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: shift(lon, lat) }, properties: { w: data.max > 0 ? Math.sqrt(w / data.max) : 0 } })),
    };
    (m.getSource(HEAT_SOURCE) as GeoJSONSource | undefined)?.setData(fc as unknown as Parameters<GeoJSONSource['setData']>[0]);
    state.points = data.points.length;
  }

  async function refresh(): Promise<void> {
    const m = map.value;
    if (!m || !settings.enabled) return;
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    const to = Date.now();
    const w = windowOf?.() ?? { from: to - HEAT_WINDOWS[settings.window], to };
    try {
      const data = await fetchHeat(session.token, settings.kind, w, undefined, ctl.signal);
      if (ctl.signal.aborted || map.value !== m || !settings.enabled) return;
      draw(m, data);
      state.error = false;
      clearTimeout(retry);
      if (data.pendingHours > 0) retry = setTimeout(() => void refresh(), PENDING_RETRY_MS);
    } catch (err) {
      if (ctl.signal.aborted) return;
      // Kept: the last layer stays drawn, the next minute retries.
      state.error = true;
      console.warn('[heat] layer refresh failed', err);
    } finally {
      if (inFlight === ctl) inFlight = null;
    }
  }

  const stop = watch([map, ready, () => settings.enabled, () => settings.kind, () => settings.window, () => windowOf?.()], ([m, r, enabled]) => {
    clearInterval(timer);
    clearTimeout(retry);
    timer = undefined;
    if (!m || !r) return;
    if (enabled) ensureLayer(m);
    if (added.value === m && m.getLayer(HEAT_LAYER)) m.setLayoutProperty(HEAT_LAYER, 'visibility', enabled ? 'visible' : 'none');
    if (!enabled) { inFlight?.abort(); return; }
    void refresh();
    timer = setInterval(() => void refresh(), REFRESH_MS);
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    clearInterval(timer);
    clearTimeout(retry);
    inFlight?.abort();
    const m = added.value;
    // The wall's map may already be removed (its composable ends first or after): only a live style is edited.
    try {
      if (m?.getLayer(HEAT_LAYER)) m.removeLayer(HEAT_LAYER);
      if (m?.getSource(HEAT_SOURCE)) m.removeSource(HEAT_SOURCE);
    } catch {
      // a removed map has no style left to clean
    }
    added.value = null;
  });

  return { settings, state, refresh };
}

export type HeatLayer = ReturnType<typeof useHeatLayer>;
