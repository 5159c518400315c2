/** Small helpers for the pack build: a seeded PRNG, a local metric projection, rounding. */
import * as polygonClippingNs from 'polygon-clipping';
import type { LonLat } from '../../shared/geojson.ts';

/** polygon-clipping ships CommonJS; under ESM its functions sit on the default export. */
export const polygonClipping: typeof polygonClippingNs =
  (polygonClippingNs as unknown as { default?: typeof polygonClippingNs }).default ?? polygonClippingNs;

/** mulberry32: tiny, fast and good enough for reproducible synthetic data. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(min: number, max: number): number { return min + (max - min) * this.next(); }
  int(min: number, maxInclusive: number): number { return Math.floor(this.range(min, maxInclusive + 1)); }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
  chance(p: number): boolean { return this.next() < p; }
  /** Approximately normal (sum of uniforms), mean 0, sd 1. */
  gauss(): number { let s = 0; for (let i = 0; i < 6; i++) s += this.next(); return (s - 3) * Math.SQRT2; }
}

/** Equirectangular projection around the district centre; affine, so straight lines stay straight. */
export const ORIGIN: LonLat = [117.089, 36.651];
const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON = 111_320 * Math.cos((ORIGIN[1] * Math.PI) / 180);

export function toXY([lon, lat]: readonly [number, number]): [number, number] {
  return [(lon - ORIGIN[0]) * M_PER_DEG_LON, (lat - ORIGIN[1]) * M_PER_DEG_LAT];
}
export function toLonLat([x, y]: readonly [number, number]): LonLat {
  return [ORIGIN[0] + x / M_PER_DEG_LON, ORIGIN[1] + y / M_PER_DEG_LAT];
}
/** Metres per degree, for offsets expressed in metres. */
export const M_PER_DEG: LonLat = [M_PER_DEG_LON, M_PER_DEG_LAT];

export function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
export function roundLonLat(p: readonly [number, number], decimals = 6): LonLat {
  return [round(p[0], decimals), round(p[1], decimals)];
}

/** Signed shoelace area of a lon/lat ring, in m². */
export function ringAreaM2(ring: readonly LonLat[]): number {
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = toXY(ring[i]!);
    const [x2, y2] = toXY(ring[(i + 1) % ring.length]!);
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

export function multiPolygonAreaM2(mp: readonly (readonly (readonly LonLat[])[])[]): number {
  let a = 0;
  for (const poly of mp) poly.forEach((ring, i) => { a += i === 0 ? Math.abs(ringAreaM2(ring)) : -Math.abs(ringAreaM2(ring)); });
  return a;
}

/** Piecewise-linear interpolation over sorted [x, y] knots, constant beyond the ends. */
export function interp(knots: readonly (readonly [number, number])[], x: number): number {
  const first = knots[0]!;
  const last = knots[knots.length - 1]!;
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    if (x <= x1) {
      const [x0, y0] = knots[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return last[1];
}

export function closeRing(ring: LonLat[]): LonLat[] {
  const a = ring[0]!;
  const b = ring[ring.length - 1]!;
  return a[0] === b[0] && a[1] === b[1] ? ring : [...ring, [a[0], a[1]]];
}
