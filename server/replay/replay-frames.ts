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
import { CONNECTIVITY, ENTITY_STATUSES, isOdourAlarm, type EntityKind, type ToiletClass } from '../../shared/entities.ts';
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

interface Held {
  row: LiveRow;
  readings: readonly number[];
  attrs: Record<string, unknown>;
}

export class ReplayFrameBuilder {
  private readonly stepMs: number;
  private readonly keyframeMs: number;
  private readonly held = new Map<number, Held>();
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
  }

  /** Where the slice after `sliceStart()` ends (ms, inclusive), or null when the window is done. */
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
   * Each entity's points with sliceStart() < t ≤ nextSliceEnd() (oldest first): the slice's
   * delta frames in time order, then the keyframe at its end (none at `to`, where nothing follows).
   */
  slice(points: ReadonlyMap<string, readonly TrackPoint[]>): BuiltFrame[] {
    const start = this.sliceEnd;
    const end = this.nextSliceEnd();
    if (end === null) return [];
    const firstK = this.frameIndex(start) + 1;
    const lastK = this.frameIndex(end);
    const rowsByFrame: LiveRow[][] = Array.from({ length: lastK - firstK + 1 }, () => []);
    // Catalog order, so that each frame's rows come out sorted by index as the fan-out sends them.
    const entities: { id: string; i: number; kind: EntityKind }[] = [];
    for (const id of points.keys()) {
      const e = this.opts.index.get(id);
      if (e) entities.push({ id, i: e.i, kind: e.kind });
    }
    entities.sort((a, b) => a.i - b.i);
    for (const { id, i, kind } of entities) {
      let pendingK = -1;
      let pending: TrackPoint | undefined;
      for (const p of points.get(id)!) {
        const ms = p.t * 1000;
        if (ms <= start || ms > end) continue;
        const k = this.frameIndex(ms);
        // Latest value wins within a frame; only the last point of each frame is sent.
        if (pending && k !== pendingK) rowsByFrame[pendingK - firstK]!.push(this.hold(i, kind, id, pending));
        pendingK = k;
        pending = p;
      }
      if (pending) rowsByFrame[pendingK - firstK]!.push(this.hold(i, kind, id, pending));
    }
    const out: BuiltFrame[] = [];
    for (let k = firstK; k <= lastK; k++) {
      const rows = rowsByFrame[k - firstK]!;
      if (rows.length === 0) continue; // nothing changed: no frame (the player's clock runs on)
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

  /** Records the entity's new state and returns its delta row (attributes only when the readings changed). */
  private hold(i: number, kind: EntityKind, id: string, p: TrackPoint): LiveRow {
    const prev = this.held.get(i);
    const same = prev !== undefined && sameReadings(prev.readings, p.readings);
    const attrs = same ? prev.attrs : this.attrsOf(kind, id, p.readings);
    const prevPos = prev?.row.pos;
    const lon = p.lon === null ? null : p.lon / 1e6;
    const lat = p.lat === null ? null : p.lat / 1e6;
    let heading = prevPos?.heading;
    if (lon !== null && lat !== null && prevPos && (prevPos.lon !== lon || prevPos.lat !== lat)) {
      // History keeps no heading: the direction from the previous kept point turns the icon the way it went.
      heading = Math.round(bearingDeg(prevPos.lon, prevPos.lat, lon, lat)) % 360;
    }
    const ts = p.t * 1000;
    const row: LiveRow = {
      i, kind,
      status: ENTITY_STATUSES[kind][p.status] ?? ENTITY_STATUSES[kind][0],
      connectivity: CONNECTIVITY[p.conn] ?? 'offline',
      lastSeen: ts,
      pos: lon !== null && lat !== null ? (heading !== undefined ? { lon, lat, ts, heading } : { lon, lat, ts }) : undefined,
      attrs: same ? undefined : attrs,
    };
    this.held.set(i, { row, readings: p.readings, attrs });
    return row;
  }

  private attrsOf(kind: EntityKind, id: string, readings: readonly number[]): Record<string, unknown> {
    const attrs = readingsToAttrs(kind, readings);
    if (kind !== 'toilet') return attrs;
    const cls = this.opts.toiletClass?.(id);
    const nh3 = attrs['nh3'];
    const h2s = attrs['h2s'];
    if (cls && typeof nh3 === 'number' && typeof h2s === 'number') attrs['odourAlarm'] = isOdourAlarm(cls, nh3, h2s);
    return attrs;
  }

  private keyframe(t: number): BuiltFrame {
    const rows: LiveRow[] = [];
    for (const h of this.held.values()) rows.push(h.row.attrs === h.attrs ? h.row : { ...h.row, attrs: h.attrs });
    rows.sort((a, b) => a.i - b.i);
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

function sameReadings(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
