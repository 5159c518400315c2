/**
 * The idle wall's tour: when nobody has touched the wall for a while it flies from street to
 * street of a playlist, showing each one's name, and any input ends it at once. Pure logic on
 * an injected clock; the composable owns the timer, the listeners and the map.
 */
import type { DistrictGeometry } from '../../shared/district.ts';

export interface TourStop {
  /** 街道 9-digit code */
  code: string;
  name: string;
  nameEn?: string | undefined;
  bounds: [[number, number], [number, number]];
}

export interface IdleTourOptions {
  stops: readonly TourStop[];
  /** No input this long before the tour starts. */
  idleMs: number;
  /** Time on each street. */
  stopMs: number;
  now: () => number;
  /** Fly to a street's extent. */
  fly(stop: TourStop): void;
  /** The street shown now, or null when the tour ends. */
  onStop(stop: TourStop | null): void;
  /** Something else has the map (an alarm's fly-to): the tour waits. */
  blocked?: () => boolean;
}

export class IdleTour {
  private lastInput: number;
  private index = -1;
  private touring = false;
  private stopStarted = 0;

  constructor(private readonly opts: IdleTourOptions) {
    this.lastInput = opts.now();
  }

  get current(): TourStop | null {
    return this.touring ? (this.opts.stops[this.index] ?? null) : null;
  }

  /** Pointer, wheel, key or touch: the tour ends and the wall stays where the person put it. */
  input(): void {
    this.lastInput = this.opts.now();
    if (!this.touring) return;
    this.touring = false;
    this.opts.onStop(null);
  }

  /** Called about once a second. */
  tick(): void {
    const { stops, now, idleMs, stopMs } = this.opts;
    if (stops.length === 0) return;
    const t = now();
    if (t - this.lastInput < idleMs) return;
    if (this.opts.blocked?.()) {
      // An alarm's flight takes the map; the street shown before gets its full time after.
      this.stopStarted = t;
      return;
    }
    if (this.touring && t - this.stopStarted < stopMs) return;
    this.touring = true;
    this.index = (this.index + 1) % stops.length;
    this.stopStarted = t;
    const stop = stops[this.index]!;
    this.opts.fly(stop);
    this.opts.onStop(stop);
  }
}

/**
 * The playlist: street codes in order, each with the extent of its area (in the basemap's CRS,
 * as `d` is). Codes the district does not have are returned apart, for the caller to report.
 */
export function tourStops(codes: readonly string[], d: DistrictGeometry): { stops: TourStop[]; unknown: string[] } {
  const stops: TourStop[] = [];
  const unknown: string[] = [];
  for (const code of codes) {
    const f = d.streets.features.find((s) => s.properties.code === code);
    if (!f) {
      unknown.push(code);
      continue;
    }
    let w = Infinity;
    let s = Infinity;
    let e = -Infinity;
    let n = -Infinity;
    const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const poly of polygons) {
      for (const [x, y] of poly[0] ?? []) {
        w = Math.min(w, x);
        s = Math.min(s, y);
        e = Math.max(e, x);
        n = Math.max(n, y);
      }
    }
    if (w <= e && s <= n) stops.push({ code, name: f.properties.name, nameEn: f.properties.nameEn, bounds: [[w, s], [e, n]] });
  }
  return { stops, unknown };
}

/** `?tour=a,b,c` (street codes) overrides the configured playlist; `?tour=` (empty) or `off` turns it off. */
export function tourCodesFrom(urlValue: string | null, configured: readonly string[]): string[] {
  if (urlValue === null) return [...configured];
  if (urlValue === '' || urlValue === 'off') return [];
  return urlValue.split(',').map((c) => c.trim()).filter(Boolean);
}
