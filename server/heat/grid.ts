/**
 * The heat grid: square-ish cells of a set side (100 m) laid over the district's bbox, and
 * the pure functions that bin points into it, credit dwell time to it and turn it into the
 * compact `[lon, lat, weight]` answer. Weights live in one dense array per query (the Lixia
 * bbox at 100 m is about 150 × 130 cells), so summing a month of slices is array adds.
 */

/** Metres per degree of latitude (sphere of radius 6,371,008.8 m, as shared/geo.ts). */
const M_PER_DEG_LAT = (Math.PI * 6_371_008.8) / 180;

export interface HeatGrid {
  west: number;
  south: number;
  /** Cell size in degrees: the same metres east–west (at the bbox's middle latitude) and north–south. */
  dLon: number;
  dLat: number;
  cols: number;
  rows: number;
  cellM: number;
}

export function makeGrid(bbox: readonly [number, number, number, number], cellM: number): HeatGrid {
  const [west, south, east, north] = bbox;
  const dLat = cellM / M_PER_DEG_LAT;
  const dLon = cellM / (M_PER_DEG_LAT * Math.cos((((south + north) / 2) * Math.PI) / 180));
  return { west, south, dLon, dLat, cols: Math.floor((east - west) / dLon) + 1, rows: Math.floor((north - south) / dLat) + 1, cellM };
}

export const cellCount = (g: HeatGrid): number => g.cols * g.rows;

/** The cell a point falls in (row-major from the south-west corner), or -1 outside the bbox: the layer is the district's. */
export function cellOf(g: HeatGrid, lon: number, lat: number): number {
  const cx = Math.floor((lon - g.west) / g.dLon);
  const cy = Math.floor((lat - g.south) / g.dLat);
  if (cx < 0 || cy < 0 || cx >= g.cols || cy >= g.rows) return -1;
  return cy * g.cols + cx;
}

export function cellCentre(g: HeatGrid, cell: number): [number, number] {
  const cx = cell % g.cols;
  const cy = Math.floor(cell / g.cols);
  return [g.west + (cx + 0.5) * g.dLon, g.south + (cy + 0.5) * g.dLat];
}

/** A kept history point, as far as dwell needs it. */
export interface DwellPoint { ts: number; lon: number | null; lat: number | null; connectivity: string }

/**
 * Credits the time a unit spent at each kept point to the point's cell: from the point to the
 * next one, at most `maxGapMs` (a longer silence is not known time at that place), clipped to
 * [from, to). An offline unit, or one without a position, is nowhere. Whole milliseconds in,
 * seconds out (history times are whole seconds, so the seconds are whole when from/to are).
 */
export function addDwell(g: HeatGrid, track: readonly DwellPoint[], from: number, to: number, maxGapMs: number, into: Float64Array): void {
  for (let i = 0; i < track.length; i++) {
    const p = track[i]!;
    if (p.lon === null || p.lat === null || p.connectivity === 'offline') continue;
    const next = track[i + 1];
    const end = Math.min(next ? next.ts : Infinity, p.ts + maxGapMs, to);
    const start = Math.max(p.ts, from);
    if (end <= start) continue;
    const c = cellOf(g, p.lon, p.lat);
    if (c >= 0) into[c]! += (end - start) / 1000;
  }
}

export interface TopPoints { points: [number, number, number][]; total: number; max: number; truncated: boolean }

/**
 * The non-empty cells as `[lon, lat, weight]`, heaviest first, at most `cap`; centres at 5
 * decimals (≈1 m), weights rounded to whole numbers. `keep` filters cells (a street).
 */
export function topPoints(g: HeatGrid, weights: Float64Array, cap: number, keep?: (cell: number) => boolean): TopPoints {
  const cells: number[] = [];
  let total = 0;
  for (let c = 0; c < weights.length; c++) {
    const w = weights[c]!;
    if (w > 0 && (!keep || keep(c))) { cells.push(c); total += w; }
  }
  cells.sort((a, b) => weights[b]! - weights[a]! || a - b);
  const points = cells.slice(0, cap).map((c): [number, number, number] => {
    const [lon, lat] = cellCentre(g, c);
    return [round5(lon), round5(lat), Math.round(weights[c]!)];
  });
  return { points, total: Math.round(total), max: cells.length > 0 ? Math.round(weights[cells[0]!]!) : 0, truncated: cells.length > cap };
}

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;
