/**
 * `npm run db:migrate` as an operator runs it: a real process against the test PostgreSQL,
 * in a schema of its own; and with a wrong address it fails without printing the password.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { PostgresStore } from '../../server/store/sql/postgres-store.ts';
import { PG_TEST_URL, pgAvailable } from './store-pg-harness.ts';

const run = promisify(execFile);
const NEWEST = Math.max(...MIGRATIONS.map((m) => m.version));

function migrateCli(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'server/store/sql/migrate-cli.ts'], { env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('npm run db:migrate', () => {
  it.skipIf(!pgAvailable)('creates the schema at the newest version, then finds it up to date', async () => {
    const schema = `cityops_t_cli_${process.pid}_${randomBytes(4).toString('hex')}`;
    try {
      const first = await migrateCli({ DATABASE_URL: PG_TEST_URL, DATABASE_SCHEMA: schema });
      expect(first.stdout).toContain(`schema ${schema} is at version ${NEWEST}`);
      const again = await migrateCli({ DATABASE_URL: PG_TEST_URL, DATABASE_SCHEMA: schema });
      expect(again.stdout).toContain(`is at version ${NEWEST}`);
      const check = await PostgresStore.open({ url: PG_TEST_URL, schema });
      try {
        expect(await check.one('SELECT COUNT(*) AS n FROM schema_migrations')).toEqual({ n: MIGRATIONS.length });
      } finally {
        await check.close();
      }
    } finally {
      const admin = await PostgresStore.open({ url: PG_TEST_URL });
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    }
  });

  it('fails on an unreachable server without printing the password', async () => {
    const err = await migrateCli({ DATABASE_URL: 'postgres://ops:Secr3t-pw@127.0.0.1:1/cityops' }).then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
    expect(err).not.toBeNull();
    expect(err!.code).toBe(1);
    expect(err!.stderr).toContain('cannot use PostgreSQL at postgres://ops@127.0.0.1:1/cityops');
    expect(err!.stderr + err!.stdout).not.toContain('Secr3t-pw');
  });

  it('refuses a URL that is not PostgreSQL', async () => {
    const err = await migrateCli({ DATABASE_URL: 'mysql://ops:Secr3t-pw@127.0.0.1/cityops' }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err!.code).toBe(1);
    expect(err!.stderr).toContain('DATABASE_URL must start with postgres://');
    expect(err!.stderr).not.toContain('Secr3t-pw');
  });
});
