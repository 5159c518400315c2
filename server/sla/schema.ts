/**
 * Migration 3: SLA clocks and their settings. One clock per case and kind (an emergency's
 * arrival clock is never restarted by a reassign). `policy` keeps the settings a clock
 * started under, so an admin's change applies to clocks started afterwards only.
 */
import type { Migration } from '../store/migrations.ts';

export const SLA_MIGRATION: Migration = {
  version: 3,
  name: 'SLA clocks (7123) and SLA settings',
  sql: `
    CREATE TABLE sla_clocks (
      id INTEGER PRIMARY KEY,
      case_id INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('arrival','closure')),
      state TEXT NOT NULL CHECK (state IN ('running','paused','warned','met','breached')),
      start_ts INTEGER NOT NULL,
      due_ts INTEGER NOT NULL,
      warn_ts INTEGER NOT NULL,
      end_ts INTEGER,
      paused_ms INTEGER NOT NULL DEFAULT 0,
      paused_since INTEGER,
      escalation_level INTEGER NOT NULL DEFAULT 0,
      cancelled INTEGER NOT NULL DEFAULT 0,
      policy TEXT NOT NULL,
      version INTEGER NOT NULL DEFAULT 1,
      updated_ts INTEGER NOT NULL,
      UNIQUE (case_id, kind)
    );
    CREATE INDEX sla_clocks_open ON sla_clocks(id) WHERE end_ts IS NULL;
    CREATE TABLE sla_settings (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      settings TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      updated_by TEXT NOT NULL
    );
  `,
};
