/**
 * Migration 12: indexes for the briefing's reads over a period — alarms by the time they
 * were raised, cases by closure, clocks by start and deadline, a case's first dispatch in one
 * seek — so a period reads only its own cases, not every row.
 */
import type { Migration } from '../store/migrations.ts';

export const BRIEFING_MIGRATION: Migration = {
  version: 12,
  name: 'briefing: alarms by start, cases by closure, clocks by start and due time, timeline by case and action',
  sql: `
    CREATE INDEX alarms_start_ts ON alarms(start_ts);
    CREATE INDEX sla_clocks_kind_due ON sla_clocks(kind, due_ts);
    CREATE INDEX case_timeline_case_action ON case_timeline(case_id, action, ts);
    CREATE INDEX cases_closed ON cases(closed_ts) WHERE closed_ts IS NOT NULL;
    CREATE INDEX sla_clocks_kind_start ON sla_clocks(kind, start_ts);
  `,
};
