/**
 * Where units (staff, vehicles, muck trucks) spent their time, from the history store: dwell
 * seconds per heat cell, computed per hour slice and kept in memory once the hour is over
 * (history does not change behind it), so a month is the sum of ≈744 cached slices — array
 * adds — and only hours nobody asked for yet decode history. The hour still running is
 * recomputed at most once a minute. A warmer fills the hours in the background, newest first.
 */
import type { HistoryPort } from '../history/history-store.ts';
import { MOBILE_KINDS } from '../../shared/entities.ts';
import { localDate } from '../../shared/local-time.ts';
import { addDwell, cellCount, type HeatGrid } from './grid.ts';

export const SLICE_MS = 3_600_000;

export interface UnitDwellOptions {
  now: () => number;
  /** The district's: history's daily roll-up is by local day. */
  timeZone: string;
  /** Longest interval credited to one kept point (a longer silence is unknown time). */
  maxGapMs: number;
  /** How far behind real time history may be (its flush period and some): an hour is final only after its end plus this. */
  settleMs: number;
  /** Most closed slices kept (LRU); 31 days of hours (the longest units window) by default. */
  capacity?: number;
  /** How long the result of a slice not yet final is reused. */
  openTtlMs?: number;
}

/** One hour's non-empty cells and whole seconds (8 bytes a cell). */
interface Slice { cells: Uint32Array; seconds: Uint32Array; computedAt: number; final: boolean }

export class UnitDwell {
  private readonly slices = new Map<number, Slice>();
  private readonly wanted = new Set<number>();
  /** Hours being computed (their history read and decoded), by hour start. */
  private readonly computing = new Map<number, Promise<Slice>>();
  private readonly capacity: number;
  private readonly openTtlMs: number;
  readonly stats = { computed: 0, hits: 0 };

  constructor(private readonly history: HistoryPort, private readonly grid: HeatGrid, private readonly opts: UnitDwellOptions) {
    // Two more than 31 days: a 31-day window widened to whole hours spans up to 745.
    this.capacity = opts.capacity ?? 31 * 24 + 2;
    this.openTtlMs = opts.openTtlMs ?? 60_000;
  }

  /** [from, to) widened to whole hours: the window dwell is computed for. */
  static align(from: number, to: number): { from: number; to: number } {
    return { from: Math.floor(from / SLICE_MS) * SLICE_MS, to: Math.ceil(to / SLICE_MS) * SLICE_MS };
  }

  /**
   * Dwell seconds per cell over whole hours [from, to) (aligned by `align`), added into `into`,
   * newest hour first. Hours not held yet are computed while `budgetMs` lasts; those left over
   * are handed to the warmer (`warmWanted`) and their count returned, so one request
   * never holds the server for seconds decoding weeks of a fleet's history.
   */
  async addTo(from: number, to: number, into: Float64Array, budgetMs = Infinity): Promise<number> {
    const start = performance.now();
    const active = await this.daysWithPoints(from, to);
    let left = 0;
    for (let a = to - SLICE_MS; a >= from; a -= SLICE_MS) {
      if (!this.usable(a) && this.hasPoints(a, active) && performance.now() - start >= budgetMs) {
        this.wanted.add(a);
        left++;
        continue;
      }
      const s = await this.slice(a, active);
      for (let k = 0; k < s.cells.length; k++) into[s.cells[k]!]! += s.seconds[k]!;
    }
    return left;
  }

  /** Hours requests left to the warmer. */
  get backlog(): number { return this.wanted.size; }

  /** Computes hours requests left over, newest first, until `budgetMs` is spent; returns how many. */
  async warmWanted(budgetMs: number): Promise<number> {
    const start = performance.now();
    let done = 0;
    for (const a of [...this.wanted].sort((x, y) => y - x)) {
      if (performance.now() - start >= budgetMs) break;
      this.wanted.delete(a);
      if (this.usable(a)) continue;
      await this.slice(a, await this.daysWithPoints(a, a + SLICE_MS));
      done++;
    }
    return done;
  }

