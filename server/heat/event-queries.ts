/**
 * Read-only SQL over the cases and alarms tables for the heat charts, served by the covering
 * indexes of migration 13. A case counts where and when it was created (voided cases — found
 * not to be a problem — do not count); an alarm where and when it was raised (start time), in
 * its originator's street. Windows are [from, to).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.ts';
import type { HeatEventKind } from '../../shared/schemas/heat.ts';
import { QUARTER_MS, type QuarterCount, type StreetQuarterCount } from './local-buckets.ts';

interface Sql { table: string; ts: string; street: string; extra: string }
const SQL: Record<HeatEventKind, Sql> = {
  cases: { table: 'cases', ts: 'created_ts', street: 'street_code', extra: "AND stage <> 'voided'" },
  // An alarm without a position (a device that never reported one) counts in its street and hour, not on the map.
  alarms: { table: 'alarms', ts: 'start_ts', street: 'org_code', extra: '' },
};

export class HeatEventQueries {
  private readonly cache = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Db) {}

  /** Positions of the events in the window, as `[lon, lat]` rows. */
  positions(kind: HeatEventKind, from: number, to: number, street?: string): [number, number][] {
    const s = SQL[kind];
    const st = this.stmt(`pos|${kind}|${street !== undefined}`, () =>
      `SELECT lon, lat FROM ${s.table} WHERE ${s.ts} >= ? AND ${s.ts} < ? AND lon IS NOT NULL AND lat IS NOT NULL ${s.extra}${street !== undefined ? ` AND ${s.street} = ?` : ''}`);
    return st.raw(true).all(from, to, ...(street !== undefined ? [street] : [])) as [number, number][];
  }

  /** Events per street and UTC quarter hour. */
  byStreetQuarter(kind: HeatEventKind, from: number, to: number): StreetQuarterCount[] {
    const s = SQL[kind];
    const st = this.stmt(`sq|${kind}`, () =>
      `SELECT ${s.street} AS street, ${s.ts} / ${QUARTER_MS} AS q, COUNT(*) AS n FROM ${s.table} WHERE ${s.ts} >= ? AND ${s.ts} < ? ${s.extra} GROUP BY 1, 2`);
    return st.all(from, to) as StreetQuarterCount[];
  }

  /** Events per UTC quarter hour, optionally of one street. */
  byQuarter(kind: HeatEventKind, from: number, to: number, street?: string): QuarterCount[] {
    const s = SQL[kind];
    const st = this.stmt(`q|${kind}|${street !== undefined}`, () =>
      `SELECT ${s.ts} / ${QUARTER_MS} AS q, COUNT(*) AS n FROM ${s.table} WHERE ${s.ts} >= ? AND ${s.ts} < ? ${s.extra}${street !== undefined ? ` AND ${s.street} = ?` : ''} GROUP BY 1`);
    return st.all(from, to, ...(street !== undefined ? [street] : [])) as QuarterCount[];
  }

  private stmt(key: string, sql: () => string) {
    let st = this.cache.get(key);
    if (!st) this.cache.set(key, (st = this.db.prepare<unknown[], unknown>(sql())));
    return st;
  }
}
