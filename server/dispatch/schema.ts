/**
 * Migration 5 (dispatch): the units a case engages, and crew users bound to a unit.
 *
 * `units` keeps only what cannot be derived from the live state — a unit's engagement in a
 * case (dispatched, en route, on scene, returning) — so a restart keeps it. A unit's row
 * stays after release (status available) so its version only ever grows: a dispatch says
 * which version it claims and a stale one is a 409.
 *
 * `users` is rebuilt (SQLite cannot alter a CHECK) to admit the role 'crew' and bind a crew
 * user to its unit; sessions reference users(id), so the rebuild runs with foreign keys off
 * and is checked before it commits (Migration.rebuildsReferencedTable).
 */
import type { Migration } from '../store/migrations.ts';

export const DISPATCH_MIGRATION: Migration = {
  version: 5,
  name: 'unit engagements; crew users bound to a unit',
  rebuildsReferencedTable: true,
  sql: `
    CREATE TABLE units (
      entity_id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('available','dispatched','enRoute','onScene','returning')),
      since INTEGER NOT NULL,
      case_id INTEGER,
      case_lon REAL,
      case_lat REAL,
      -- where the unit was when dispatched: "dispatched 4 min without moving"
      origin_lon REAL,
      origin_lat REAL,
      version INTEGER NOT NULL,
      CHECK ((status = 'available') = (case_id IS NULL))
    );
    CREATE INDEX units_case ON units(case_id) WHERE case_id IS NOT NULL;

    CREATE TABLE users_new (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('wall','dispatcher','leader','admin','crew')),
      created_at INTEGER NOT NULL,
      disabled_at INTEGER,
      unit_id TEXT,
      CHECK ((role = 'crew') = (unit_id IS NOT NULL))
    );
    INSERT INTO users_new (id, username, password_hash, role, created_at, disabled_at)
      SELECT id, username, password_hash, role, created_at, disabled_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
  `,
};
