/**
 * Migration 2: cases (versioned rows), their timeline, photos (metadata; the files live
 * under DATA_DIR/photos/), exception requests, evaluations and the per-day sequence behind
 * the human case numbers (LX-20261128-0042).
 */
import type { Migration } from '../store/migrations.ts';

export const CASES_MIGRATION: Migration = {
  version: 2,
  name: 'cases, timeline, photos, requests, evaluations, case number sequence',
  sql: `
    CREATE TABLE cases (
      id INTEGER PRIMARY KEY,
      code TEXT NOT NULL UNIQUE,
      title TEXT NOT NULL,
      description TEXT NOT NULL,
      item_code TEXT NOT NULL,
      category TEXT NOT NULL CHECK (category IN ('component','event')),
      source TEXT NOT NULL,
      stage TEXT NOT NULL,
      suspended INTEGER NOT NULL DEFAULT 0,
      emergency INTEGER NOT NULL,
      difficulty TEXT NOT NULL CHECK (difficulty IN ('small','big','hard')),
      lon REAL NOT NULL,
      lat REAL NOT NULL,
      street_code TEXT NOT NULL,
      community_code TEXT,
      grid_id TEXT,
      address TEXT,
      assigned_org TEXT,
      assignment TEXT,
      alarm_id INTEGER,
      escalation_level INTEGER NOT NULL DEFAULT 0,
      rework_count INTEGER NOT NULL DEFAULT 0,
      reported_by TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      updated_ts INTEGER NOT NULL,
      closed_ts INTEGER,
      version INTEGER NOT NULL
    );
    CREATE INDEX cases_stage ON cases(stage);
    CREATE INDEX cases_updated ON cases(updated_ts);
    CREATE INDEX cases_created ON cases(created_ts);
    CREATE INDEX cases_alarm ON cases(alarm_id);
    CREATE TABLE case_timeline (
      id INTEGER PRIMARY KEY,
      case_id INTEGER NOT NULL REFERENCES cases(id),
      ts INTEGER NOT NULL,
      actor TEXT NOT NULL,
      actor_role TEXT NOT NULL,
      action TEXT NOT NULL,
      from_stage TEXT,
      to_stage TEXT,
      note TEXT,
      data TEXT
    );
    CREATE INDEX case_timeline_case ON case_timeline(case_id, id);
    CREATE TABLE case_photos (
      id TEXT PRIMARY KEY,
      case_id INTEGER NOT NULL REFERENCES cases(id),
      phase TEXT NOT NULL CHECK (phase IN ('before','after')),
      file TEXT NOT NULL,
      content_type TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      by TEXT NOT NULL
    );
    CREATE INDEX case_photos_case ON case_photos(case_id);
    CREATE TABLE case_requests (
      id INTEGER PRIMARY KEY,
      case_id INTEGER NOT NULL REFERENCES cases(id),
      kind TEXT NOT NULL CHECK (kind IN ('sendBack','extension','suspension','void')),
      reason TEXT NOT NULL,
      days INTEGER,
      requested_by TEXT NOT NULL,
      requested_ts INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
      decided_by TEXT,
      decided_ts INTEGER,
      decision_note TEXT,
      version INTEGER NOT NULL
    );
    CREATE INDEX case_requests_case ON case_requests(case_id);
    CREATE TABLE case_evaluations (
      case_id INTEGER PRIMARY KEY REFERENCES cases(id),
      score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
      comment TEXT,
      by TEXT NOT NULL,
      ts INTEGER NOT NULL
    );
    CREATE TABLE case_code_seq (
      day TEXT PRIMARY KEY,
      last INTEGER NOT NULL
    );
  `,
};

/**
 * Migration 9: a photo may carry the uploader's idempotency key (the field phone's retry
 * queue sends one per photo), unique per case, so a retried upload finds the photo it already
 * made instead of adding a second one. The timeline gets an index by action and time for a
 * unit's finished tasks of a day (GET /api/units/:id/tasks).
 */
export const PHOTO_IDEMPOTENCY_MIGRATION: Migration = {
  version: 9,
  name: 'case photos: idempotency key; timeline by action and time',
  sql: `
    ALTER TABLE case_photos ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX case_photos_idempotency ON case_photos(case_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX case_timeline_action_ts ON case_timeline(action, ts);
  `,
};
