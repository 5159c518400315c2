/**
 * Turns kept history points into live-codec frames, so the wall's own buffer and renderer
 * play the past: a keyframe (full frame) at `from` built from `positionsAt(from)`, then, slice
 * by slice, one delta frame per step with the latest state of each entity that changed in
 * (previous frame, this frame], and a keyframe at the end of every slice for seeking.
 *
 * A slice is exactly one keyframe interval, so the state at its end (held here per entity)
 * is the keyframe. Pure: no store, no clock — the route feeds it slices of `history.window()`.
 */
import { bearingDeg } from '../../shared/geo.ts';
import { isOdourAlarm, type EntityKind, type ToiletClass } from '../../shared/entities.ts';
import { encodeLiveFrame, type LiveRow } from '../../shared/live-codec.ts';
import type { HistoryEntityState, HistoryPoint } from '../history/history-store.ts';

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
  /** The attributes as last sent, serialised: a delta carries them only when they changed. */
  attrsKey: string;
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

  /** Where the next slice ends (ms, inclusive), or null when the window is done. */
  nextSliceEnd(): number | null {
    if (this.sliceEnd >= this.opts.to) return null;
    return Math.min(this.opts.to, this.sliceEnd + this.keyframeMs);
  }

  /** The keyframe at `from`: every entity's last kept state at or before it. */
  start(states: readonly HistoryEntityState[]): BuiltFrame {
    for (const s of states) {
      const e = this.opts.index.get(s.entityId);
      if (e) this.hold(e.i, e.kind, s.entityId, s);
    }
    return this.keyframe(this.opts.from);
  }

  /**
   * Points with sliceStart < ts ≤ nextSliceEnd() (each entity's oldest first), as
   * `history.window(sliceStart + 1, nextSliceEnd())` gives them: the slice's delta frames
   * in time order, then the keyframe at its end (none at `to`, where nothing follows).
   */
  slice(points: ReadonlyMap<string, readonly HistoryPoint[]>): BuiltFrame[] {
    const start = this.sliceEnd;
    const end = this.nextSliceEnd();
    if (end === null) return [];
    const firstK = this.frameIndex(start) + 1;
    const lastK = this.frameIndex(end);
    const rowsByFrame: LiveRow[][] = Array.from({ length: lastK - firstK + 1 }, () => []);
    // Catalog order, so that each frame's rows come out sorted by index as the fan-out sends them.
    const entities = [...points.keys()].flatMap((id) => {
      const e = this.opts.index.get(id);
      return e ? [{ id, ...e }] : [];
    }).sort((a, b) => a.i - b.i);
    for (const { id, i, kind } of entities) {
      let pendingK = -1;
      let pending: HistoryPoint | undefined;
      for (const p of points.get(id)!) {
        if (p.ts <= start || p.ts > end) continue;
        const k = this.frameIndex(p.ts);
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
      const t = this.frameTime(k);
      out.push(this.frame(t, false, rows));
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

  /** Records the entity's new state and returns its delta row (attributes only when they changed). */
  private hold(i: number, kind: EntityKind, id: string, p: HistoryPoint): LiveRow {
    const prev = this.held.get(i);
    const attrs = this.attrsOf(kind, id, p.attrs);
    const attrsKey = JSON.stringify(attrs);
    let heading = prev?.row.pos?.heading;
    if (p.lon !== null && p.lat !== null && prev?.row.pos && (prev.row.pos.lon !== p.lon || prev.row.pos.lat !== p.lat)) {
      // History keeps no heading: the direction from the previous kept point turns the icon the way it went.
      heading = Math.round(bearingDeg(prev.row.pos.lon, prev.row.pos.lat, p.lon, p.lat));
    }
    const row: LiveRow = {
      i, kind, status: p.status, connectivity: p.connectivity, lastSeen: p.ts,
      pos: p.lon !== null && p.lat !== null ? { lon: p.lon, lat: p.lat, ts: p.ts, ...(heading !== undefined ? { heading } : {}) } : undefined,
    };
    this.held.set(i, { row: { ...row, attrs }, attrsKey });
    return prev && prev.attrsKey === attrsKey ? row : { ...row, attrs };
  }

  private attrsOf(kind: EntityKind, id: string, readings: Record<string, unknown>): Record<string, unknown> {
    if (kind !== 'toilet') return readings;
    const cls = this.opts.toiletClass?.(id);
    const nh3 = readings['nh3'];
    const h2s = readings['h2s'];
    if (!cls || typeof nh3 !== 'number' || typeof h2s !== 'number') return readings;
    return { ...readings, odourAlarm: isOdourAlarm(cls, nh3, h2s) };
  }

  private keyframe(t: number): BuiltFrame {
    const rows = [...this.held.values()].map((h) => h.row).sort((a, b) => a.i - b.i);
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
