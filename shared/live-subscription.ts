/**
 * What a screen asks the live stream for: kinds, streets (街道, by 9-digit org code) and a
 * bounding box. The wall takes everything (an empty subscription); a street screen takes its
 * street. An entity is in a screen's view when it passes every part given; with a bounding box,
 * only entities with a position inside it.
 */
import { ENTITY_KINDS, isEntityKind, type EntityKind } from './entities.ts';
import type { CatalogEntry } from './live-events.ts';
import type { LiveColumns } from './live-columns.ts';

export interface LiveSubscription {
  kinds?: EntityKind[];
  /** Street org codes (9 digits). */
  streets?: string[];
  /** [west, south, east, north], WGS-84 degrees. */
  bbox?: [number, number, number, number];
}

export class LiveSubscriptionError extends Error {
  override name = 'LiveSubscriptionError';
}

const MAX_STREETS = 64;
const STREET_CODE = /^\d{9}$/;

/** Checks a subscription from outside (a handshake, a socket event); the message says what is wrong. */
export function parseLiveSubscription(input: unknown): LiveSubscription {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new LiveSubscriptionError('subscription must be an object');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (key !== 'kinds' && key !== 'streets' && key !== 'bbox') throw new LiveSubscriptionError(`unknown subscription field "${key}"`);
  }
  const out: LiveSubscription = {};
  if (raw.kinds !== undefined) {
    if (!Array.isArray(raw.kinds) || raw.kinds.length === 0 || raw.kinds.length > ENTITY_KINDS.length) throw new LiveSubscriptionError(`kinds must be a non-empty list of ${ENTITY_KINDS.join(', ')}`);
    for (const k of raw.kinds) if (!isEntityKind(k)) throw new LiveSubscriptionError(`unknown kind "${String(k)}"`);
    out.kinds = [...new Set(raw.kinds as EntityKind[])].sort();
  }
  if (raw.streets !== undefined) {
    if (!Array.isArray(raw.streets) || raw.streets.length === 0 || raw.streets.length > MAX_STREETS) throw new LiveSubscriptionError(`streets must be a list of 1 to ${MAX_STREETS} street codes`);
    for (const s of raw.streets) if (typeof s !== 'string' || !STREET_CODE.test(s)) throw new LiveSubscriptionError('a street is its 9-digit org code');
    out.streets = [...new Set(raw.streets as string[])].sort();
  }
  if (raw.bbox !== undefined) {
    const b = raw.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new LiveSubscriptionError('bbox must be [west, south, east, north] in degrees');
    const [w, s, e, n] = b as [number, number, number, number];
    if (w < -180 || e > 180 || s < -90 || n > 90 || w >= e || s >= n) throw new LiveSubscriptionError('bbox must have west < east within ±180 and south < north within ±90');
    out.bbox = [w, s, e, n];
  }
  return out;
}

/** One string per distinct subscription: frames are built once per key and shared by the screens that have it. */
export function subscriptionKey(sub: LiveSubscription): string {
  return JSON.stringify([sub.kinds ?? null, sub.streets ?? null, sub.bbox ?? null]);
}

export type ViewFilter = (cols: LiveColumns, i: number) => boolean;

/** The view test for a subscription over a catalog (kind and street are static, the box reads the columns). */
export function viewFilter(sub: LiveSubscription, catalog: readonly CatalogEntry[]): ViewFilter {
  if (!sub.kinds && !sub.streets && !sub.bbox) return () => true;
  const kinds = sub.kinds ? new Set<string>(sub.kinds) : null;
  const streets = sub.streets ? new Set(sub.streets) : null;
  const box = sub.bbox ? sub.bbox.map((d) => Math.round(d * 1e6)) as [number, number, number, number] : null;
  return (cols, i) => {
    const entry = catalog[i];
    if (!entry) return false;
    if (kinds && !kinds.has(entry.kind)) return false;
    if (streets && !streets.has(entry.orgCode)) return false;
    if (box) {
      if (cols.hasPos[i] !== 1) return false;
      const lon = cols.lon[i]!, lat = cols.lat[i]!;
      if (lon < box[0] || lon > box[2] || lat < box[1] || lat > box[3]) return false;
    }
    return true;
  };
}
