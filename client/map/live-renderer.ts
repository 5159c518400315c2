/**
 * Pushes the EntityBuffer onto the map: one animation-frame loop that coalesces every
 * update that arrived since the last frame. Moving kinds are redrawn at up to 10 fps while they
 * glide; a fleet of thousands is thinned at district zoom and glides less often or not at all
 * (marker-budget.ts). Static kinds (toilets, bins) are redrawn only when their state changed.
 * Alarm rings breathe.
 */
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { isGliding, positionAt } from '../realtime/interpolation.ts';
import { takesFeatureDiffs, type GLMap } from './engine.ts';
import { ALL_MARKERS_ZOOM, addEntityLayer, type EntityLayer } from './layers/entity-layer.ts';
import { ENTITY_LAYER_DEFS, GLIDING_KINDS } from './layers/index.ts';
import { FRAME_MS, glidePolicy, keepOneIn } from './marker-budget.ts';
import type { GeoJSONSource } from 'maplibre-gl';
import { identityToDisplay, type ToDisplay } from '../../shared/basemap.ts';

const PULSE_PERIOD_MS = 1400;
const COUNTS_EVERY_MS = 1000;
const SELECTION_SOURCE = 'live-selection';

export class LiveRenderer {
  private readonly layers = new Map<EntityKind, EntityLayer>();
  private raf = 0;
  private lastFrame = 0;
  private lastCounts = 0;
  /** When each gliding kind was last redrawn mid-glide. */
  private readonly lastGlide = new Map<EntityKind, number>();
  /** Gliding kinds too big to glide now: drawn at their reports (and so is the selection ring). */
  private readonly stepping = new Set<EntityKind>();
  /** One in how many of each gliding kind the map was last handed. */
  private readonly kept = new Map<EntityKind, number>();
  /** The zoom from which every marker shows (one zoom level closer on a 4K wall, as the layer filters). */
  private readonly allMarkersZoom: number;
  private selected: number | null = null;
  private selectionShown = false;
  private sentCounts: Record<EntityKind, number> | null = null;

