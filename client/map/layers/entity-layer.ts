/**
 * The shared machinery of the per-kind entity layers: one GeoJSON source per kind, added
 * once; afterwards only `setData` with features rebuilt from the non-reactive EntityBuffer.
 */
import type { ExpressionSpecification, GeoJSONSource, GeoJSONSourceSpecification, LayerSpecification } from 'maplibre-gl';
import { statusFromCode } from '../../../shared/live-codec.ts';
import type { EntityKind } from '../../../shared/entities.ts';
import type { EntityBuffer } from '../../realtime/entity-buffer.ts';
import { positionAt } from '../../realtime/interpolation.ts';
import type { GLMap } from '../engine.ts';
import { identityToDisplay, type ToDisplay } from '../../../shared/basemap.ts';
import { OFFLINE_COLOR, STATE_COLORS } from '../palette.ts';

export interface EntityLayerDef {
  kind: EntityKind;
  /** The state a feature is drawn in: a status, or an alarm that overrides it (sos, violation…). */
  visualState(status: string, attrs: Record<string, unknown> | undefined): string;
  /** Layers drawn from `source`; `s` is the wall's UI scale. */
  layers(source: string, s: number): LayerSpecification[];
  /** Layers that answer hover and click. */
  hitLayers: string[];
  /** A layer whose radius/opacity breathe to draw the eye to alarms. */
  pulseLayer?: { id: string; baseRadius: number; growRadius: number };
  /** Visual states handed to the map even when a dense fleet is thinned (its alarms). */
  alwaysShown?: readonly string[];
}

export interface EntityLayer {
  readonly kind: EntityKind;
  readonly hitLayers: string[];
  /** Features in the source right now. */
  count(): number;
  /** Markers the kind has to show (a position, a known status) before any thinning: what the legend counts. */
  shown(): number;
  /** Features in the source whose position (in the basemap's CRS) lies inside a box: what a full drawing of the view shows. */
  countWithin(w: number, s: number, e: number, n: number): number;
  /**
   * Rebuilds the features from the buffer (interpolated positions at `now`) and pushes them to
   * the map: one in `keepOneIn` by catalog index (so the same ones stay put), plus every
   * feature in an `alwaysShown` state (marker-budget.ts).
   */
  update(buf: EntityBuffer, now: number, keepOneIn?: number): void;
  /** `phase` in 0..1, advanced by the render loop. */
  pulse(phase: number): void;
  setVisible(visible: boolean): void;
}

interface PointFeature {
  type: 'Feature';
  id: number;
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: { i: number; st: string; cn: number; hd: number };
}

export function addEntityLayer(map: GLMap, def: EntityLayerDef, s: number, beforeId?: string, toDisplay: ToDisplay = identityToDisplay): EntityLayer {
  const sourceId = `live-${def.kind}`;
  const data = { type: 'FeatureCollection' as const, features: [] as PointFeature[] };
  map.addSource(sourceId, { type: 'geojson', data: data as unknown as GeoJSONSourceSpecification['data'] });
  const specs = def.layers(sourceId, s);
  for (const spec of specs) map.addLayer(spec, beforeId && map.getLayer(beforeId) ? beforeId : undefined);
  const source = map.getSource(sourceId) as GeoJSONSource;
  let visible = true;
  /**
   * Feature objects reused from frame to frame (moving kinds are rebuilt ~10× a second for
   * weeks): the source copies the data to its worker when it sends it, so rewriting them in
   * place only ever hands it a newer state. Grows to the kind's size, never beyond.
   */
  const pool: PointFeature[] = [];
  let eligible = 0;

  return {
    kind: def.kind,
    hitLayers: def.hitLayers,
    count: () => (visible ? data.features.length : 0),
    shown: () => (visible ? eligible : 0),
    countWithin(w, so, e, n) {
      if (!visible) return 0;
      let k = 0;
      for (const f of data.features) {
        const [x, y] = f.geometry.coordinates;
        if (x >= w && x <= e && y >= so && y <= n) k++;
      }
      return k;
    },
    update(buf, now, keepOneIn = 1) {
      const features = data.features;
      let n = 0;
      let shown = 0;
      for (const i of buf.byKind[def.kind]) {
        if (!buf.hasPos[i]) continue;
        let status: string;
        try {
          status = statusFromCode(def.kind, buf.statusCode[i] ?? 0);
        } catch {
          continue; // a status this client does not know yet: skip rather than draw it wrongly
        }
        const st = def.visualState(status, buf.attrs[i]);
        shown++;
        if (keepOneIn > 1 && i % keepOneIn !== 0 && !def.alwaysShown?.includes(st)) continue;
        const heading = buf.heading[i] ?? Number.NaN;
        const f = (pool[n] ??= { type: 'Feature', id: 0, geometry: { type: 'Point', coordinates: [0, 0] }, properties: { i: 0, st: '', cn: 0, hd: 0 } });
        f.id = i;
        const c = positionAt(buf, i, now, f.geometry.coordinates);
        toDisplay(c[0], c[1], c);
        const p = f.properties;
        p.i = i;
        p.st = st;
        p.cn = buf.connectivity[i] ?? 2;
        p.hd = Number.isNaN(heading) ? 0 : heading;
        features[n++] = f;
      }
      features.length = n;
      eligible = shown;
      if (pool.length > buf.byKind[def.kind].length) pool.length = buf.byKind[def.kind].length; // a smaller catalog
      source.setData(data as unknown as Parameters<GeoJSONSource['setData']>[0]);
    },
    pulse(phase) {
      const p = def.pulseLayer;
      if (!p || !visible) return;
      map.setPaintProperty(p.id, 'circle-radius', (p.baseRadius + p.growRadius * phase) * s);
      map.setPaintProperty(p.id, 'circle-opacity', 0.55 * (1 - phase));
      map.setPaintProperty(p.id, 'circle-stroke-opacity', 0.9 * (1 - phase));
    },
    setVisible(v) {
      visible = v;
      for (const spec of specs) map.setLayoutProperty(spec.id, 'visibility', v ? 'visible' : 'none');
    },
  };
}

