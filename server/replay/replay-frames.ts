/**
 * Turns kept history points into live-codec frames, so the wall's own buffer and renderer
 * play the past: a keyframe (full frame) at `from` with every entity's last kept state, then,
 * slice by slice, one delta frame per step with the latest state of each entity that changed
 * in (previous frame, this frame], and a keyframe at the end of every slice for seeking.
 *
 * A slice is exactly one keyframe interval, so the state at its end (held here per entity)
 * is the keyframe. Points come in the history codec's integers (TrackPoint: seconds, 1e-6°,
 * status and connectivity codes — the same codes the live codec uses — and scaled readings),
 * and attribute objects are built only when an entity's readings changed. Pure: no store, no clock.
 */
import { bearingDeg } from '../../shared/geo.ts';
import { CONNECTIVITY, ENTITY_STATUSES, isOdourAlarm, type Connectivity, type EntityKind, type Position, type ToiletClass } from '../../shared/entities.ts';
import { encodeLiveFrame, type LiveRow } from '../../shared/live-codec.ts';
import { readingsToAttrs } from '../history/readings.ts';
import type { TrackPoint } from '../history/track-codec.ts';

export interface ReplayFrameOptions {
  from: number;
  to: number;
  stepS: number;
  /** A multiple of stepS. */
  keyframeS: number;
  /** Entity id → its catalog index and kind; entities not in it are left out. */
  index: ReadonlyMap<string, { i: number; kind: EntityKind }>;
  /** Static facts the drawn state depends on but history does not keep: a toilet's class (its odour limits). */
  toiletClass?: (id: string) => ToiletClass | undefined;
}

/** A frame ready to send, with the instant it shows. */
export interface BuiltFrame {
  t: number;
  full: boolean;
  rows: number;
  bytes: Uint8Array;
}

/** An entity's state as last sent, updated in place (one object per entity for the whole window). */
interface Held {
  i: number;
  kind: EntityKind;
  /** NaN before the entity's first fix (numbers only: the field stays a plain double). */
  lon: number;
  lat: number;
  heading: number | undefined;
  ts: number;
  status: string;
  connectivity: Connectivity;
  readings: readonly number[];
  attrs: Record<string, unknown>;
  /** A toilet's class, looked up once. */
  toiletClass: ToiletClass | undefined;
}

/** A row and its position object, reused from frame to frame: a frame is encoded as soon as it is filled. */
interface PooledRow extends LiveRow { pos: Position }

export class ReplayFrameBuilder {
  private readonly stepMs: number;
  private readonly keyframeMs: number;
  /** By catalog index; allocated dense at the catalog's size (a sparse array would be a slow dictionary). */
  private readonly held: (Held | undefined)[];
  /** Where each entity's point list was left by the previous slice (one read serves several slices). */
  private readonly cursors = new WeakMap<readonly TrackPoint[], number>();
  private readonly pool: PooledRow[] = [];
  /** End of the last slice fed (ms): the next slice starts after it. */
  private sliceEnd: number;
  readonly stats = { frames: 0, keyframes: 0, rows: 0 };

  constructor(private readonly opts: ReplayFrameOptions) {
    if (!(opts.stepS >= 1) || !Number.isInteger(opts.stepS)) throw new Error(`stepS must be a whole number ≥ 1, got ${opts.stepS}`);
    if (opts.keyframeS % opts.stepS !== 0) throw new Error(`keyframeS (${opts.keyframeS}) must be a multiple of stepS (${opts.stepS})`);
    if (opts.to <= opts.from) throw new Error('to must be after from');
    this.stepMs = opts.stepS * 1000;
    this.keyframeMs = opts.keyframeS * 1000;
    this.sliceEnd = opts.from;
    let size = 0;
    for (const e of opts.index.values()) size = Math.max(size, e.i + 1);
    this.held = new Array<Held | undefined>(size).fill(undefined);
  }

  /** Where the next slice ends (ms, inclusive), or null when the window is done. */
  nextSliceEnd(): number | null {
    if (this.sliceEnd >= this.opts.to) return null;
    return Math.min(this.opts.to, this.sliceEnd + this.keyframeMs);
  }

