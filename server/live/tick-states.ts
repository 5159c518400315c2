/**
 * The live state as screens see it, kept for the last few ticks: one LiveColumns per captured
 * version (shared/live-columns.ts, the wire's integers). A screen's base is one of these
 * versions, so the frame that brings it up to date is the difference of two captures — exact
 * whatever ticks it skipped — and a screen that reconnects with a version still in the ring
 * gets that difference instead of a snapshot.
 *
 * A capture copies the previous one (typed-array copies) and rewrites only the entities that
 * changed since, which the change stream names; evicted captures' arrays are reused.
 */
import { randomBytes } from 'node:crypto';
import { CONNECTIVITY } from '../../shared/entities.ts';
import { statusCode } from '../../shared/live-codec.ts';
import { LiveColumns, quantisePosition, type ColumnRow } from '../../shared/live-columns.ts';
import type { LiveEntity, LiveState } from './live-state.ts';

export interface TickState {
  version: number;
  serverTime: number;
  cols: LiveColumns;
  /** Catalog indices that changed since the previous capture, ascending. */
  changed: Uint32Array;
}

/** Captures kept: at one a tick, a screen away for longer than this many ticks gets a snapshot. */
export const DEFAULT_RING_TICKS = 30;

export function columnRowOf(e: LiveEntity): ColumnRow {
  const q = e.pos ? quantisePosition(e.pos) : null;
  return {
    hasPos: q !== null,
    lon: q?.lon ?? 0, lat: q?.lat ?? 0, fixSec: q?.fixSec ?? 0, speed10: q?.speed10 ?? 0, heading: q?.heading ?? 0xffff,
    seenSec: Math.round(e.lastSeen / 1000),
    status: statusCode(e.kind, e.status),
    conn: CONNECTIVITY.indexOf(e.connectivity),
    attrsVersion: e.attrsVersion,
    attrs: e.attrs as unknown as Record<string, unknown>,
  };
}

export class LiveTickStates {
  /** Versions restart with the process: a screen resumes only from a version of this stream. */
  readonly streamId = randomBytes(8).toString('hex');
  private readonly ring: TickState[] = [];
  private readonly dirty = new Set<number>();
  private spare: LiveColumns | undefined;
  private readonly unsubscribers: (() => void)[];

  constructor(private readonly live: LiveState, private readonly capacity = DEFAULT_RING_TICKS, private readonly now: () => number = Date.now) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`tick ring capacity must be a positive integer, got ${capacity}`);
    this.unsubscribers = [
      live.changes.subscribe('tick-states', (c) => this.dirty.add(c.entity.index)),
      live.onCatalog('tick-states', (a) => this.dirty.add(a.entity.index)),
    ];
  }

  unsubscribe(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  get latest(): TickState | undefined {
    return this.ring[this.ring.length - 1];
  }

  /** The live state now, as a capture (the latest one again when nothing changed since). */
  capture(): TickState {
    const last = this.latest;
    if (last && last.version === this.live.version && this.dirty.size === 0) return last;
    const entities = this.live.all();
    const size = entities.length;
    let changed: Uint32Array;
    let cols: LiveColumns;
    if (last) {
      cols = LiveColumns.copyOf(last.cols, size, this.spare);
      this.spare = undefined;
      changed = Uint32Array.from(this.dirty).sort();
    } else {
      cols = new LiveColumns(size);
      changed = Uint32Array.from({ length: size }, (_, i) => i);
    }
    for (const i of changed) {
      const e = entities[i];
      if (e) cols.set(i, columnRowOf(e));
    }
    this.dirty.clear();
    const state: TickState = { version: this.live.version, serverTime: this.now(), cols, changed };
    this.ring.push(state);
    if (this.ring.length > this.capacity) this.spare = this.ring.shift()!.cols;
    return state;
  }

  /** The capture of exactly `version`, if the ring still holds it. */
  at(version: number): TickState | undefined {
    for (let k = this.ring.length - 1; k >= 0; k--) {
      const s = this.ring[k]!;
      if (s.version === version) return s;
      if (s.version < version) return undefined;
    }
    return undefined;
  }

  /** Indices changed after `baseVersion` up to `upTo` (both captured), ascending. */
  changedBetween(baseVersion: number, upTo: number): number[] {
    const seen = new Set<number>();
    for (const s of this.ring) {
      if (s.version <= baseVersion || s.version > upTo) continue;
      for (const i of s.changed) seen.add(i);
    }
    return [...seen].sort((a, b) => a - b);
  }
}
