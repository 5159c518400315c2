/**
 * The filters a tracking server applies before a fix becomes the live position
 * (as Traccar does): invalid fix, 0,0, out of range, future or ancient time,
 * duplicate, out of order, impossible speed between fixes. Each drop has a reason.
 */
import { distanceM } from '../../shared/geo.ts';
import type { Position } from '../../shared/entities.ts';
import type { DropReason } from './types.ts';

export interface FilterLimits {
  maxFutureMs: number;
  maxAgeMs: number;
  maxSpeedKph: number;
}

export type FilterVerdict = { ok: true } | { ok: false; reason: DropReason; detail: string };

const OK: FilterVerdict = { ok: true };

export function checkTimestamp(ts: number, now: number, limits: FilterLimits): FilterVerdict {
  if (!Number.isFinite(ts)) return { ok: false, reason: 'malformed', detail: 'timestamp is not a number' };
  if (ts > now + limits.maxFutureMs) return { ok: false, reason: 'futureTime', detail: `timestamp ${new Date(ts).toISOString()} is ${Math.round((ts - now) / 1000)} s in the future` };
  if (ts < now - limits.maxAgeMs) return { ok: false, reason: 'tooOld', detail: `timestamp ${new Date(ts).toISOString()} is older than ${Math.round(limits.maxAgeMs / 1000)} s` };
  return OK;
}

export function checkPosition(next: Position, valid: boolean, last: Position | undefined, now: number, limits: FilterLimits): FilterVerdict {
  const { lon, lat } = next;
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return { ok: false, reason: 'malformed', detail: 'lon/lat are not numbers' };
  if (next.speed !== undefined && !(Number.isFinite(next.speed) && next.speed >= 0)) return { ok: false, reason: 'malformed', detail: `speed ${next.speed} is not a non-negative number` };
  if (next.heading !== undefined && !Number.isFinite(next.heading)) return { ok: false, reason: 'malformed', detail: 'heading is not a number' };
  if (!valid) return { ok: false, reason: 'invalidFix', detail: 'device reports no valid fix' };
  if (Math.abs(lon) < 1e-6 && Math.abs(lat) < 1e-6) return { ok: false, reason: 'nullIsland', detail: 'position is 0,0' };
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) return { ok: false, reason: 'outOfRange', detail: `lon ${lon}, lat ${lat} out of range` };
  const t = checkTimestamp(next.ts, now, limits);
  if (!t.ok) return t;
  if (last && last.ts > 0) {
    if (next.ts === last.ts) return { ok: false, reason: 'duplicate', detail: `same fix time as the current position (${new Date(next.ts).toISOString()})` };
    if (next.ts < last.ts) return { ok: false, reason: 'outOfOrder', detail: `fix time ${new Date(next.ts).toISOString()} is before the current position's` };
    const km = distanceM(last.lon, last.lat, lon, lat) / 1000;
    const hours = (next.ts - last.ts) / 3_600_000;
    const kph = km / hours;
    // Below 100 m any speed is GPS jitter, not a jump.
    if (km > 0.1 && kph > limits.maxSpeedKph) {
      return { ok: false, reason: 'impossibleJump', detail: `${km.toFixed(2)} km in ${Math.round(hours * 3600)} s = ${Math.round(kph)} km/h > ${limits.maxSpeedKph}` };
    }
  }
  return OK;
}