  /** Computes final hours of [from, to) not held yet, newest first, until `budgetMs` is spent; returns how many. */
  async warm(from: number, to: number, budgetMs: number): Promise<number> {
    const start = performance.now();
    let done = 0;
    for (let a = Math.floor((to - 1) / SLICE_MS) * SLICE_MS; a >= from && performance.now() - start < budgetMs; a -= SLICE_MS) {
      if (!this.isFinal(a) || this.slices.has(a)) continue;
      await this.slice(a, await this.daysWithPoints(a, a + SLICE_MS));
      done++;
    }
    return done;
  }

  get size(): number { return this.slices.size; }

  /** Bytes the held hours take (8 a non-empty cell). */
  get bytes(): number {
    let n = 0;
    for (const s of this.slices.values()) n += s.cells.byteLength + s.seconds.byteLength;
    return n;
  }

  private usable(a: number): boolean {
    const held = this.slices.get(a);
    return held !== undefined && (held.final || this.opts.now() - held.computedAt < this.openTtlMs);
  }

  private isFinal(a: number): boolean {
    // The slice reads maxGap past its end (to bound its last points' time), so that must be written too.
    return a + SLICE_MS + this.opts.maxGapMs + this.opts.settleMs <= this.opts.now();
  }

  /**
   * Local days with kept points of units, from history's daily roll-up: an hour in a day
   * without any (before history began, a server that was down) is empty without decoding.
   */
  private async daysWithPoints(from: number, to: number): Promise<Set<string>> {
    const tz = this.opts.timeZone;
    const rows = await this.history.daily(localDate(from - this.opts.maxGapMs, tz), localDate(to + this.opts.maxGapMs, tz));
    return new Set(rows.filter((r) => r.points > 0 && MOBILE_KINDS.includes(r.kind)).map((r) => r.day));
  }

  /** False when the days the hour reads (with maxGap either side) have no unit point at all: nothing to decode. */
  private hasPoints(a: number, active: Set<string>): boolean {
    const tz = this.opts.timeZone;
    return active.has(localDate(a - this.opts.maxGapMs, tz)) || active.has(localDate(a + SLICE_MS + this.opts.maxGapMs, tz));
  }

  private async slice(a: number, active: Set<string>): Promise<Slice> {
    const now = this.opts.now();
    const held = this.slices.get(a);
    if (held && (held.final || now - held.computedAt < this.openTtlMs)) {
      this.stats.hits++;
      this.slices.delete(a); // most recently used last
      this.slices.set(a, held);
      return held;
    }
    const final = this.isFinal(a);
    let s: Slice;
    if (!this.hasPoints(a, active)) s = { cells: new Uint32Array(0), seconds: new Uint32Array(0), computedAt: now, final };
    else {
      // The warmer and a request asking for the same hour at once decode it once.
      let running = this.computing.get(a);
      if (!running) {
        running = this.compute(a, now, final).finally(() => this.computing.delete(a));
        this.computing.set(a, running);
      }
      s = await running;
    }
    this.slices.delete(a);
    this.slices.set(a, s);
    while (this.slices.size > this.capacity) this.slices.delete(this.slices.keys().next().value!);
    return s;
  }

  private async compute(a: number, now: number, final: boolean): Promise<Slice> {
    const b = a + SLICE_MS;
    const acc = new Float64Array(cellCount(this.grid));
    // Points from maxGap before the hour (where a unit already was at its start) to maxGap after it (what ends its last point's time).
    const tracks = await this.history.window(a - this.opts.maxGapMs, b + this.opts.maxGapMs, MOBILE_KINDS);
    for (const track of tracks.values()) addDwell(this.grid, track, a, b, this.opts.maxGapMs, acc);
    let n = 0;
    for (let c = 0; c < acc.length; c++) if (acc[c]! > 0) n++;
    const cells = new Uint32Array(n);
    const seconds = new Uint32Array(n);
    for (let c = 0, k = 0; c < acc.length; c++) {
      if (acc[c]! > 0) { cells[k] = c; seconds[k] = Math.round(acc[c]!); k++; }
    }
    this.stats.computed++;
    return { cells, seconds, computedAt: now, final };
  }
}