  /** Where the next slice starts (ms, exclusive). */
  sliceStart(): number {
    return this.sliceEnd;
  }

  /** The keyframe at `from`: every entity's last kept point at or before it. */
  start(states: ReadonlyMap<string, TrackPoint>): BuiltFrame {
    for (const [id, p] of states) {
      const e = this.opts.index.get(id);
      if (e) this.hold(e.i, e.kind, id, p);
    }
    return this.keyframe(this.opts.from);
  }

  /**
   * Points of the next slice: each entity's points (oldest first) — those outside
   * (sliceStart(), nextSliceEnd()] are passed over, so a caller may hand a longer read.
   * Returns the slice's delta frames in time order, then the keyframe at its end (none at
   * `to`, where nothing follows).
   */
  slice(points: ReadonlyMap<string, readonly TrackPoint[]>): BuiltFrame[] {
    const start = this.sliceEnd;
    const end = this.nextSliceEnd();
    if (end === null) return [];
    const firstK = this.frameIndex(start) + 1;
    const lastK = this.frameIndex(end);
    // Catalog order, so that each frame's rows come out sorted by index as the fan-out sends them.
    const entities: { id: string; i: number; kind: EntityKind }[] = [];
    for (const id of points.keys()) {
      const e = this.opts.index.get(id);
      if (e) entities.push({ id, i: e.i, kind: e.kind });
    }
    entities.sort((a, b) => a.i - b.i);
    // Which entity's which point each frame sends: latest value wins within a frame.
    const frameEntities: number[][] = Array.from({ length: lastK - firstK + 1 }, () => []);
    const framePoints: TrackPoint[][] = Array.from({ length: lastK - firstK + 1 }, () => []);
    for (let n = 0; n < entities.length; n++) {
      let pendingK = -1;
      let pending: TrackPoint | undefined;
      const list = points.get(entities[n]!.id)!;
      let c = this.cursors.get(list) ?? 0;
      while (c < list.length && list[c]!.t * 1000 <= start) c++;
      for (; c < list.length; c++) {
        const p = list[c]!;
        const ms = p.t * 1000;
        if (ms > end) break;
        const k = this.frameIndex(ms);
        if (pending && k !== pendingK) { frameEntities[pendingK - firstK]!.push(n); framePoints[pendingK - firstK]!.push(pending); }
        pendingK = k;
        pending = p;
      }
      this.cursors.set(list, c);
      if (pending) { frameEntities[pendingK - firstK]!.push(n); framePoints[pendingK - firstK]!.push(pending); }
    }
    const out: BuiltFrame[] = [];
    for (let k = firstK; k <= lastK; k++) {
      const ents = frameEntities[k - firstK]!;
      if (ents.length === 0) continue; // nothing changed: no frame (the player's clock runs on)
      const pts = framePoints[k - firstK]!;
      const rows = this.rows(ents.length);
      for (let r = 0; r < ents.length; r++) {
        const e = entities[ents[r]!]!;
        const h = this.hold(e.i, e.kind, e.id, pts[r]!);
        fillRow(rows[r]!, h, this.readingsChanged);
      }
      out.push(this.frame(this.frameTime(k), false, rows));
    }
    this.sliceEnd = end;
    if (end < this.opts.to) out.push(this.keyframe(end));
    return out;
  }

  /** Frame k shows the instant from + k·step (the last one `to`); a point at ts belongs to the first frame at or after it. */
  private frameIndex(ts: number): number {
    return Math.ceil((ts - this.opts.from) / this.stepMs);
  }

  private frameTime(k: number): number {
    return Math.min(this.opts.to, this.opts.from + k * this.stepMs);
  }

  /** `n` pooled rows (the pool grows to the largest frame, never beyond). */
  private rows(n: number): PooledRow[] {
    while (this.pool.length < n) {
      this.pool.push({ i: 0, kind: 'staff', status: '', connectivity: 'offline', lastSeen: 0, pos: { lon: 0, lat: 0, ts: 0 }, attrs: undefined });
    }
    return this.pool.length === n ? this.pool : this.pool.slice(0, n);
  }

