/**
 * Pushes the EntityBuffer onto the map: one animation-frame loop that coalesces every
 * update that arrived since the last frame. Moving kinds are redrawn at ~15 fps while they
 * glide; static kinds (toilets, bins) only when their state changed. Alarm rings breathe.
 */
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { isGliding, positionAt } from '../realtime/interpolation.ts';
import type { GLMap } from './engine.ts';
import { addEntityLayer, type EntityLayer } from './layers/entity-layer.ts';
import { ENTITY_LAYER_DEFS, GLIDING_KINDS } from './layers/index.ts';
import type { GeoJSONSource } from 'maplibre-gl';
import { identityToDisplay, type ToDisplay } from '../../shared/basemap.ts';

/** One redraw tick (~10 fps) for gliding fleets and alarm pulses: smooth enough on a wall, cheap on a software GL. */
const FRAME_MS = 100;
const PULSE_PERIOD_MS = 1400;
const COUNTS_EVERY_MS = 1000;
const SELECTION_SOURCE = 'live-selection';

export class LiveRenderer {
  private readonly layers = new Map<EntityKind, EntityLayer>();
  private raf = 0;
  private lastFrame = 0;
  private lastCounts = 0;
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
    const beforeId = map.getLayer('road-labels') ? 'road-labels' : map.getLayer('street-labels') ? 'street-labels' : undefined;
    for (const def of ENTITY_LAYER_DEFS) this.layers.set(def.kind, addEntityLayer(map, def, s, beforeId, toDisplay));
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

  /** Features of each kind fed to the map whose position is inside the map's view now. */
  inViewCounts(): Record<EntityKind, number> {
    const b = this.map.getBounds();
    return Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.layers.get(k)?.countWithin(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()) ?? 0])) as Record<EntityKind, number>;
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
    for (const [kind, layer] of this.layers) {
      const redraw = dirty.has(kind) || moved.has(kind) || (GLIDING_KINDS.has(kind) && isGliding(this.buffer, kind, t));
      if (redraw) layer.update(this.buffer, t);
    }
    this.drawSelection(t);
    const phase = (t % PULSE_PERIOD_MS) / PULSE_PERIOD_MS;
    for (const layer of this.layers.values()) layer.pulse(phase);
    if (t - this.lastCounts >= COUNTS_EVERY_MS) {
      this.lastCounts = t;
      const counts = this.renderedCounts();
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
    const at = show ? positionAt(this.buffer, i, t) : null;
    src.setData({
      type: 'FeatureCollection',
      features: at ? [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: this.toDisplay(at[0], at[1], at) } }] : [],
    });
  }
}
