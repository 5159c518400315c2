/**
 * Applies the PostgreSQL migrations a store lacks. The applied versions are rows of
 * `schema_migrations` (PostgreSQL has no `user_version`); each migration is one transaction
 * (PostgreSQL's DDL is transactional, so a failed one leaves nothing half made) holding an
 * advisory lock, so two nodes starting at once apply each migration exactly once.
 */
import type { PostgresMigration } from './postgres-migration.ts';
import { POSTGRES_MIGRATIONS_1_TO_9 } from './postgres-schema.ts';
import { POSTGRES_MIGRATIONS_10_TO_17 } from './postgres-schema-10-17.ts';
import type { PostgresStore } from './postgres-store.ts';
import { SqlStoreError } from './types.ts';

/** Every PostgreSQL migration, oldest first. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [...POSTGRES_MIGRATIONS_1_TO_9, ...POSTGRES_MIGRATIONS_10_TO_17];

/** pg_advisory_xact_lock's key for migrations: any fixed number no other part of the product uses. */
const MIGRATION_LOCK = 7_123_001;

/** The newest version applied (0 for an empty schema). */
export async function postgresSchemaVersion(store: PostgresStore): Promise<number> {
  await ensureVersionTable(store);
  const row = await store.one<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

/** Applies what is missing and returns the version the store is at. Refuses a store newer than this build. */
export async function migratePostgres(store: PostgresStore, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS, now = Date.now): Promise<number> {
  const newest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const current = await postgresSchemaVersion(store);
  if (current > newest) {
    throw new SqlStoreError(`database schema version ${current} is newer than this build knows (${newest}); refusing to run an older server on it`);
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    await store.transaction(async (tx) => {
      await tx.exec('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Another node may have applied it while this one waited for the lock.
      if (await tx.one('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])) return;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new SqlStoreError(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      await tx.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
    });
  }
  return postgresSchemaVersion(store);
}

async function ensureVersionTable(store: PostgresStore): Promise<void> {
  // IF NOT EXISTS alone races: two nodes both see no table and one fails on the catalog's unique index.
  await store.transaction(async (tx) => {
    await tx.exec('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  });
}
