/**
 * Migration 12: indexes for the briefing's reads over a period — alarms by the time they
 * were raised, closure clocks by their deadline — so a month is not a scan of every row.
 */
import type { Migration } from '../store/migrations.ts';

export const BRIEFING_MIGRATION: Migration = {
  version: 12,
  name: 'briefing: alarms by start time, clocks by kind and due time',
  sql: `
    CREATE INDEX alarms_start_ts ON alarms(start_ts);
    CREATE INDEX sla_clocks_kind_due ON sla_clocks(kind, due_ts);
  `,
};
