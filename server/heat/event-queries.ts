/**
 * Read-only SQL over the cases and alarms tables for the heat charts, served by the covering
 * indexes of migration 13. A case counts where and when it was created (voided cases — found
 * not to be a problem — do not count); an alarm where and when it was raised (start time), in
 * its originator's street. Windows are [from, to). On the asynchronous store layer; the
 * statements are the same text each time, so the layer's statement cache keeps them prepared.
 */
import type { SqlExecutor } from '../store/sql/types.ts';
import type { HeatEventKind } from '../../shared/schemas/heat.ts';
import { QUARTER_MS, type StreetQuarterCount } from './local-buckets.ts';

interface Sql { table: string; ts: string; street: string; extra: string }
const SQL: Record<HeatEventKind, Sql> = {
  cases: { table: 'cases', ts: 'created_ts', street: 'street_code', extra: "AND stage <> 'voided'" },
  // An alarm without a position (a device that never reported one) counts in its street and hour, not on the map.
  alarms: { table: 'alarms', ts: 'start_ts', street: 'org_code', extra: '' },
};

/** The statements of a kind, written once. */
function statements(s: Sql) {
  return {
    rows: `SELECT lon, lat, ${s.street} AS street, ${s.ts} AS ts FROM ${s.table} WHERE ${s.ts} >= $1 AND ${s.ts} < $2 ${s.extra}`,
    maxId: `SELECT COALESCE(MAX(id), 0) AS m FROM ${s.table}`,
    since: `SELECT MIN(${s.ts}) AS t FROM ${s.table} WHERE id > $1`,
    // Integer division on both stores (the columns are integers); COUNT comes back as a number on both drivers.
    byStreetQuarter: `SELECT ${s.street} AS street, ${s.ts} / ${QUARTER_MS} AS q, COUNT(*) AS n FROM ${s.table} WHERE ${s.ts} >= $1 AND ${s.ts} < $2 ${s.extra} GROUP BY 1, 2`,
  };
}
const STATEMENTS = { cases: statements(SQL.cases), alarms: statements(SQL.alarms) };

export class HeatEventQueries {
  constructor(private readonly sql: SqlExecutor) {}

  /** The events of the window as `[lon, lat, street, ts]` rows (lon and lat null for an alarm without a position). */
  async rows(kind: HeatEventKind, from: number, to: number): Promise<[number | null, number | null, string, number][]> {
    const rows = await this.sql.query<{ lon: number | null; lat: number | null; street: string; ts: number }>(STATEMENTS[kind].rows, [from, to]);
    return rows.map((r) => [r.lon, r.lat, r.street, r.ts]);
  }

  /** The newest row id: ids only grow, so a larger one means rows were added. */
  async maxId(kind: HeatEventKind): Promise<number> {
    return (await this.sql.one<{ m: number }>(STATEMENTS[kind].maxId))!.m;
  }

  /** The earliest event time of the rows added after `id`, or null. */
  async earliestSince(kind: HeatEventKind, id: number): Promise<number | null> {
    return (await this.sql.one<{ t: number | null }>(STATEMENTS[kind].since, [id]))?.t ?? null;
  }

  /** Events per street and UTC quarter hour. */
  async byStreetQuarter(kind: HeatEventKind, from: number, to: number): Promise<StreetQuarterCount[]> {
    return this.sql.query<StreetQuarterCount & Record<string, unknown>>(STATEMENTS[kind].byStreetQuarter, [from, to]);
  }
}
