/**
 * Cases or alarms per hour — binned into heat cells, and counted per street and quarter hour —
 * kept in memory once the hour is over, so a month's layer, street × hour matrix or calendar is
 * the sum of ≈720 small cached hours instead of reading 100,000 alarm rows on every refresh;
 * only the edges of a window that does not start or end on the hour, and the hour still
 * running, are read from the store each time. Rows written later with an earlier time (an
 * import, a pre-generated history) are noticed by the id they get — ids only grow — and the
 * hours from theirs on are computed again.
 */
import type { HeatEventKind } from '../../shared/schemas/heat.ts';
import { cellOf, type HeatGrid } from './grid.ts';
import type { HeatEventQueries } from './event-queries.ts';
import { QUARTER_MS, type StreetQuarterCount } from './local-buckets.ts';

const SLICE_MS = 3_600_000;
const NO_STREET = 255;

/** An hour: each located event's cell and street; and every event (located or not) per quarter × street ([quarter × (streets + 1) + street], the last for other streets). */
interface Slice { cells: Uint32Array; streets: Uint8Array; quarters: Uint32Array }

export interface EventSlicesOptions {
  now: () => number;
  /** Rows of an hour may still be written this long after it ends (batched alarm writes). */
  settleMs: number;
  capacity?: number;
}

export class EventSlices {
  private readonly slices = new Map<number, Slice>();
  private readonly streetIndex: Map<string, number>;
  private readonly streetCodes: readonly string[];
  private readonly capacity: number;
  private lastId: number;
  readonly stats = { computed: 0, hits: 0, invalidated: 0 };

  constructor(
    private readonly queries: HeatEventQueries, private readonly kind: HeatEventKind,
    private readonly grid: HeatGrid, streets: readonly string[], private readonly opts: EventSlicesOptions,
  ) {
    this.streetIndex = new Map(streets.map((s, i) => [s, i]));
    this.streetCodes = streets;
    this.capacity = opts.capacity ?? 93 * 24;
    this.lastId = this.maxId();
  }

  /** Events of [from, to) per cell, optionally of one street, added into `into`. */
  addTo(from: number, to: number, into: Float64Array, street?: string): void {
    const plan = this.plan(from, to);
    for (const [a, b] of plan.direct) this.addRows(a, b, into, street);
    const want = street === undefined ? -1 : (this.streetIndex.get(street) ?? NO_STREET);
    for (const s of plan.cached) {
      for (let k = 0; k < s.cells.length; k++) if (want < 0 || s.streets[k] === want) into[s.cells[k]!]! += 1;
    }
  }

  /** Events of [from, to) per street and UTC quarter hour (streets not of the district as ''). */
  quarterCounts(from: number, to: number): StreetQuarterCount[] {
    const plan = this.plan(from, to);
    const out: StreetQuarterCount[] = [];
    for (const [a, b] of plan.direct) out.push(...this.queries.byStreetQuarter(this.kind, a, b));
    const width = this.streetCodes.length + 1;
    for (const s of plan.cached) {
      for (let k = 0; k < s.quarters.length; k++) {
        const n = s.quarters[k]!;
        if (n > 0) out.push({ street: this.streetCodes[k % width] ?? '', q: plan.quarterOf.get(s)! + Math.floor(k / width), n });
      }
    }
    return out;
  }

  /** Reads the settled hours of [from, to) not held yet (the warmer, so that a first request finds them). */
  warm(from: number, to: number): void {
    this.plan(from, to);
  }

  /** Which parts of [from, to) are read from the store (edges, hours not settled) and which hours come from memory. */
  private plan(from: number, to: number): { direct: [number, number][]; cached: Slice[]; quarterOf: Map<Slice, number> } {
    this.invalidateLateRows();
    const direct: [number, number][] = [];
    const cached: Slice[] = [];
    const quarterOf = new Map<Slice, number>();
    const firstWhole = Math.ceil(from / SLICE_MS) * SLICE_MS;
    const lastWhole = Math.floor(to / SLICE_MS) * SLICE_MS;
    if (firstWhole >= lastWhole) return { direct: [[from, to]], cached, quarterOf };
    if (from < firstWhole) direct.push([from, firstWhole]);
    if (lastWhole < to) direct.push([lastWhole, to]);
    const settled = Math.floor((this.opts.now() - this.opts.settleMs) / SLICE_MS) * SLICE_MS;
    // Hours not final yet (the running one, or later) are read each time, like the edges.
    if (settled < lastWhole) direct.push([Math.max(settled, firstWhole), lastWhole]);
    const cachedTo = Math.min(lastWhole, settled);
    if (firstWhole < cachedTo) {
      this.fill(firstWhole, cachedTo);
      for (let a = firstWhole; a < cachedTo; a += SLICE_MS) {
        const s = this.slices.get(a)!;
        this.slices.delete(a); // most recently used last
        this.slices.set(a, s);
        cached.push(s);
        quarterOf.set(s, a / QUARTER_MS);
      }
    }
    return { direct, cached, quarterOf };
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
    const width = this.streetCodes.length + 1;
    const byHour = new Map<number, { cells: number[]; streets: number[]; quarters: Uint32Array }>();
    for (const [lon, lat, street, ts] of this.queries.rows(this.kind, lo, hi)) {
      const a = Math.floor(ts / SLICE_MS) * SLICE_MS;
      let h = byHour.get(a);
      if (!h) byHour.set(a, (h = { cells: [], streets: [], quarters: new Uint32Array(4 * width) }));
      const si = this.streetIndex.get(street) ?? NO_STREET;
      h.quarters[Math.floor((ts - a) / QUARTER_MS) * width + Math.min(si, width - 1)]! += 1;
      const c = lon === null || lat === null ? -1 : cellOf(this.grid, lon, lat);
      if (c < 0) continue;
      h.cells.push(c);
      h.streets.push(si);
    }
    for (let a = lo; a < hi; a += SLICE_MS) {
      if (this.slices.has(a)) continue;
      const h = byHour.get(a);
      this.slices.set(a, { cells: Uint32Array.from(h?.cells ?? []), streets: Uint8Array.from(h?.streets ?? []), quarters: h?.quarters ?? new Uint32Array(4 * width) });
      this.stats.computed++;
    }
    // Evict least recently used; a window larger than the capacity is still answered (its hours were just put in).
    while (this.slices.size > this.capacity) this.slices.delete(this.slices.keys().next().value!);
  }

  private addRows(from: number, to: number, into: Float64Array, street: string | undefined): void {
    for (const [lon, lat, st] of this.queries.rows(this.kind, from, to)) {
      if (lon === null || lat === null || (street !== undefined && st !== street)) continue;
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
