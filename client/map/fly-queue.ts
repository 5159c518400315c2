/**
 * The wall's eye: a new critical alarm or emergency flies the map to it, rings it for a few
 * seconds, then flies back to the district view. One at a time, queued (bounded), and never
 * against a person: while someone has touched the map recently the queue waits, and a tour
 * interrupted by a touch does not fly back.
 */
import type { LonLat } from '../../shared/geojson.ts';
import type { GLMap } from './engine.ts';

export interface FlyQueueOptions {
  /** Show the ring this long after arriving. */
  holdMs?: number;
  /** Leave the map alone this long after the last touch. */
  quietAfterUserMs?: number;
  /** Older targets are dropped beyond this many waiting. */
  maxWaiting?: number;
  flyMs?: number;
  zoom?: number;
  highlight(at: LonLat | null): void;
  /** Back to the district view (fitBounds with the panels' padding). */
  home(durationMs: number): void;
  now?: () => number;
}

const USER_EVENTS = ['mousedown', 'wheel', 'touchstart', 'dragstart'] as const;

export class FlyQueue {
  private readonly waiting: LonLat[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private busy = false;
  private lastUserTs = Number.NEGATIVE_INFINITY;
  private disposed = false;
  private readonly onUser = () => (this.lastUserTs = this.now());
  private readonly hold: number;
  private readonly quiet: number;
  private readonly max: number;
  private readonly flyMs: number;
  private readonly zoom: number;
  private readonly now: () => number;

  constructor(private readonly map: GLMap, private readonly opts: FlyQueueOptions) {
    this.hold = opts.holdMs ?? 6000;
    this.quiet = opts.quietAfterUserMs ?? 20_000;
    this.max = opts.maxWaiting ?? 5;
    this.flyMs = opts.flyMs ?? 2500;
    this.zoom = opts.zoom ?? 15.2;
    this.now = opts.now ?? Date.now;
    for (const ev of USER_EVENTS) map.on(ev, this.onUser);
  }

  /** Flying to an alarm, showing it, or waiting to: the idle tour stays out of the way meanwhile. */
  get active(): boolean {
    return this.busy || this.waiting.length > 0;
  }

  push(at: LonLat): void {
    if (this.disposed) return;
    this.waiting.push(at);
    if (this.waiting.length > this.max) this.waiting.splice(0, this.waiting.length - this.max);
    this.next();
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting.length = 0;
    for (const ev of USER_EVENTS) this.map.off(ev, this.onUser);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.disposed) fn();
    }, ms);
    this.timers.add(t);
  }

  private next(): void {
    if (this.busy || this.disposed) return;
    const at = this.waiting[0];
    if (!at) return;
    const sinceUser = this.now() - this.lastUserTs;
    if (sinceUser < this.quiet) {
      this.busy = true;
      this.after(this.quiet - sinceUser, () => {
        this.busy = false;
        this.next();
      });
      return;
    }
    this.waiting.shift();
    this.busy = true;
    const started = this.now();
    this.map.flyTo({ center: at, zoom: Math.max(this.map.getZoom(), this.zoom), duration: this.flyMs, essential: true });
    this.opts.highlight(at);
    this.after(this.flyMs + this.hold, () => {
      this.opts.highlight(null);
      // Someone took the map meanwhile: leave it where they put it.
      const touched = this.lastUserTs >= started;
      if (!touched) this.opts.home(this.flyMs);
      this.after(touched ? 0 : this.flyMs, () => {
        this.busy = false;
        this.next();
      });
    });
  }
}
