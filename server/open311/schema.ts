/**
 * Migration 8: Open311 API keys and the link from each case that came in through Open311 to
 * its key, token, rating key and the reporter's contact.
 *
 * Keys are stored as SHA-256 hashes (never the key). The report page's key is not random but
 * derived from the server secret and its `generation`, so it needs no plaintext anywhere;
 * revoking it makes the next generation. The reporter's contact (name, email, phone, device,
 * account) is private: only dispatchers and admins read it, never an Open311 response.
 */
import type { Migration } from '../store/migrations.ts';

export const OPEN311_MIGRATION: Migration = {
  version: 8,
  name: 'open311 api keys and requests (key, token, rating key, private reporter contact)',
  sql: `
    CREATE TABLE open311_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('citizenPhoto','hotline')),
      key_hash TEXT NOT NULL UNIQUE,
      report_page_generation INTEGER,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      last_used_at INTEGER,
      request_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE open311_requests (
      case_id INTEGER PRIMARY KEY REFERENCES cases(id),
      key_id INTEGER NOT NULL REFERENCES open311_keys(id),
      token TEXT NOT NULL UNIQUE,
      rating_key_hash TEXT NOT NULL,
      service_code TEXT NOT NULL,
      lon REAL NOT NULL,
      lat REAL NOT NULL,
      address_string TEXT,
      description TEXT NOT NULL,
      media_url TEXT,
      attributes TEXT,
      contact TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX open311_requests_key_time ON open311_requests(key_id, service_code, created_at);
  `,
};
