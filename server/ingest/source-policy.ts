/**
 * Normalisation per source: the filters every fix goes through (future and too-old time, speed
 * between fixes), the minimum distance under which a standing device's jitter is not a move, the
 * worst accuracy taken, and the CRS a source's devices report in when they do not say (Chinese
 * phone SDKs send GCJ-02, Baidu's BD-09). Set with INGEST_<SOURCE>_* (server/config.ts).
 */
import type { Crs } from '../../shared/geo.ts';
import type { FilterLimits } from './position-filter.ts';
import { INGEST_SOURCES, type IngestSource } from './types.ts';

export interface SourcePolicy {
  limits: FilterLimits;
  /** 0: every move counts. */
  minDistanceM: number;
  /** null: no limit. */
  maxAccuracyM: number | null;
  /** The CRS of positions that do not declare theirs. */
  crs: Crs;
}

/** What INGEST_<SOURCE>_* set; the rest follows the global filters (MAX_FUTURE_S, MAX_AGE_S, MAX_SPEED_KPH). */
export interface SourcePolicyOverrides { limits?: Partial<FilterLimits>; minDistanceM?: number; maxAccuracyM?: number | null; crs?: Crs }

/** The settings per source, their env suffix, and how each is read. */
export const SOURCE_SETTINGS = ['MAX_FUTURE_S', 'MAX_AGE_S', 'MAX_SPEED_KPH', 'MIN_DISTANCE_M', 'MAX_ACCURACY_M', 'CRS'] as const;

export function sourcePolicies(
  limits: FilterLimits,
  perSource: Partial<Record<IngestSource, SourcePolicyOverrides>>,
  timeScale: Partial<Record<IngestSource, number>>,
): Record<IngestSource, SourcePolicy> {
  const out = {} as Record<IngestSource, SourcePolicy>;
  for (const s of INGEST_SOURCES) {
    const own = perSource[s] ?? {};
    const l = { ...limits, ...own.limits };
    const scale = timeScale[s] ?? 1;
    out[s] = {
      limits: scale === 1 ? l : { ...l, maxSpeedKph: l.maxSpeedKph * scale },
      minDistanceM: own.minDistanceM ?? 0,
      maxAccuracyM: own.maxAccuracyM ?? null,
      crs: own.crs ?? 'WGS84',
    };
  }
  return out;
}