  /** Whether the last `hold` changed the entity's readings (its row then carries its attributes). */
  private readingsChanged = false;

  /** Records the entity's new state in place. */
  private hold(i: number, kind: EntityKind, id: string, p: TrackPoint): Held {
    const lon = p.lon === null ? Number.NaN : p.lon / 1e6;
    const lat = p.lat === null ? Number.NaN : p.lat / 1e6;
    const status = ENTITY_STATUSES[kind][p.status] ?? ENTITY_STATUSES[kind][0];
    const connectivity = CONNECTIVITY[p.conn] ?? 'offline';
    const ts = p.t * 1000;
    let h = this.held[i];
    if (!h) {
      const toiletClass = kind === 'toilet' ? this.opts.toiletClass?.(id) : undefined;
      h = { i, kind, lon, lat, heading: undefined, ts, status, connectivity, readings: p.readings, attrs: attrsOf(kind, toiletClass, p.readings), toiletClass };
      this.held[i] = h;
      this.readingsChanged = true;
      return h;
    }
    if (!Number.isNaN(lon) && !Number.isNaN(h.lon) && (h.lon !== lon || h.lat !== lat)) {
      // History keeps no heading: the direction from the previous kept point turns the icon the way it went.
      h.heading = Math.round(bearingDeg(h.lon, h.lat, lon, lat)) % 360;
    }
    h.lon = lon;
    h.lat = lat;
    h.ts = ts;
    h.status = status;
    h.connectivity = connectivity;
    this.readingsChanged = !sameReadings(h.readings, p.readings);
    if (this.readingsChanged) {
      h.readings = p.readings;
      h.attrs = attrsOf(kind, h.toiletClass, p.readings);
    }
    return h;
  }

  private keyframe(t: number): BuiltFrame {
    const rows: LiveRow[] = [];
    for (const h of this.held) {
      if (!h) continue;
      const row = { i: 0, kind: h.kind, status: '', connectivity: h.connectivity, lastSeen: 0, pos: { lon: 0, lat: 0, ts: 0 } } as PooledRow;
      fillRow(row, h, true);
      rows.push(row);
    }
    this.stats.keyframes++;
    return this.frame(t, true, rows);
  }

  private frame(t: number, full: boolean, rows: LiveRow[]): BuiltFrame {
    this.stats.frames++;
    this.stats.rows += rows.length;
    // version = the instant shown: it only grows, and a player can tell frames apart by it.
    return { t, full, rows: rows.length, bytes: encodeLiveFrame({ full, version: t, baseVersion: full ? 0 : t - this.stepMs, serverTime: t }, rows) };
  }
}

/** The readings as attributes; a toilet's odour alarm recomputed from them and its class. */
function attrsOf(kind: EntityKind, toiletClass: ToiletClass | undefined, readings: readonly number[]): Record<string, unknown> {
  const attrs = readingsToAttrs(kind, readings);
  if (kind !== 'toilet') return attrs;
  const nh3 = attrs['nh3'];
  const h2s = attrs['h2s'];
  if (toiletClass && typeof nh3 === 'number' && typeof h2s === 'number') attrs['odourAlarm'] = isOdourAlarm(toiletClass, nh3, h2s);
  return attrs;
}

/** The row for an entity's held state; its attributes only when asked (they changed, or a keyframe). */
function fillRow(row: PooledRow, h: Held, withAttrs: boolean): void {
  row.i = h.i;
  row.kind = h.kind;
  row.status = h.status;
  row.connectivity = h.connectivity;
  row.lastSeen = h.ts;
  row.attrs = withAttrs ? h.attrs : undefined;
  if (Number.isNaN(h.lon) || Number.isNaN(h.lat)) {
    // No fix yet: the codec writes "no position" for a row without one.
    (row as LiveRow).pos = undefined;
    return;
  }
  const pos = row.pos ?? (row.pos = { lon: 0, lat: 0, ts: 0 });
  pos.lon = h.lon;
  pos.lat = h.lat;
  pos.ts = h.ts;
  pos.heading = h.heading;
}

function sameReadings(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
