/**
 * How the briefing writes its figures: a rate with nothing to count is "—" (never 0 % or
 * NaN %), a delta says which way it went and whether that is good for the indicator.
 */
import type { IndicatorDefinition } from '../../shared/schemas/briefing.ts';

export const NO_VALUE = '—';

/** 0.6667 → "66.7%"; null or not finite → "—". */
export function formatRate(r: number | null | undefined, decimals = 1): string {
  return r === null || r === undefined || !Number.isFinite(r) ? NO_VALUE : `${(r * 100).toFixed(decimals)}%`;
}

/** A figure in its unit: counts whole, minutes and hours with one decimal, rates as percentages. */
export function formatValue(v: number | null | undefined, unit: IndicatorDefinition['unit']): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NO_VALUE;
  switch (unit) {
    case 'rate': return formatRate(v);
    case 'count': return Math.round(v).toLocaleString('en-US');
    case 'min':
    case 'h': return v.toFixed(1);
  }
}

export type DeltaTone = 'good' | 'bad' | 'flat' | 'none';

export interface Delta { text: string; tone: DeltaTone }

/**
 * Against the previous period: rates in percentage points, counts and durations as a signed
 * difference; "—" when either side has no value.
 */
export function formatDelta(value: number | null, previous: number | null, unit: IndicatorDefinition['unit'], higherIsBetter: boolean): Delta {
  if (value === null || previous === null || !Number.isFinite(value) || !Number.isFinite(previous)) return { text: NO_VALUE, tone: 'none' };
  const diff = value - previous;
  const size = unit === 'rate' ? Math.abs(diff * 100).toFixed(1) : unit === 'count' ? String(Math.abs(Math.round(diff))) : Math.abs(diff).toFixed(1);
  if (Number(size) === 0) return { text: unit === 'rate' ? '±0.0pp' : '±0', tone: 'flat' };
  const arrow = diff > 0 ? '▲' : '▼';
  return { text: `${arrow}${size}${unit === 'rate' ? 'pp' : ''}`, tone: (diff > 0) === higherIsBetter ? 'good' : 'bad' };
}

/** Sorts ranking rows by a key, nulls last whatever the direction. */
export function sortRows<T extends Record<string, unknown>>(rows: readonly T[], key: keyof T, descending: boolean): T[] {
  return [...rows].sort((a, b) => {
    const x = a[key] as number | null;
    const y = b[key] as number | null;
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return descending ? y - x : x - y;
  });
}
