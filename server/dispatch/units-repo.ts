/**
 * The units table (migration 5): a unit's engagement in a case, versioned. Every write names the
 * version it read; 0 rows changed means someone else acted first — HttpError 409 conflict.
 * A PostgreSQL store implements the same methods.
 */
import type { Db } from '../store/database.ts';
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

interface DbRow {
  entity_id: string; status: EngagedStatus; since: number; case_id: number | null;
  case_lon: number | null; case_lat: number | null; origin_lon: number | null; origin_lat: number | null; version: number;
}

const fromDb = (r: DbRow): EngagementRow => ({
  entityId: r.entity_id, status: r.status, since: r.since, caseId: r.case_id,
  caseLon: r.case_lon, caseLat: r.case_lat, originLon: r.origin_lon, originLat: r.origin_lat, version: r.version,
});

export class UnitsRepo {
  constructor(private readonly db: Db) {}

  all(): EngagementRow[] {
    return (this.db.prepare('SELECT * FROM units').all() as DbRow[]).map(fromDb);
  }

  /**
   * Writes the unit's next engagement over the version `expected` (0 = no row yet) and returns
   * the row as stored. Throws 409 conflict when the row moved on meanwhile.
   */
  write(next: Omit<EngagementRow, 'version'>, expected: number): EngagementRow {
    const args = [next.status, next.since, next.caseId, next.caseLon, next.caseLat, next.originLon, next.originLat];
    const changed = expected === 0
      ? this.db.prepare(
        `INSERT INTO units (status, since, case_id, case_lon, case_lat, origin_lon, origin_lat, entity_id, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (entity_id) DO NOTHING`,
      ).run(...args, next.entityId).changes
      : this.db.prepare(
        `UPDATE units SET status = ?, since = ?, case_id = ?, case_lon = ?, case_lat = ?, origin_lon = ?, origin_lat = ?, version = version + 1
         WHERE entity_id = ? AND version = ?`,
      ).run(...args, next.entityId, expected).changes;
    if (changed === 0) throw new HttpError(409, 'conflict', `unit ${next.entityId} was changed by someone else; reload and try again`);
    return { ...next, version: expected + 1 };
  }
}
