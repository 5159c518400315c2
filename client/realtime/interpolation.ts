/**
 * Motion between reports: a mobile entity glides from where it is drawn toward its newly
 * reported position over the interval between its last two reports, so vehicles move
 * smoothly instead of jumping once a second.
 */
import type { EntityKind } from '../../shared/entities.ts';
import type { EntityBuffer } from './entity-buffer.ts';

/** Reports further apart than this are not interpolated: the entity jumps (e.g. after a tunnel). */
const MAX_GLIDE_M = 1500;
const MIN_GLIDE_MS = 300;
const MAX_GLIDE_MS = 3000;

/** How long to glide toward a new report; 0 means jump. */
export function glideMsFor(fromLon: number, fromLat: number, toLon: number, toLat: number, reportIntervalMs: number): number {
  if (approxMetres(fromLon, fromLat, toLon, toLat) > MAX_GLIDE_M) return 0;
  return Math.min(MAX_GLIDE_MS, Math.max(MIN_GLIDE_MS, reportIntervalMs));
}

/**
 * The drawn (interpolated) position of entity `i` at `now` (performance.now ms), written into
 * `out` when given (the render loop reuses its coordinate arrays) or into a new pair.
 */
export function positionAt(buf: EntityBuffer, i: number, now: number, out: [number, number] = [0, 0]): [number, number] {
  const ms = buf.glideMs[i] ?? 0;
  const toLon = buf.lon[i] ?? 0;
  const toLat = buf.lat[i] ?? 0;
  if (ms <= 0) {
    out[0] = toLon;
    out[1] = toLat;
    return out;
  }
  const t = Math.min(1, Math.max(0, (now - (buf.glideStart[i] ?? 0)) / ms));
  const fromLon = buf.fromLon[i] ?? toLon;
  const fromLat = buf.fromLat[i] ?? toLat;
  out[0] = fromLon + (toLon - fromLon) * t;
  out[1] = fromLat + (toLat - fromLat) * t;
  return out;
}

/** True while any entity of `kind` is still gliding toward its last report. */
export function isGliding(buf: EntityBuffer, kind: EntityKind, now: number): boolean {
  for (const i of buf.byKind[kind]) {
    const ms = buf.glideMs[i] ?? 0;
    if (ms > 0 && now - (buf.glideStart[i] ?? 0) < ms) return true;
  }
  return false;
}

function approxMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const kx = 111_320 * Math.cos((lat1 * Math.PI) / 180);
  return Math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * 110_540);
}
