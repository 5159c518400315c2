/** What a kind's rules see and do: the settings and clock of this evaluation, and raise/release. */
import type { AlarmSettings, AlarmType } from '../../../shared/alarms.ts';
import type { EntityKind } from '../../../shared/entities.ts';
import type { LiveEntity } from '../../live/live-state.ts';
import type { Condition } from '../alarm-book.ts';

export interface RuleContext {
  readonly settings: AlarmSettings;
  /** Server time of the evaluation, ms. */
  readonly now: number;
  /** Local minute of day in the district's time zone. */
  readonly localMinute: number;
  /** The condition holds: raise or update. */
  raise(e: LiveEntity, type: AlarmType, cond: Condition): void;
  /** The condition does not hold: clear after the hold. */
  release(e: LiveEntity, type: AlarmType): void;
  /** Whether the alarm is active (possibly in its clear hold). */
  isActive(e: LiveEntity, type: AlarmType): boolean;
  /** Superseded by a graver alarm of the same family (bin full → overflow): clear at once. */
  supersede(e: LiveEntity, type: AlarmType): void;
}

export interface KindRules {
  readonly kind: EntityKind;
  /** Whether time alone can change a verdict (durations, hours), so the periodic sweep must re-run the rules. */
  readonly timeBased: boolean;
  /** Evaluates every rule of the kind for one entity (on a report, and in the periodic sweep). */
  evaluate(e: LiveEntity, ctx: RuleContext): void;
  /** The catalog grew to `entityCount` entities (a device registered a new one): per-index state grows with it. */
  resize?(entityCount: number): void;
}

/** A copy of `a` with room for `n` entries (per-entity state indexed by catalog index). */
export function grown<T extends Float64Array | Uint32Array | Uint8Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  const out = new (a.constructor as new (n: number) => T)(Math.max(n, Math.ceil(a.length * 1.25)));
  out.set(a);
  return out;
}

/** Rounds for alarm details, so that noise in the last digits does not count as a change. */
export function roundTo(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
