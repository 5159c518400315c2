/**
 * Migration 4: alarms and their settings. One active alarm per originator and type is a
 * unique partial index, so even a bug upstream cannot store a duplicate.
 */
import type { Migration } from '../store/migrations.ts';

export const ALARMS_MIGRATION: Migration = {
  version: 4,
  name: 'alarms, alarm settings',
  sql: `
    CREATE TABLE alarms (
      id INTEGER PRIMARY KEY,
      type TEXT NOT NULL,
      severity TEXT NOT NULL,
      entity_id TEXT NOT NULL,
      entity_kind TEXT NOT NULL,
      entity_name TEXT NOT NULL,
      org_code TEXT NOT NULL,
      grid_id TEXT NOT NULL,
      lon REAL,
      lat REAL,
      start_ts INTEGER NOT NULL,
      update_ts INTEGER NOT NULL,
      end_ts INTEGER,
      active INTEGER NOT NULL CHECK (active IN (0, 1)),
      ack_by TEXT,
      ack_ts INTEGER,
      cleared_by TEXT,
      detail TEXT NOT NULL,
      value REAL,
      case_id INTEGER,
      version INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX alarms_one_active ON alarms(entity_id, type) WHERE active = 1;
    CREATE INDEX alarms_update_ts ON alarms(update_ts);
    CREATE INDEX alarms_entity ON alarms(entity_id);
    CREATE TABLE alarm_settings (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      json TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      updated_by TEXT NOT NULL
    );
  `,
};
