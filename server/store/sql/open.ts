/**
 * Chooses the store from the configuration: DATABASE_URL=postgres://… (or postgresql://)
 * selects PostgreSQL; without it the embedded SQLite file under DATA_DIR stays the default,
 * opened exactly as before (server/store/database.ts).
 */
import { openDatabase } from '../database.ts';
import { migratePostgres } from './migrate-postgres.ts';
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import { SqlStoreError, type SqlStore } from './types.ts';

export interface StoreLocation {
  /** DATABASE_URL, when set. */
  databaseUrl?: string;
  /** DATA_DIR: where the SQLite file lives when there is no DATABASE_URL. */
  dataDir: string;
  /** PostgreSQL schema (tests: one per run). */
  schema?: string;
  onIdleError?: (err: Error) => void;
}

/** true for a URL that names PostgreSQL; throws for any other DATABASE_URL (a typo must not fall back to SQLite). */
export function isPostgresUrl(url: string | undefined): url is string {
  if (url === undefined || url === '') return false;
  if (/^postgres(ql)?:\/\//.test(url)) return true;
  throw new SqlStoreError('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite store)');
}

/** Opens and migrates the configured store. */
export async function openSqlStore(where: StoreLocation): Promise<SqlStore> {
  if (isPostgresUrl(where.databaseUrl)) {
    const store = await PostgresStore.open({ url: where.databaseUrl, schema: where.schema, onIdleError: where.onIdleError });
    try {
      await migratePostgres(store);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  return new SqliteStore(openDatabase(where.dataDir), true);
}
