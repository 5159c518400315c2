/**
 * What history keeps of each kind besides position, status and connectivity: the readings
 * the heat charts, the briefing and the restored wall need. Data, not code — one line per
 * reading with the scale that turns it into the integer the codec stores. At most
 * MAX_READINGS per kind (server/history/track-codec.ts); append only, as the order is the
 * reading's bit in stored blobs.
 *
 * Left out on purpose: names, plates, permits (static, in the pack), footfallToday (a
 * counter that changes with every report and would keep every report), lastCleanedTs
 * (the 'cleaning' status change marks it).
 */
import { MUCK_VIOLATIONS, type EntityKind } from '../../shared/entities.ts';
import { MAX_READINGS } from './track-codec.ts';

export interface ReadingSpec {
  attr: string;
  /** Number → integer: value × scale, rounded. Boolean → 0/1. Violations → bit mask. */
  encode: (v: unknown) => number | undefined;
  decode: (n: number) => unknown;
}

const scaled = (attr: string, scale: number): ReadingSpec => ({
  attr,
  encode: (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * scale) : undefined),
  decode: (n) => n / scale,
});
const flag = (attr: string): ReadingSpec => ({
  attr,
  encode: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : undefined),
  decode: (n) => n === 1,
});
const violations: ReadingSpec = {
  attr: 'violations',
  encode: (v) => (Array.isArray(v) ? v.reduce<number>((m, x) => { const i = MUCK_VIOLATIONS.indexOf(x as never); return i >= 0 ? m | (1 << i) : m; }, 0) : undefined),
  decode: (n) => MUCK_VIOLATIONS.filter((_, i) => (n & (1 << i)) !== 0),
};

export const HISTORY_READINGS: Record<EntityKind, readonly ReadingSpec[]> = {
  /** sos is the 'sos' status; on/off duty the status too. */
  staff: [],
  /** Share of the planned route done, in ‰. */
  vehicle: [scaled('routeDone', 1000)],
  muckTruck: [flag('loaded'), flag('lidSealed'), violations],
  /** NH₃ and H₂S in µg/m³ (limits are 0.3–3 and 0.01 mg/m³), occupied stalls. */
  toilet: [scaled('nh3', 1000), scaled('h2s', 1000), scaled('occupied', 1)],
  /** Fill in whole percent. */
  bin: [scaled('fill', 1)],
};

for (const [kind, specs] of Object.entries(HISTORY_READINGS)) {
  if (specs.length > MAX_READINGS) throw new Error(`history readings of ${kind}: ${specs.length} > ${MAX_READINGS}`);
}

/** The readings of an attribute object, scaled; a missing or malformed one keeps `previous`. */
export function readingsOf(kind: EntityKind, attrs: Readonly<Record<string, unknown>>, previous?: readonly number[]): number[] {
  const specs = HISTORY_READINGS[kind];
  const out = new Array<number>(specs.length);
  for (let i = 0; i < specs.length; i++) out[i] = specs[i]!.encode(attrs[specs[i]!.attr]) ?? previous?.[i] ?? 0;
  return out;
}

export function readingsToAttrs(kind: EntityKind, readings: readonly number[]): Record<string, unknown> {
  const specs = HISTORY_READINGS[kind];
  const out: Record<string, unknown> = {};
  for (let i = 0; i < specs.length; i++) out[specs[i]!.attr] = specs[i]!.decode(readings[i] ?? 0);
  return out;
}
