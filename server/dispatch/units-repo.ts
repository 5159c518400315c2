/**
 * The units table (migration 5): a unit's engagement in a case, versioned. Every write names the
 * version it read; 0 rows changed means someone else acted first — HttpError 409 conflict.
 * Bound to an executor: the store for reads, the transaction of a dispatch (the same one the
 * case's dispatch is written in) for writes.
 */
import type { SqlExecutor } from '../store/sql/types.ts';
import { HttpError } from '../http-error.ts';

export type EngagedStatus = 'available' | 'dispatched' | 'enRoute' | 'onScene' | 'returning';

export interface EngagementRow {
  entityId: string;
  status: EngagedStatus;
  since: number;
  caseId: number | null;
  /** The case location, kept here so arrival detection needs no look-up on the ingest path. */
  caseLon: number | null;
  caseLat: number | null;
  /** Where the unit was when dispatched. */
  originLon: number | null;
  originLat: number | null;
  /** 0: no row yet (never engaged). */
  version: number;
}

type DbRow = {
  entity_id: string; status: EngagedStatus; since: number; case_id: number | null;
  case_lon: number | null; case_lat: number | null; origin_lon: number | null; origin_lat: number | null; version: number;
};

const fromDb = (r: DbRow): EngagementRow => ({
  entityId: r.entity_id, status: r.status, since: r.since, caseId: r.case_id,
  caseLon: r.case_lon, caseLat: r.case_lat, originLon: r.origin_lon, originLat: r.origin_lat, version: r.version,
});

export class UnitsRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async all(): Promise<EngagementRow[]> {
    return (await this.sql.query<DbRow>('SELECT * FROM units')).map(fromDb);
  }

  /**
   * Writes the unit's next engagement over the version `expected` (0 = no row yet) and returns
   * the row as stored. Throws 409 conflict when the row moved on meanwhile.
   */
  async write(next: Omit<EngagementRow, 'version'>, expected: number): Promise<EngagementRow> {
    const args = [next.status, next.since, next.caseId, next.caseLon, next.caseLat, next.originLon, next.originLat, next.entityId];
    const { changes } = expected === 0
      ? await this.sql.exec(
        `INSERT INTO units (status, since, case_id, case_lon, case_lat, origin_lon, origin_lat, entity_id, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) ON CONFLICT (entity_id) DO NOTHING`,
        args,
      )
      : await this.sql.exec(
        `UPDATE units SET status = $1, since = $2, case_id = $3, case_lon = $4, case_lat = $5, origin_lon = $6, origin_lat = $7, version = version + 1
         WHERE entity_id = $8 AND version = $9`,
        [...args, expected],
      );
    if (changes === 0) throw new HttpError(409, 'conflict', `unit ${next.entityId} was changed by someone else; reload and try again`);
    return { ...next, version: expected + 1 };
  }
}
