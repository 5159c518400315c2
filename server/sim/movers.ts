/**
 * Movement along a polyline: a `Route` is an immutable, shareable polyline with cumulative
 * distances; a `Mover` is one agent's progress along a route. Positions are computed on
 * demand (when a report falls due), so advancing a mover is a single addition.
 */
import { bearingDeg, distanceM } from '../../shared/geo.ts';
import type { LonLat } from '../../shared/geojson.ts';

export class Route {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  /** Distance from the start to each vertex, metres. */
  readonly cum: Float64Array;
  /** Heading of each segment, degrees clockwise from north. */
  readonly heading: Float64Array;
  readonly lengthM: number;

  constructor(points: readonly LonLat[]) {
    if (points.length === 0) throw new RangeError('a route needs at least one point');
    const n = points.length;
    this.lon = new Float64Array(n);
    this.lat = new Float64Array(n);
    this.cum = new Float64Array(n);
    this.heading = new Float64Array(Math.max(1, n - 1));
    for (let i = 0; i < n; i++) {
      const [lo, la] = points[i]!;
      this.lon[i] = lo;
      this.lat[i] = la;
      if (i > 0) {
        const pl = this.lon[i - 1]!, pa = this.lat[i - 1]!;
        this.cum[i] = this.cum[i - 1]! + distanceM(pl, pa, lo, la);
        this.heading[i - 1] = pl === lo && pa === la ? (i > 1 ? this.heading[i - 2]! : 0) : bearingDeg(pl, pa, lo, la);
      }
    }
    this.lengthM = this.cum[n - 1]!;
  }

  get pointCount(): number {
    return this.lon.length;
  }

  /** The same line driven the other way. */
  reversed(): Route {
    const pts: LonLat[] = [];
    for (let i = this.lon.length - 1; i >= 0; i--) pts.push([this.lon[i]!, this.lat[i]!]);
    return new Route(pts);
  }

  /** Joins routes end to end (a gap between them becomes a straight segment). */
  static concat(routes: readonly Route[]): Route {
    const pts: LonLat[] = [];
    for (const r of routes) {
      for (let i = 0; i < r.lon.length; i++) {
        const p: LonLat = [r.lon[i]!, r.lat[i]!];
        const last = pts[pts.length - 1];
        if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
      }
    }
    return new Route(pts);
  }

  /** Shortest distance from a point to the line, metres (local flat approximation). */
  distanceToM(lon: number, lat: number): number {
    const kx = Math.cos((lat * Math.PI) / 180) * 111_195;
    const ky = 111_195;
    let best = Infinity;
    const n = this.lon.length;
    if (n === 1) return distanceM(lon, lat, this.lon[0]!, this.lat[0]!);
    for (let i = 0; i + 1 < n; i++) {
      const ax = (this.lon[i]! - lon) * kx, ay = (this.lat[i]! - lat) * ky;
      const bx = (this.lon[i + 1]! - lon) * kx, by = (this.lat[i + 1]! - lat) * ky;
      const dx = bx - ax, dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const t = len2 > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2)) : 0;
      const d = Math.hypot(ax + t * dx, ay + t * dy);
      if (d < best) best = d;
    }
    return best;
  }

  /** Segment index that contains distance s, searching forward from a hint. */
  segmentAt(s: number, hint = 0): number {
    const last = this.lon.length - 2;
    if (last < 0) return 0;
    let i = Math.min(Math.max(0, hint), last);
    if (this.cum[i]! > s) i = 0;
    while (i < last && this.cum[i + 1]! <= s) i++;
    return i;
  }
}

/** One agent's progress along a route, optionally looping. */
export class Mover {
  route: Route;
  /** Distance travelled along the route, metres. */
  s = 0;
  loop: boolean;
  private seg = 0;

  constructor(route: Route, loop = false, startM = 0) {
    this.route = route;
    this.loop = loop;
    this.s = 0;
    this.advance(startM);
  }

  /** Starts over on another route. */
  follow(route: Route, loop = false): void {
    this.route = route;
    this.loop = loop;
    this.s = 0;
    this.seg = 0;
  }

  get done(): boolean {
    return !this.loop && this.s >= this.route.lengthM;
  }

  /** Moves forward; returns metres left over past the end of a non-looping route. */
  advance(metres: number): number {
    const len = this.route.lengthM;
    this.s += metres;
    if (len <= 0) {
      const over = this.s;
      this.s = 0;
      return this.loop ? 0 : over;
    }
    if (this.loop) {
      if (this.s >= len) this.s %= len;
      return 0;
    }
    if (this.s > len) {
      const over = this.s - len;
      this.s = len;
      return over;
    }
    return 0;
  }

  /** Writes the current position into `out` (reused to avoid allocation). */
  locate(out: MoverFix): MoverFix {
    const r = this.route;
    this.seg = r.segmentAt(this.s, this.seg);
    const i = this.seg;
    if (r.pointCount === 1) {
      out.lon = r.lon[0]!;
      out.lat = r.lat[0]!;
      out.heading = 0;
      return out;
    }
    const segLen = r.cum[i + 1]! - r.cum[i]!;
    const t = segLen > 0 ? Math.min(1, Math.max(0, (this.s - r.cum[i]!) / segLen)) : 0;
    out.lon = r.lon[i]! + (r.lon[i + 1]! - r.lon[i]!) * t;
    out.lat = r.lat[i]! + (r.lat[i + 1]! - r.lat[i]!) * t;
    out.heading = r.heading[i]!;
    return out;
  }
}

export interface MoverFix {
  lon: number;
  lat: number;
  heading: number;
}

export function newFix(): MoverFix {
  return { lon: 0, lat: 0, heading: 0 };
}

/** km/h → metres per millisecond */
export function kphToMPerMs(kph: number): number {
  return kph / 3600;
}