/** `circle-color` / `icon-color` style expression: grey when offline, else the state's colour. */
export function stateColor(kind: EntityKind): ExpressionSpecification {
  const pairs: string[] = [];
  for (const [state, color] of Object.entries(STATE_COLORS[kind])) pairs.push(state, color);
  return ['case', ['==', ['get', 'cn'], 2], OFFLINE_COLOR, ['match', ['get', 'st'], ...pairs, OFFLINE_COLOR]] as unknown as ExpressionSpecification;
}

/** Stale entities are dimmed, offline ones greyed (by colour) and slightly dimmed. */
export const CONNECTIVITY_OPACITY: ExpressionSpecification = ['match', ['get', 'cn'], 0, 1, 1, 0.45, 0.6];

/** `icon-image` expression for icon kinds: the offline variant, or the state's variant. */
export function stateIcon(kind: 'vehicle' | 'muckTruck' | 'toilet'): ExpressionSpecification {
  return ['case', ['==', ['get', 'cn'], 2], `${kind}-offline`, ['concat', `${kind}-`, ['get', 'st']]];
}

/**
 * Zoom at and beyond which every marker shows, at UI scale 1. A 4K wall (scale 2) sees the
 * district one zoom level closer with markers twice the size, so its threshold is one higher:
 * the density on screen, not the zoom number, decides.
 */
export const ALL_MARKERS_ZOOM = 13;

/**
 * Layer filter that thins a dense kind at district zoom: features in `always` (alarms) show at
 * every zoom, the others one in `keepOneIn` (by catalog index, so the same ones stay put from
 * tick to tick) until the operator zooms in past ALL_MARKERS_ZOOM. Evaluated by the GL engine
 * per tile, not per tick: thinning costs the renderer nothing.
 */
export function thinAtDistrictZoom(always: ExpressionSpecification, keepOneIn: number, s: number): ExpressionSpecification {
  const allFrom = ALL_MARKERS_ZOOM + Math.log2(Math.max(1, s));
  return ['any', always, ['>=', ['zoom'], allFrom], ['==', ['%', ['get', 'i'], keepOneIn], 0]] as ExpressionSpecification;
}

/** A pulse ring under alarming features, animated by `pulse()`. */
/**
 * A moving unit drawn as its state's icon turned to its heading (vehicles, muck trucks);
 * `sortKey` puts the states that matter most on top where icons overlap.
 */
export function headingIconLayer(id: string, source: string, kind: 'vehicle' | 'muckTruck', size: number, sortKey: ExpressionSpecification, s: number): LayerSpecification {
  return {
    id, type: 'symbol', source,
    layout: {
      'icon-image': stateIcon(kind),
      'icon-size': zoomed(size, s),
      'icon-rotate': ['get', 'hd'],
      'icon-rotation-alignment': 'map',
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
      'symbol-sort-key': sortKey,
    },
    paint: { 'icon-opacity': CONNECTIVITY_OPACITY },
  };
}

export function pulseLayerSpec(id: string, source: string, filter: ExpressionSpecification, color: ExpressionSpecification | string, s: number): LayerSpecification {
  return {
    id, type: 'circle', source, filter,
    paint: {
      'circle-radius': 6 * s,
      'circle-color': color,
      'circle-opacity': 0.4,
      'circle-blur': 0.4,
      'circle-stroke-color': color,
      'circle-stroke-width': 1.5 * s,
      'circle-stroke-opacity': 0.8,
      'circle-pitch-alignment': 'map',
    },
  };
}

/**
 * Zoom-dependent size: `base` at the district view, growing when an operator zooms in.
 * `base` may be a data expression (per state); the zoom curve must stay the outermost expression.
 */
export function zoomed(base: number | ExpressionSpecification, s: number): ExpressionSpecification {
  const at = (k: number): number | ExpressionSpecification => (typeof base === 'number' ? base * s * k : ['*', s * k, base]);
  return ['interpolate', ['linear'], ['zoom'], 11, at(0.8), 13, at(1.15), 16, at(2)];
}
