/**
 * Migration 14: the device registry grows from a (source, device, entity) map into the list of
 * every device — the simulator's own, JT/T 808 terminals, MQTT sensors, HTTP devices — with
 * state (quarantine, disabled, rejected), what a terminal said of itself, its hashed auth code,
 * counters, and the moment a real device took its entity over from the simulator. Entities
 * made at run time for devices (not in the district pack) are kept in `runtime_entities` so
 * that they come back after a restart.
 */
import type { Migration } from '../store/migrations.ts';

export const DEVICES_MIGRATION: Migration = {
  version: 14,
  name: 'devices: state, protocol details, counters, takeover; runtime entities',
  sql: `
    CREATE TABLE devices_v14 (
      id INTEGER PRIMARY KEY,
      source TEXT NOT NULL,
      device_id TEXT NOT NULL,
      entity_id TEXT,
      label TEXT,
      created_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'active',
      plate TEXT,
      meta TEXT NOT NULL DEFAULT '{}',
      auth_hash TEXT,
      address TEXT,
      last_seen INTEGER,
      accepted INTEGER NOT NULL DEFAULT 0,
      refused INTEGER NOT NULL DEFAULT 0,
      last_refusal TEXT,
      took_over_at INTEGER,
      UNIQUE (source, device_id)
    );
    INSERT INTO devices_v14 (id, source, device_id, entity_id, label, created_at)
      SELECT id, source, device_id, entity_id, label, created_at FROM devices;
    DROP TABLE devices;
    ALTER TABLE devices_v14 RENAME TO devices;
    CREATE INDEX devices_entity ON devices(entity_id);
    CREATE TABLE runtime_entities (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      org_code TEXT NOT NULL,
      grid_id TEXT NOT NULL,
      attrs TEXT NOT NULL,
      lon REAL,
      lat REAL,
      created_at INTEGER NOT NULL
    );
  `,
};
