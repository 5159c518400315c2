/**
 * Read-only diagnostics the browser tests and benchmarks read from `window`: what the map
 * draws right now. Only a build made with CITYOPS_TEST_HOOKS=1 (the e2e harness, the
 * benchmarks) contains this module; the production bundle has no trace of it.
 */
import type { EntityKind } from '../../shared/entities.ts';
import type { GLMap, MapEngineName } from './engine.ts';
import { CASE_MARKER_LAYER, CASE_ROUTE_LAYER } from './layers/cases.ts';
import type { LiveRenderer } from './live-renderer.ts';

export interface CityopsTestHooks {
  engine: MapEngineName;
  /** Features fed to each kind's map source. */
  renderedCounts(): Record<EntityKind, number>;
  /** Features the GL engine actually drew on screen, per kind. */
  drawnCounts(): Record<EntityKind, number>;
  /** Screen position (CSS px in the map container) and catalog index of one drawn entity of a kind. */
  drawnPoint(kind: EntityKind): { x: number; y: number; i: number } | null;
  /** Ids of the cases whose marker, or whose dispatched unit's route, the GL engine drew on screen. */
  drawnCaseIds(what: 'marker' | 'route'): number[];
  /** Markers of each kind to show, thinned out or not, whose position is inside the view: what drawing every marker would show. */
  inViewCounts(): Record<EntityKind, number>;
  /** An entity's reported WGS-84 position, and the map position (basemap CRS) of a screen point. */
  reportedPosition(i: number): [number, number] | null;
  lngLatAt(x: number, y: number): [number, number];
  /** The map's zoom and centre now (tours, fly-to). */
  view(): { zoom: number; center: [number, number]; bounds: [number, number, number, number] };
  /** Moves the map without animation (tests that need a zoom level). */
  jumpTo(zoom: number, center?: [number, number]): void;
}

declare global {
  interface Window {
    __cityops?: CityopsTestHooks;
  }
}

export function installTestHooks(map: GLMap, engine: MapEngineName, renderer: LiveRenderer): () => void {
  window.__cityops = {
    engine,
    renderedCounts: () => renderer.renderedCounts(),
    drawnCounts: () => renderer.drawnCounts(),
    drawnPoint: (kind) => renderer.drawnPoint(kind),
    drawnCaseIds: (what) => drawnCaseIds(map, what === 'route' ? CASE_ROUTE_LAYER : CASE_MARKER_LAYER),
    inViewCounts: () => renderer.inViewCounts(),
    reportedPosition: (i) => renderer.reportedPosition(i),
    lngLatAt: (x, y) => {
      const p = map.unproject([x, y]);
      return [p.lng, p.lat];
    },
    view: () => {
      const c = map.getCenter();
      const b = map.getBounds();
      return { zoom: map.getZoom(), center: [c.lng, c.lat], bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] };
    },
    jumpTo: (zoom, center) => map.jumpTo({ zoom, ...(center ? { center } : {}) }),
  };
  return () => {
    delete window.__cityops;
  };
}

function drawnCaseIds(m: GLMap, layer: string): number[] {
  if (!m.getLayer(layer)) return [];
  const ids = m.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties?.['id']);
  return [...new Set(ids.filter((id): id is number => typeof id === 'number'))];
}
