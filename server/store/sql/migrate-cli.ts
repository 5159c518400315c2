/**
 * `npm run db:migrate`: creates or brings up to date the PostgreSQL schema named by
 * DATABASE_URL (and DATABASE_SCHEMA, default the server's search path), then prints the
 * version. For a deployment preparing its PostgreSQL before the servers use it, and for
 * checking that the URL and credentials work. Never prints the password.
 */
import { migratePostgres } from './migrate-postgres.ts';
import { isPostgresUrl } from './open.ts';
import { PostgresStore, describeDatabaseUrl } from './postgres-store.ts';

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!isPostgresUrl(url)) {
    console.error('db:migrate: set DATABASE_URL=postgres://user:password@host:5432/database');
    return 2;
  }
  const schema = process.env.DATABASE_SCHEMA || undefined;
  const store = await PostgresStore.open({ url, schema });
  try {
    const version = await migratePostgres(store);
    console.log(`db:migrate: ${describeDatabaseUrl(url)}${schema ? ` schema ${schema}` : ''} is at version ${version}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`db:migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
