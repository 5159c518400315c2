/**
 * The one place that knows which GL engine draws the map. maplibre-gl by default (offline,
 * no token); mapbox-gl v3 when the server is configured with a Mapbox access token.
 * Everything else is written once against the GL style spec and the maplibre Map API,
 * which mapbox-gl v3 shares for everything used here.
 */
import type { Map as GLMap, StyleSpecification, LngLatBoundsLike, PaddingOptions } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import type { ClientConfigResponse } from '../../shared/schemas/http.ts';
// Bundled, the worker is not next to the chunk that loads it: hand maplibre its emitted URL.
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

export type { GLMap };
export type MapEngineName = 'maplibre' | 'mapbox';

export type MapConfig = ClientConfigResponse;

/** What a client without the server's answer draws: the offline district, standard layout, no tour. */
export const DEFAULT_MAP_CONFIG: MapConfig = {
  basemap: { kind: 'offline', crs: 'WGS84' },
  wall: { layout: 'auto', tour: [], tourS: 20, idleS: 120 },
};

export interface CreateMapOptions {
  config: MapConfig;
  bounds: LngLatBoundsLike;
  padding: PaddingOptions;
  /** CSS font family for CJK glyphs drawn locally. */
  fontFamily: string;
}

export interface CreatedMap {
  engine: MapEngineName;
  map: GLMap;
}

let configLoad: Promise<MapConfig> | undefined;

/** Maps drawn by maplibre-gl: their GeoJSON sources take maplibre's feature diffs (`updateData`). */
const maplibreMaps = new WeakSet<GLMap>();

/**
 * Whether `map`'s GeoJSON sources take a maplibre `GeoJSONSourceDiff`. mapbox-gl has an
 * `updateData` too, with another meaning (an upsert of whole features on a `dynamic` source).
 */
export const takesFeatureDiffs = (map: GLMap): boolean => maplibreMaps.has(map);

/** GET /api/config (public), once per page. Absent or failing means: maplibre with the offline style. */
export function loadMapConfig(): Promise<MapConfig> {
  configLoad ??= (async () => {
    try {
      const res = await fetch('/api/config', { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return DEFAULT_MAP_CONFIG;
      const body = (await res.json()) as Partial<MapConfig> | null;
      if (typeof body !== 'object' || body === null) return DEFAULT_MAP_CONFIG;
      return { ...DEFAULT_MAP_CONFIG, ...body, wall: { ...DEFAULT_MAP_CONFIG.wall, ...body.wall } };
    } catch {
      return DEFAULT_MAP_CONFIG;
    }
  })();
  // A failed answer is not kept: the next screen asks again.
  void configLoad.then((c) => {
    if (c === DEFAULT_MAP_CONFIG) configLoad = undefined;
  });
  return configLoad;
}

let maplibreModule: Promise<typeof import('maplibre-gl')> | undefined;

/** Starts loading the engine's code (1 MB) while the district geometry is still on its way. */
export function preloadEngine(config: MapConfig): void {
  if (!config.mapboxAccessToken) maplibreModule ??= import('maplibre-gl');
}

export async function createMap(container: HTMLElement, style: StyleSpecification, opts: CreateMapOptions): Promise<CreatedMap> {
  const common = {
    container,
    bounds: opts.bounds,
    fitBoundsOptions: { padding: opts.padding },
    attributionControl: false as const,
    // A wall is looked at, not driven: keep zoom/pan for a staff member at the keyboard, drop rotation.
    dragRotate: false,
    pitchWithRotate: false,
    fadeDuration: 0,
  };
  if (opts.config.mapboxAccessToken) {
    const mapboxgl = (await import('mapbox-gl')).default;
    mapboxgl.accessToken = opts.config.mapboxAccessToken;
    // An on-premises Mapbox (or the tests' fixture): sessions go there, and no telemetry leaves.
    if (opts.config.mapboxApiUrl) mapboxgl.baseApiUrl = opts.config.mapboxApiUrl;
    const map = new mapboxgl.Map({
      ...common,
      style: opts.config.mapStyleUrl ?? (style as unknown as mapboxgl.StyleSpecification),
      localIdeographFontFamily: opts.fontFamily,
    } as mapboxgl.MapOptions);
    return { engine: 'mapbox', map: map as unknown as GLMap };
  }
  const maplibregl = await (maplibreModule ??= import('maplibre-gl'));
  maplibregl.setWorkerUrl(maplibreWorkerUrl);
  const map = new maplibregl.Map({
    ...common,
    style: opts.config.mapStyleUrl ?? style,
    localIdeographFontFamily: opts.fontFamily,
    // maplibre's default cap (4096 px) would draw a 5760- or 7680-px-wide wall at a lower
    // resolution and stretch it: the map must stay at the screen's own resolution.
    maxCanvasSize: [8192, 8192],
  });
  maplibreMaps.add(map);
  return { engine: 'maplibre', map };
}

/** Resolves once the style is loaded and sources/layers may be added. */
export function whenLoaded(map: GLMap): Promise<void> {
  return new Promise((resolve) => {
    if (map.loaded()) resolve();
    else map.once('load', () => resolve());
  });
}
