/**
 * Versioned schema migrations. Append only: a migration that has shipped is never edited.
 * `PRAGMA user_version` records the last one applied.
 */
import { SLA_MIGRATION } from '../sla/schema.ts';
import { CASES_MIGRATION, PHOTO_IDEMPOTENCY_MIGRATION } from '../cases/schema.ts';
import { DISPATCH_MIGRATION } from '../dispatch/schema.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Runs with foreign keys off (SQLite's procedure for rebuilding a table that others reference:
   * create new, copy, drop, rename); the foreign keys are checked before the migration commits.
   */
  rebuildsReferencedTable?: boolean;
}
import { ALARMS_MIGRATION } from '../alarms/schema.ts';
import { FIELD_ROLE_MIGRATION, HARDENING_MIGRATION } from '../auth/schema.ts';
import { SERVER_SECRET_MIGRATION } from '../auth/server-secret.ts';
import { OPEN311_MIGRATION } from '../open311/schema.ts';
import { HISTORY_MIGRATION } from '../history/schema.ts';
import { BRIEFING_MIGRATION } from '../analytics/schema.ts';
import { SIM_PAST_MIGRATION } from '../sim/past/schema.ts';
import { HEAT_MIGRATION } from '../heat/schema.ts';
import { DEVICES_MIGRATION } from '../devices/schema.ts';
import { DEVICE_MESSAGES_MIGRATION } from '../ingest/jt808/text-schema.ts';
import { INGEST_KEYS_MIGRATION } from '../ingest/http/schema.ts';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'users, sessions, display tokens, devices, audit',
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('wall','dispatcher','leader','admin')),
        created_at INTEGER NOT NULL,
        disabled_at INTEGER
      );
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE TABLE display_tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at INTEGER,
        last_used_at INTEGER
      );
      CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        device_id TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        label TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (source, device_id)
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
      CREATE INDEX audit_ts ON audit(ts);
    `,
  },
  CASES_MIGRATION,
  SLA_MIGRATION,
  ALARMS_MIGRATION,
  DISPATCH_MIGRATION,
  FIELD_ROLE_MIGRATION,
  SERVER_SECRET_MIGRATION,
  OPEN311_MIGRATION,
  PHOTO_IDEMPOTENCY_MIGRATION,
  HISTORY_MIGRATION,
  SIM_PAST_MIGRATION,
  BRIEFING_MIGRATION,
  HEAT_MIGRATION,
  DEVICES_MIGRATION,
  DEVICE_MESSAGES_MIGRATION,
  INGEST_KEYS_MIGRATION,
  HARDENING_MIGRATION,
];
