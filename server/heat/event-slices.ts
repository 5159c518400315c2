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
  /** The newest row id seen; read at the first use (nothing is held before it). */
  private lastId: number | undefined;
  readonly stats = { computed: 0, hits: 0, invalidated: 0 };

  constructor(
    private readonly queries: HeatEventQueries, private readonly kind: HeatEventKind,
    private readonly grid: HeatGrid, streets: readonly string[], private readonly opts: EventSlicesOptions,
  ) {
    this.streetIndex = new Map(streets.map((s, i) => [s, i]));
    this.streetCodes = streets;
    this.capacity = opts.capacity ?? 93 * 24;
  }

  /** Events of [from, to) per cell, optionally of one street, added into `into`. */
  async addTo(from: number, to: number, into: Float64Array, street?: string): Promise<void> {
    const plan = await this.plan(from, to);
    for (const [a, b] of plan.direct) await this.addRows(a, b, into, street);
    const want = street === undefined ? -1 : (this.streetIndex.get(street) ?? NO_STREET);
    for (const s of plan.cached) {
      for (let k = 0; k < s.cells.length; k++) if (want < 0 || s.streets[k] === want) into[s.cells[k]!]! += 1;
    }
  }

  /** Events of [from, to) per street and UTC quarter hour (streets not of the district as ''). */
  async quarterCounts(from: number, to: number): Promise<StreetQuarterCount[]> {
    const plan = await this.plan(from, to);
    const out: StreetQuarterCount[] = [];
    for (const [a, b] of plan.direct) out.push(...await this.queries.byStreetQuarter(this.kind, a, b));
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
  async warm(from: number, to: number): Promise<void> {
    await this.plan(from, to);
  }

  /** Which parts of [from, to) are read from the store (edges, hours not settled) and which hours come from memory. */
  private async plan(from: number, to: number): Promise<{ direct: [number, number][]; cached: Slice[]; quarterOf: Map<Slice, number> }> {
    await this.invalidateLateRows();
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
      const hours = await this.fill(firstWhole, cachedTo);
      for (let a = firstWhole; a < cachedTo; a += SLICE_MS) {
        const s = hours.get(a)!;
        // Most recently used last — unless a late row dropped the hour meanwhile (another call's): then it is not put back.
        if (this.slices.delete(a)) this.slices.set(a, s);
        cached.push(s);
        quarterOf.set(s, a / QUARTER_MS);
      }
    }
    return { direct, cached, quarterOf };
  }

  get size(): number { return this.slices.size; }

  /**
   * Computes the missing hours of [from, to) with one read of the store; returns every hour of
   * it — those held taken before the read, so another call evicting one meanwhile takes nothing
   * from this answer.
   */
  private async fill(from: number, to: number): Promise<Map<number, Slice>> {
    const hours = new Map<number, Slice>();
    let lo = -1;
    let hi = -1;
    for (let a = from; a < to; a += SLICE_MS) {
      const held = this.slices.get(a);
      if (held) { this.stats.hits++; hours.set(a, held); continue; }
      if (lo < 0) lo = a;
      hi = a + SLICE_MS;
    }
    if (lo < 0) return hours;
    const width = this.streetCodes.length + 1;
    const byHour = new Map<number, { cells: number[]; streets: number[]; quarters: Uint32Array }>();
    for (const [lon, lat, street, ts] of await this.queries.rows(this.kind, lo, hi)) {
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
      if (hours.has(a)) continue;
      // Put in by another call while this one read: the same rows.
      const held = this.slices.get(a);
      if (held) { hours.set(a, held); continue; }
      const h = byHour.get(a);
      const s: Slice = { cells: Uint32Array.from(h?.cells ?? []), streets: Uint8Array.from(h?.streets ?? []), quarters: h?.quarters ?? new Uint32Array(4 * width) };
      this.slices.set(a, s);
      hours.set(a, s);
      this.stats.computed++;
    }
    // Evict least recently used; a window larger than the capacity is still answered (its hours were just put in).
    while (this.slices.size > this.capacity) this.slices.delete(this.slices.keys().next().value!);
    return hours;
  }

  private async addRows(from: number, to: number, into: Float64Array, street: string | undefined): Promise<void> {
    for (const [lon, lat, st] of await this.queries.rows(this.kind, from, to)) {
      if (lon === null || lat === null || (street !== undefined && st !== street)) continue;
      const c = cellOf(this.grid, lon, lat);
      if (c >= 0) into[c]! += 1;
    }
  }

  private async invalidateLateRows(): Promise<void> {
    const max = await this.queries.maxId(this.kind);
    if (this.lastId === undefined || max <= this.lastId) { this.lastId = Math.max(this.lastId ?? 0, max); return; }
    const seen = this.lastId;
    this.lastId = max;
    const earliest = await this.queries.earliestSince(this.kind, seen);
    if (earliest === null) return;
    const from = Math.floor(earliest / SLICE_MS) * SLICE_MS;
    for (const a of [...this.slices.keys()]) if (a >= from) { this.slices.delete(a); this.stats.invalidated++; }
  }
}
