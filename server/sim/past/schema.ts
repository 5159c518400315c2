/**
 * Migration 11: the past generator's progress (server/sim/past). One row, written in the
 * same transactions as what it generates, so a crash mid-generation resumes where the last
 * commit left it and a finished generation is never run again.
 */
import type { Migration } from '../../store/migrations.ts';

export const SIM_PAST_MIGRATION: Migration = {
  version: 11,
  name: 'simulated past: generation progress',
  sql: `
    CREATE TABLE sim_past (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      days INTEGER NOT NULL,       -- SIM_HISTORY_DAYS at the first start
      seed INTEGER NOT NULL,
      from_ts INTEGER NOT NULL,    -- local midnight, days before the first start
      to_ts INTEGER NOT NULL,      -- the first start (positions end at the 10-minute bucket before it)
      ops_done INTEGER NOT NULL,   -- cases and alarms of the whole window written (one transaction)
      tracks_until INTEGER NOT NULL, -- positions and readings written up to here, ms
      started_ts INTEGER NOT NULL,
      finished_ts INTEGER
    );
  `,
};
