/**
 * A repeat submission: a citizen pressing "send" twice, or an app retrying after a timeout,
 * must not open a second case. A request is a repeat of an earlier one through the same key
 * when it is for the same service, at the same place (within 30 m, or the same
 * address_string when no point was given), with the same description once normalised, within
 * 10 minutes. The earlier request's id is answered with a notice saying so.
 */
import { distanceM } from '../../shared/geo.ts';

export const REPEAT_WINDOW_MS = 10 * 60_000;
export const REPEAT_RADIUS_M = 30;

export interface Submission {
  keyId: number;
  serviceCode: string;
  lon: number;
  lat: number;
  /** The address_string as given, when the place came from it. */
  addressString: string | null;
  description: string;
  ts: number;
}

/** Width and case, spaces and punctuation do not make a different description. */
export function normaliseDescription(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
}

export function normaliseAddress(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

export function isRepeat(earlier: Submission, next: Submission): boolean {
  if (earlier.keyId !== next.keyId || earlier.serviceCode !== next.serviceCode) return false;
  if (next.ts - earlier.ts > REPEAT_WINDOW_MS || next.ts < earlier.ts) return false;
  if (normaliseDescription(earlier.description) !== normaliseDescription(next.description)) return false;
  if (earlier.addressString !== null && next.addressString !== null) return normaliseAddress(earlier.addressString) === normaliseAddress(next.addressString);
  return distanceM(earlier.lon, earlier.lat, next.lon, next.lat) <= REPEAT_RADIUS_M;
}
