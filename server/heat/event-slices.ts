/**
 * Cases or alarms binned into heat cells per hour, kept in memory once the hour is over, so a
 * month's layer is the sum of ≈720 small cached hours (array adds) instead of reading 100,000
 * alarm rows on every wall refresh; only the edges of a window that does not start or end on
 * the hour are read from the store each time. Rows written later with an earlier time (an
 * import, a pre-generated history) are noticed by the id they get — ids only grow — and the
 * hours from theirs on are computed again.
 */
import type { HeatEventKind } from '../../shared/schemas/heat.ts';
import { cellOf, type HeatGrid } from './grid.ts';
import type { HeatEventQueries } from './event-queries.ts';

const SLICE_MS = 3_600_000;
const NO_STREET = 255;

interface Slice { cells: Uint32Array; streets: Uint8Array }

export interface EventSlicesOptions {
  now: () => number;
  /** Rows of an hour may still be written this long after it ends (batched alarm writes). */
  settleMs: number;
  capacity?: number;
}

export class EventSlices {
  private readonly slices = new Map<number, Slice>();
  private readonly streetIndex: Map<string, number>;
  private readonly capacity: number;
  private lastId: number;
  readonly stats = { computed: 0, hits: 0, invalidated: 0 };

  constructor(
    private readonly queries: HeatEventQueries, private readonly kind: HeatEventKind,
    private readonly grid: HeatGrid, streets: readonly string[], private readonly opts: EventSlicesOptions,
  ) {
    this.streetIndex = new Map(streets.map((s, i) => [s, i]));
    this.capacity = opts.capacity ?? 93 * 24;
    this.lastId = this.maxId();
  }

  /** Events of [from, to) per cell, optionally of one street, added into `into`. */
  addTo(from: number, to: number, into: Float64Array, street?: string): void {
    this.invalidateLateRows();
    const firstWhole = Math.ceil(from / SLICE_MS) * SLICE_MS;
    const lastWhole = Math.floor(to / SLICE_MS) * SLICE_MS;
    if (firstWhole >= lastWhole) return this.addRows(from, to, into, street);
    if (from < firstWhole) this.addRows(from, firstWhole, into, street);
    if (lastWhole < to) this.addRows(lastWhole, to, into, street);
    const settled = Math.floor((this.opts.now() - this.opts.settleMs) / SLICE_MS) * SLICE_MS;
    // Hours not final yet (the running one, or later) are read each time, like the edges.
    if (settled < lastWhole) this.addRows(Math.max(settled, firstWhole), lastWhole, into, street);
    const cachedTo = Math.min(lastWhole, settled);
    if (firstWhole >= cachedTo) return;
    this.fill(firstWhole, cachedTo);
    const want = street === undefined ? -1 : (this.streetIndex.get(street) ?? NO_STREET);
    for (let a = firstWhole; a < cachedTo; a += SLICE_MS) {
      const s = this.slices.get(a)!;
      this.slices.delete(a); // most recently used last
      this.slices.set(a, s);
      for (let k = 0; k < s.cells.length; k++) if (want < 0 || s.streets[k] === want) into[s.cells[k]!]! += 1;
    }
  }

  get size(): number { return this.slices.size; }

  /** Computes the missing hours of [from, to) with one read of the store. */
  private fill(from: number, to: number): void {
    let lo = -1;
    let hi = -1;
    for (let a = from; a < to; a += SLICE_MS) {
      if (this.slices.has(a)) { this.stats.hits++; continue; }
      if (lo < 0) lo = a;
      hi = a + SLICE_MS;
    }
    if (lo < 0) return;
    const byHour = new Map<number, { cells: number[]; streets: number[] }>();
    for (const [lon, lat, street, ts] of this.queries.rows(this.kind, lo, hi)) {
      const c = cellOf(this.grid, lon, lat);
      if (c < 0) continue;
      const a = Math.floor(ts / SLICE_MS) * SLICE_MS;
      let h = byHour.get(a);
      if (!h) byHour.set(a, (h = { cells: [], streets: [] }));
      h.cells.push(c);
      h.streets.push(this.streetIndex.get(street) ?? NO_STREET);
    }
    for (let a = lo; a < hi; a += SLICE_MS) {
      if (this.slices.has(a)) continue;
      const h = byHour.get(a);
      this.slices.set(a, { cells: Uint32Array.from(h?.cells ?? []), streets: Uint8Array.from(h?.streets ?? []) });
      this.stats.computed++;
    }
    // Evict least recently used; a window larger than the capacity is still answered (its hours were just put in).
    while (this.slices.size > this.capacity) this.slices.delete(this.slices.keys().next().value!);
  }

  private addRows(from: number, to: number, into: Float64Array, street: string | undefined): void {
    for (const [lon, lat, st] of this.queries.rows(this.kind, from, to)) {
      if (street !== undefined && st !== street) continue;
      const c = cellOf(this.grid, lon, lat);
      if (c >= 0) into[c]! += 1;
    }
  }

  private invalidateLateRows(): void {
    const max = this.maxId();
    if (max <= this.lastId) return;
    const earliest = this.queries.earliestSince(this.kind, this.lastId);
    this.lastId = max;
    if (earliest === null) return;
    const from = Math.floor(earliest / SLICE_MS) * SLICE_MS;
    for (const a of [...this.slices.keys()]) if (a >= from) { this.slices.delete(a); this.stats.invalidated++; }
  }

  private maxId(): number {
    return this.queries.maxId(this.kind);
  }
}
