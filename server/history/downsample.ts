/**
 * Which changes history keeps. A mobile tracker reports every few seconds; the charts and
 * the replay need a point when something visible happened: it moved at least `minMoveM`
 * from the last kept point, or `maxGapS` passed (so a parked truck still shows as there),
 * or its status, connectivity or one of its readings changed. Everything else is dropped.
 */
import { distanceM } from '../../shared/geo.ts';
import type { TrackPoint } from './track-codec.ts';

export interface DownsamplePolicy {
  minMoveM: number;
  maxGapS: number;
}

export type KeepReason = 'first' | 'status' | 'conn' | 'reading' | 'moved' | 'gap';

/** Why `next` is kept after the last kept point `last`, or null to drop it. */
export function keepReason(last: TrackPoint | undefined, next: TrackPoint, policy: DownsamplePolicy): KeepReason | null {
  if (!last) return 'first';
  if (next.status !== last.status) return 'status';
  if (next.conn !== last.conn) return 'conn';
  for (let i = 0; i < next.readings.length; i++) if (next.readings[i] !== last.readings[i]) return 'reading';
  if (next.lon !== null && next.lat !== null) {
    if (last.lon === null || last.lat === null) return 'moved';
    if (next.lon !== last.lon || next.lat !== last.lat) {
      if (distanceM(last.lon / 1e6, last.lat / 1e6, next.lon / 1e6, next.lat / 1e6) >= policy.minMoveM) return 'moved';
    }
  }
  if (next.t - last.t >= policy.maxGapS) return 'gap';
  return null;
}
