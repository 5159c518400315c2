/**
 * Migration 6: the field crew's role is named `field`, as the phone page (/field) and the
 * operator CLI call it (`add-user <name> field --unit <entity id>`); migration 5 called it
 * `crew`. `users` is rebuilt again (SQLite cannot alter a CHECK) with foreign keys off and
 * checked before commit, and existing crew users become field users with their unit kept.
 * Timelines keep the role an actor had when it acted.
 */
import type { Migration } from '../store/migrations.ts';

export const FIELD_ROLE_MIGRATION: Migration = {
  version: 6,
  name: "users: the unit crew's role is 'field'",
  rebuildsReferencedTable: true,
  sql: `
    CREATE TABLE users_new (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('wall','dispatcher','leader','admin','field')),
      created_at INTEGER NOT NULL,
      disabled_at INTEGER,
      unit_id TEXT,
      CHECK ((role = 'field') = (unit_id IS NOT NULL))
    );
    INSERT INTO users_new (id, username, password_hash, role, created_at, disabled_at, unit_id)
      SELECT id, username, password_hash, CASE role WHEN 'crew' THEN 'field' ELSE role END, created_at, disabled_at, unit_id FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
  `,
};

/**
 * Migration 17: failed logins counted per user and per client address (so every node behind a
 * load balancer sees the same lockout), and the indexes the session sweep, the retention job
 * and the admins' audit queries read by.
 */
export const HARDENING_MIGRATION: Migration = {
  version: 17,
  name: 'login throttle; indexes for session expiry and audit queries',
  sql: `
    CREATE TABLE login_throttle (
      key TEXT PRIMARY KEY,
      failures INTEGER NOT NULL CHECK (failures > 0),
      last_failure_at INTEGER NOT NULL,
      locked_until INTEGER NOT NULL
    );
    CREATE INDEX sessions_expires ON sessions(expires_at);
    CREATE INDEX sessions_revoked ON sessions(revoked_at);
    CREATE INDEX audit_actor ON audit(actor, id);
    CREATE INDEX audit_action ON audit(action, id);
  `,
};
