/**
 * Read-only SQL over the cases and alarms tables for the heat charts, served by the covering
 * indexes of migration 13. A case counts where and when it was created (voided cases — found
 * not to be a problem — do not count); an alarm where and when it was raised (start time), in
 * its originator's street. Windows are [from, to).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.ts';
import type { HeatEventKind } from '../../shared/schemas/heat.ts';
import { QUARTER_MS, type StreetQuarterCount } from './local-buckets.ts';

interface Sql { table: string; ts: string; street: string; extra: string }
const SQL: Record<HeatEventKind, Sql> = {
  cases: { table: 'cases', ts: 'created_ts', street: 'street_code', extra: "AND stage <> 'voided'" },
  // An alarm without a position (a device that never reported one) counts in its street and hour, not on the map.
  alarms: { table: 'alarms', ts: 'start_ts', street: 'org_code', extra: '' },
};

export class HeatEventQueries {
  private readonly cache = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Db) {}

  /** The events of the window as `[lon, lat, street, ts]` rows (lon and lat null for an alarm without a position). */
  rows(kind: HeatEventKind, from: number, to: number): [number | null, number | null, string, number][] {
    const s = SQL[kind];
    const st = this.stmt(`rows|${kind}`, () => `SELECT lon, lat, ${s.street}, ${s.ts} FROM ${s.table} WHERE ${s.ts} >= ? AND ${s.ts} < ? ${s.extra}`);
    return st.raw(true).all(from, to) as [number | null, number | null, string, number][];
  }

  /** The newest row id: ids only grow, so a larger one means rows were added. */
  maxId(kind: HeatEventKind): number {
    return (this.stmt(`max|${kind}`, () => `SELECT COALESCE(MAX(id), 0) AS m FROM ${SQL[kind].table}`).get() as { m: number }).m;
  }

  /** The earliest event time of the rows added after `id`, or null. */
  earliestSince(kind: HeatEventKind, id: number): number | null {
    const s = SQL[kind];
    return (this.stmt(`since|${kind}`, () => `SELECT MIN(${s.ts}) AS t FROM ${s.table} WHERE id > ?`).get(id) as { t: number | null }).t;
  }

  /** Events per street and UTC quarter hour. */
  byStreetQuarter(kind: HeatEventKind, from: number, to: number): StreetQuarterCount[] {
    const s = SQL[kind];
    const st = this.stmt(`sq|${kind}`, () =>
      `SELECT ${s.street} AS street, ${s.ts} / ${QUARTER_MS} AS q, COUNT(*) AS n FROM ${s.table} WHERE ${s.ts} >= ? AND ${s.ts} < ? ${s.extra} GROUP BY 1, 2`);
    return st.all(from, to) as StreetQuarterCount[];
  }

  private stmt(key: string, sql: () => string) {
    let st = this.cache.get(key);
    if (!st) this.cache.set(key, (st = this.db.prepare<unknown[], unknown>(sql())));
    return st;
  }
}
