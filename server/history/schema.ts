/**
 * Migration 10: the history store. One row per entity per time bucket holding the
 * delta-encoded points (server/history/track-codec.ts), entities named by a small integer
 * so the 5,000-odd ids are stored once, and a daily roll-up for indicators. WITHOUT ROWID:
 * the primary key is the table, so no second b-tree pays for the same keys.
 */
import type { Migration } from '../store/migrations.ts';

export const HISTORY_MIGRATION: Migration = {
  version: 10,
  name: 'history: tracks per entity and bucket, daily roll-up',
  sql: `
    CREATE TABLE history_entity (
      eid INTEGER PRIMARY KEY,
      entity_id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      org_code TEXT NOT NULL
    );
    CREATE TABLE history_track (
      eid INTEGER NOT NULL REFERENCES history_entity(eid),
      bucket INTEGER NOT NULL,  -- bucket start, seconds since epoch
      n INTEGER NOT NULL,       -- points in the blob
      blob BLOB NOT NULL,
      PRIMARY KEY (eid, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE history_daily (
      day TEXT NOT NULL,        -- district-local date YYYY-MM-DD
      org_code TEXT NOT NULL,   -- street (街道)
      kind TEXT NOT NULL,
      reports INTEGER NOT NULL, -- accepted device reports
      points INTEGER NOT NULL,  -- points history kept
      distance_m REAL NOT NULL, -- between consecutive kept points
      online_s INTEGER NOT NULL,-- time from a kept point that was online to the next kept point
      PRIMARY KEY (day, org_code, kind)
    ) WITHOUT ROWID;
  `,
};