  constructor(
    private readonly map: GLMap,
    private readonly buffer: EntityBuffer,
    s: number,
    private readonly onCounts: (counts: Record<EntityKind, number>) => void,
    /** WGS-84 → the basemap's CRS (GCJ-02 tiles shift every marker). */
    private readonly toDisplay: ToDisplay = identityToDisplay,
  ) {
    this.allMarkersZoom = ALL_MARKERS_ZOOM + Math.log2(Math.max(1, s));
    const beforeId = map.getLayer('road-labels') ? 'road-labels' : map.getLayer('street-labels') ? 'street-labels' : undefined;
    for (const def of ENTITY_LAYER_DEFS) this.layers.set(def.kind, addEntityLayer(map, def, s, beforeId, toDisplay, takesFeatureDiffs(map)));
    map.addSource(SELECTION_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({
      id: 'selection-ring', type: 'circle', source: SELECTION_SOURCE,
      paint: { 'circle-radius': 14 * s, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 * s, 'circle-stroke-opacity': 0.95 },
    });
  }

  get hitLayers(): string[] {
    return [...this.layers.values()].flatMap((l) => l.hitLayers);
  }

  start(): void {
    if (this.raf !== 0) return;
    const loop = (t: number) => {
      this.raf = requestAnimationFrame(loop);
      this.frame(t);
    };
    this.raf = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  setVisible(kind: EntityKind, visible: boolean): void {
    this.layers.get(kind)?.setVisible(visible);
    this.lastCounts = 0;
  }

  select(index: number | null): void {
    this.selected = index;
    this.drawSelection(performance.now());
  }

  renderedCounts(): Record<EntityKind, number> {
    return Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.layers.get(k)?.count() ?? 0])) as Record<EntityKind, number>;
  }

  drawnCounts(): Record<EntityKind, number> {
    const out = Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;
    for (const [kind, layer] of this.layers) {
      const layers = layer.hitLayers.filter((id) => this.map.getLayer(id));
      out[kind] = new Set(this.map.queryRenderedFeatures({ layers }).map((f) => f.id)).size;
    }
    return out;
  }

  /** Markers of each kind to show (before any thinning) whose position is inside the map's view now. */
  inViewCounts(): Record<EntityKind, number> {
    const b = this.map.getBounds();
    const now = performance.now();
    return Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.layers.get(k)?.countWithin(this.buffer, now, b.getWest(), b.getSouth(), b.getEast(), b.getNorth()) ?? 0])) as Record<EntityKind, number>;
  }

  /** An entity's last reported position as received (WGS-84), before any shift into the basemap's CRS. */
  reportedPosition(i: number): [number, number] | null {
    return this.buffer.hasPos[i] ? [this.buffer.lon[i] ?? 0, this.buffer.lat[i] ?? 0] : null;
  }

  /** Where one drawn entity of a kind is on screen, in CSS pixels of the map container (tests, support). */
  drawnPoint(kind: EntityKind): { x: number; y: number; i: number } | null {
    const layer = this.layers.get(kind);
    if (!layer) return null;
    const { width, height } = this.map.getCanvas().getBoundingClientRect();
    for (const f of this.map.queryRenderedFeatures({ layers: layer.hitLayers.filter((id) => this.map.getLayer(id)) })) {
      if (f.geometry.type !== 'Point' || typeof f.properties?.['i'] !== 'number') continue;
      const p = this.map.project(f.geometry.coordinates as [number, number]);
      // Well inside the map, away from the edges that panels cover.
      if (p.x > width * 0.3 && p.x < width * 0.7 && p.y > height * 0.25 && p.y < height * 0.8) return { x: p.x, y: p.y, i: f.properties['i'] as number };
    }
    return null;
  }

  private frame(t: number): void {
    if (t - this.lastFrame < FRAME_MS) return;
    this.lastFrame = t;
    // Everything that arrived since the last tick is drawn once: bursts coalesce here.
    const { dirty, moved } = this.buffer.takeDirty();
    const zoom = this.map.getZoom();
    for (const [kind, layer] of this.layers) {
      const changed = dirty.has(kind) || moved.has(kind);
      const count = this.buffer.byKind[kind].length;
      const keep = GLIDING_KINDS.has(kind) ? keepOneIn(count, zoom, this.allMarkersZoom) : zoom < this.allMarkersZoom ? layer.districtKeepOneIn : 1;
      // Zooming across the threshold hands the map the other set at once.
      const rethinned = keep !== this.kept.get(kind);
      this.kept.set(kind, keep);
      if (!GLIDING_KINDS.has(kind)) {
        if (changed || rethinned) layer.update(this.buffer, t, keep);
        continue;
      }
      const policy = glidePolicy(Math.ceil(count / keep));
      if (!policy.glide) {
        // Too many to glide: each report is drawn where it is, once, when it arrives.
        this.stepping.add(kind);
        if (changed || rethinned) layer.update(this.buffer, Number.POSITIVE_INFINITY, keep);
        continue;
      }
      this.stepping.delete(kind);
      if (changed || rethinned || (t - (this.lastGlide.get(kind) ?? Number.NEGATIVE_INFINITY) >= policy.everyMs && isGliding(this.buffer, kind, t))) {
        layer.update(this.buffer, t, keep);
        this.lastGlide.set(kind, t);
      }
    }
    this.drawSelection(t);
    const phase = (t % PULSE_PERIOD_MS) / PULSE_PERIOD_MS;
    for (const layer of this.layers.values()) layer.pulse(phase);
    if (t - this.lastCounts >= COUNTS_EVERY_MS) {
      this.lastCounts = t;
      // What each kind shows, not what a thinned fleet hands the map: the legend counts the fleet.
      const counts = Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.layers.get(k)?.shown() ?? 0])) as Record<EntityKind, number>;
      // Vue hears about the counts only when they change, not once a second for weeks.
      if (!this.sentCounts || ENTITY_KINDS.some((k) => counts[k] !== this.sentCounts![k])) {
        this.sentCounts = counts;
        this.onCounts(counts);
      }
    }
  }

  private drawSelection(t: number): void {
    const src = this.map.getSource(SELECTION_SOURCE) as GeoJSONSource | undefined;
    if (!src) return;
    const i = this.selected;
    const show = i !== null && this.buffer.hasPos[i] === 1;
    if (!show && !this.selectionShown) return;
    this.selectionShown = show;
    const kind = show ? this.buffer.catalog[i]?.kind : undefined;
    const at = show ? positionAt(this.buffer, i, kind && this.stepping.has(kind) ? Number.POSITIVE_INFINITY : t) : null;
    src.setData({
      type: 'FeatureCollection',
      features: at ? [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: this.toDisplay(at[0], at[1], at) } }] : [],
    });
  }
}
