/**
 * Migration 16: per-integration keys for the HTTP batch ingest, and the answers to requests
 * sent with an Idempotency-Key, so that a platform retrying a batch after a timeout gets the
 * first answer back instead of a second application.
 *
 * A key is stored as its SHA-256 only; it is shown once, when issued.
 */
import type { Migration } from '../../store/migrations.ts';

export const INGEST_KEYS_MIGRATION: Migration = {
  version: 16,
  name: 'http ingest keys and idempotent batch answers',
  sql: `
    CREATE TABLE ingest_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      key_hash TEXT NOT NULL UNIQUE,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      last_used_at INTEGER,
      accepted INTEGER NOT NULL DEFAULT 0,
      rejected INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE ingest_requests (
      key_id INTEGER NOT NULL REFERENCES ingest_keys(id),
      idempotency_key TEXT NOT NULL,
      route TEXT NOT NULL,
      body_sha256 TEXT NOT NULL,
      response TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (key_id, idempotency_key)
    );
    CREATE INDEX ingest_requests_time ON ingest_requests(created_at);
  `,
};
