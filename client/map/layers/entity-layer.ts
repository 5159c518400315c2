/**
 * The shared machinery of the per-kind entity layers: one GeoJSON source per kind, added
 * once; afterwards each update sends the map only the features that changed since the last
 * (maplibre's `updateData`; mapbox-gl gets the whole kind with `setData`), read from the
 * non-reactive EntityBuffer.
 */
import type { ExpressionSpecification, GeoJSONFeatureDiff, GeoJSONSource, LayerSpecification } from 'maplibre-gl';
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
  /**
   * A moving kind drawn one in N at district zoom (alarms, `alwaysShown`, always), thinned
   * before it is handed to the map: a layer filter would hide the same markers, but the map
   * would still re-cut every hidden one on every report.
   */
  districtKeepOneIn?: number;
}

export interface EntityLayer {
  readonly kind: EntityKind;
  readonly hitLayers: string[];
  /** One in how many the kind is drawn at district zoom (1: all). */
  readonly districtKeepOneIn: number;
  /** Features in the source right now. */
  count(): number;
  /** Markers the kind has to show (a position, a known status) before any thinning: what the legend counts. */
  shown(): number;
  /**
   * Markers the kind has to show (thinned out or not) whose position at `now`, in the basemap's
   * CRS, lies inside a box: what a full drawing of the view shows.
   */
  countWithin(buf: EntityBuffer, now: number, w: number, s: number, e: number, n: number): number;
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

/** What the map holds of one feature (by catalog index), to send it only what changed. */
interface Held { x: number; y: number; st: string; cn: number; hd: number; seen: number }

const pointFeature = (i: number, h: Held): PointFeature => ({
  type: 'Feature', id: i, geometry: { type: 'Point', coordinates: [h.x, h.y] }, properties: { i, st: h.st, cn: h.cn, hd: h.hd },
});

/**
 * `diffs`: the map's sources take maplibre's feature diffs (`takesFeatureDiffs` in engine.ts);
 * without, every update hands it the whole kind.
 */
export function addEntityLayer(map: GLMap, def: EntityLayerDef, s: number, beforeId?: string, toDisplay: ToDisplay = identityToDisplay, diffs = false): EntityLayer {
  const sourceId = `live-${def.kind}`;
  map.addSource(sourceId, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const specs = def.layers(sourceId, s);
  for (const spec of specs) map.addLayer(spec, beforeId && map.getLayer(beforeId) ? beforeId : undefined);
  const source = map.getSource(sourceId) as GeoJSONSource;
  let visible = true;
  /**
   * The features the map holds, by catalog index. A tick sends the map only the difference
   * (maplibre's `updateData`): its worker then re-cuts only the tiles the moved features touch,
   * instead of re-indexing the whole kind as `setData` does — the cost that dominated a wall
   * with a city's fleet. Objects handed to the map are never written again (it keeps them).
   */
  const held = new Map<number, Held>();
  /** Set until the map has everything (first update, or after a diff failed): then `setData` once. */
  let wholeNeeded = !diffs;
  let tick = 0;
  let eligible = 0;
  const at: [number, number] = [0, 0];

  /** The visual state entity `i` is drawn in, or null when it is not drawn (no position, a status this client does not know yet). */
  const drawnState = (buf: EntityBuffer, i: number): string | null => {
    if (!buf.hasPos[i]) return null;
    let status: string;
    try {
      status = statusFromCode(def.kind, buf.statusCode[i] ?? 0);
    } catch {
      return null; // skip rather than draw it wrongly
    }
    return def.visualState(status, buf.attrs[i]);
  };

  const sendWhole = () => {
    const features: PointFeature[] = [];
    for (const [i, h] of held) features.push(pointFeature(i, h));
    void source.setData({ type: 'FeatureCollection', features } as unknown as Parameters<GeoJSONSource['setData']>[0]);
  };

  return {
    kind: def.kind,
    hitLayers: def.hitLayers,
    districtKeepOneIn: def.districtKeepOneIn ?? 1,
    count: () => (visible ? held.size : 0),
    shown: () => (visible ? eligible : 0),
    countWithin(buf, now, w, so, e, n) {
      if (!visible) return 0;
      let k = 0;
      for (const i of buf.byKind[def.kind]) {
        if (drawnState(buf, i) === null) continue;
        const [x, y] = positionAt(buf, i, now, at);
        toDisplay(x, y, at);
        if (at[0] >= w && at[0] <= e && at[1] >= so && at[1] <= n) k++;
      }
      return k;
    },
    update(buf, now, keepOneIn = 1) {
      tick++;
      const add: PointFeature[] = [];
      const update: GeoJSONFeatureDiff[] = [];
      const remove: number[] = [];
      let shown = 0;
      for (const i of buf.byKind[def.kind]) {
        const st = drawnState(buf, i);
        if (st === null) continue;
        shown++;
        if (keepOneIn > 1 && i % keepOneIn !== 0 && !def.alwaysShown?.includes(st)) continue;
        const heading = buf.heading[i] ?? Number.NaN;
        const hd = Number.isNaN(heading) ? 0 : heading;
        const cn = buf.connectivity[i] ?? 2;
        const c = positionAt(buf, i, now, at);
        toDisplay(c[0], c[1], c);
        const h = held.get(i);
        if (!h) {
          const fresh: Held = { x: c[0], y: c[1], st, cn, hd, seen: tick };
          held.set(i, fresh);
          add.push(pointFeature(i, fresh));
          continue;
        }
        h.seen = tick;
        const moved = h.x !== c[0] || h.y !== c[1];
        const props: { key: string; value: unknown }[] = [];
        if (h.st !== st) props.push({ key: 'st', value: (h.st = st) });
        if (h.cn !== cn) props.push({ key: 'cn', value: (h.cn = cn) });
        if (h.hd !== hd) props.push({ key: 'hd', value: (h.hd = hd) });
        if (!moved && props.length === 0) continue;
        const change: GeoJSONFeatureDiff = { id: i };
        if (moved) {
          h.x = c[0];
          h.y = c[1];
          change.newGeometry = { type: 'Point', coordinates: [h.x, h.y] };
        }
        if (props.length > 0) change.addOrUpdateProperties = props;
        update.push(change);
      }
      // Features no longer shown (no position, thinned out, another kind in a new catalog).
      for (const [i, h] of held) {
        if (h.seen === tick) continue;
        held.delete(i);
        remove.push(i);
      }
      eligible = shown;
      if (wholeNeeded) {
        wholeNeeded = !diffs;
        sendWhole();
        return;
      }
      if (add.length === 0 && update.length === 0 && remove.length === 0) return;
      source.updateData({ add, update, remove }).catch((err: unknown) => {
        // The map's copy may now differ from `held`: hand it everything on the next tick.
        console.warn(`[map] ${sourceId}: a feature diff failed, resending the whole layer`, err);
        wholeNeeded = true;
      });
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
