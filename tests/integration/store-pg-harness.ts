/**
 * PostgreSQL for the store tests: PG_TEST_URL (default postgres://postgres@127.0.0.1:5432/test),
 * a fresh schema per store so runs never see each other's tables. With CI=true an unreachable
 * PostgreSQL fails the importing test file; elsewhere the PostgreSQL tests skip with a notice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../server/store/database.ts';
import { migratePostgres } from '../../server/store/sql/migrate-postgres.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import type { SqlStore } from '../../server/store/sql/types.ts';
import { PostgresStore, describeDatabaseUrl } from '../../server/store/sql/postgres-store.ts';

export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const failure = await probe();
if (failure !== null) {
  const why = `PostgreSQL at ${describeDatabaseUrl(PG_TEST_URL)} is unreachable (${failure})`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI=true requires it (set PG_TEST_URL)`);
  console.warn(`NOTICE: ${why}: the PostgreSQL store tests are SKIPPED. Set PG_TEST_URL to run them.`);
}

/** true when the PostgreSQL tests run. */
export const pgAvailable = failure === null;

export interface TestPgStore {
  store: PostgresStore;
  schema: string;
  /** Drops the schema with everything in it, then closes the pool. */
  dispose(): Promise<void>;
}

/** A store on a schema of its own, created now. */
export async function openTestPgStore(label = 'store'): Promise<TestPgStore> {
  const schema = `cityops_t_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const store = await PostgresStore.open({ url: PG_TEST_URL, schema, maxConnections: 5 });
  return {
    store,
    schema,
    async dispose() {
      await store.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    },
  };
}

/**
 * The two stores a repository suite runs on: a fresh migrated SQLite file, and a fresh migrated
 * PostgreSQL schema (when reachable). `label` names the temp directory and the schema.
 */
export function storeDrivers(label: string) {
  return [
    {
      name: 'SQLite', run: true,
      open: async (): Promise<{ store: SqlStore; dispose: () => Promise<void> }> => {
        const dir = mkdtempSync(join(tmpdir(), `cityops-${label}-`));
        const store = new SqliteStore(openDatabase(dir), true);
        return { store, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
      },
    },
    {
      name: 'PostgreSQL', run: pgAvailable,
      open: async (): Promise<{ store: SqlStore; dispose: () => Promise<void> }> => {
        const t = await openTestPgStore(label);
        await migratePostgres(t.store);
        return { store: t.store, dispose: () => t.dispose() };
      },
    },
  ] as const;
}
