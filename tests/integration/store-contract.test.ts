/**
 * The store contract, run against both drivers: what every repository may rely on whichever
 * store DATABASE_URL selects. PostgreSQL runs on PG_TEST_URL in a schema of its own
 * (tests/integration/store-pg-harness.ts); with CI=true it must be there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { migratePostgres, postgresSchemaVersion, POSTGRES_MIGRATIONS } from '../../server/store/sql/migrate-postgres.ts';
import { HistoryPartitions, pruneHistory } from '../../server/history/partitions.ts';
import { listRangePartitions } from '../../server/store/sql/partitions.ts';
import { SqlStoreError, type SqlStore } from '../../server/store/sql/types.ts';
import { openTestPgStore, pgAvailable, type TestPgStore } from './store-pg-harness.ts';

/** The newest migration version, read from the SQLite list: both stores must reach it. */
const NEWEST = Math.max(...MIGRATIONS.map((m) => m.version));
const DAY_S = 86_400;
/** 2026-12-01T00:00Z in seconds: 20,788 days after the epoch. */
const DEC_1 = 20_788 * DAY_S;

interface Driver {
  store: SqlStore;
  /** Runs the migrations again on the open store; returns the version it ends at. */
  migrateAgain(): Promise<number>;
  dispose(): Promise<void>;
}

async function sqliteDriver(): Promise<Driver> {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-store-'));
  const db = openDatabase(dir);
  const store = new SqliteStore(db, true);
  return {
    store,
    migrateAgain: async () => migrate(db, MIGRATIONS),
    dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function postgresDriver(): Promise<Driver> {
  const t: TestPgStore = await openTestPgStore('contract');
  await migratePostgres(t.store);
  return { store: t.store, migrateAgain: () => migratePostgres(t.store), dispose: () => t.dispose() };
}

const drivers = [
  { name: 'SQLite', open: sqliteDriver, run: true },
  { name: 'PostgreSQL', open: postgresDriver, run: pgAvailable },
] as const;

async function addUser(ex: Pick<SqlStore, 'one'>, username: string): Promise<number> {
  const row = await ex.one<{ id: number }>(
    "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, 'x', 'dispatcher', $2) RETURNING id", [username, 1_765_000_000_000]);
  return row!.id;
}

async function usernames(store: SqlStore): Promise<string[]> {
  return (await store.query<{ username: string }>('SELECT username FROM users ORDER BY username')).map((r) => r.username);
}

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`store contract on ${driver.name}`, () => {
    let d: Driver;
    beforeAll(async () => { d = await driver.open(); });
    afterAll(async () => { await d?.dispose(); });

    it('migrates to the newest version, and again without changing anything', async () => {
      expect(await d.migrateAgain()).toBe(NEWEST);
      expect(await d.migrateAgain()).toBe(NEWEST);
    });

    it('names new rows by RETURNING, and reads them back by that id', async () => {
      const a = await addUser(d.store, 'returning-a');
      const b = await addUser(d.store, 'returning-b');
      expect(typeof a).toBe('number');
      expect(b).not.toBe(a);
      expect(await d.store.one('SELECT username FROM users WHERE id = $1', [b])).toEqual({ username: 'returning-b' });
      expect(await d.store.one('SELECT username FROM users WHERE id = $1', [-1])).toBeUndefined();
    });

    it('returns BIGINT times, counts and sums as numbers and BLOBs as the bytes written', async () => {
      const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
      await d.store.exec('INSERT INTO server_secret (id, secret, created_at) VALUES (1, $1, $2)', [secret, 1_765_432_109_876]);
      const row = await d.store.one<{ secret: Buffer; created_at: number }>('SELECT secret, created_at FROM server_secret WHERE id = 1');
      expect(Buffer.isBuffer(row!.secret)).toBe(true);
      expect(row!.secret.equals(secret)).toBe(true);
      expect(row!.created_at).toBe(1_765_432_109_876);
      await d.store.exec("INSERT INTO case_code_seq (day, last) VALUES ('2026-12-01', 40), ('2026-12-02', 2)");
      expect(await d.store.one("SELECT COUNT(*) AS n, SUM(last) AS total FROM case_code_seq WHERE day LIKE '2026-12-%'")).toEqual({ n: 2, total: 42 });
    });

    it('commits a transaction whose work resolves', async () => {
      const id = await d.store.transaction(async (tx) => {
        const made = await addUser(tx, 'committed');
        await tx.exec('UPDATE users SET disabled_at = $1 WHERE id = $2', [5, made]);
        return made;
      });
      expect(await d.store.one('SELECT username, disabled_at FROM users WHERE id = $1', [id])).toEqual({ username: 'committed', disabled_at: 5 });
    });

    it('rolls a transaction back when its work throws, and passes the error on', async () => {
      const before = await usernames(d.store);
      const boom = new Error('the caller failed after writing');
      await expect(d.store.transaction(async (tx) => {
        await addUser(tx, 'rolled-back-1');
        await addUser(tx, 'rolled-back-2');
        throw boom;
      })).rejects.toBe(boom);
      expect(await usernames(d.store)).toEqual(before);
    });

    it('rolls back the earlier statements when a later one breaks a constraint', async () => {
      const before = await usernames(d.store);
      await expect(d.store.transaction(async (tx) => {
        await addUser(tx, 'unique-1');
        await addUser(tx, 'unique-1');
      })).rejects.toThrow(/unique|duplicate/i);
      expect(await usernames(d.store)).toEqual(before);
    });

    it('refuses a transaction handle used after its end, a nested transaction, and the store used inside one', async () => {
      let leaked: Parameters<Parameters<SqlStore['transaction']>[0]>[0] | undefined;
      await d.store.transaction(async (tx) => { leaked = tx; });
      await expect(leaked!.query('SELECT 1 AS one')).rejects.toThrow(/transaction has ended/);
      await expect(d.store.transaction(async () => d.store.transaction(async () => 1))).rejects.toThrow(SqlStoreError);
      await expect(d.store.transaction(async () => d.store.query('SELECT 1 AS one'))).rejects.toThrow(/use the transaction handle/);
      // The store is still usable after all of those.
      expect(await d.store.one('SELECT 1 AS one')).toEqual({ one: 1 });
    });

    it('keeps every increment when twenty transactions update one row at once', async () => {
      await d.store.exec("INSERT INTO case_code_seq (day, last) VALUES ('2026-12-07', 0)");
      const codes = await Promise.all(Array.from({ length: 20 }, () => d.store.transaction(async (tx) => {
        const r = await tx.one<{ last: number }>("UPDATE case_code_seq SET last = last + 1 WHERE day = '2026-12-07' RETURNING last");
        return r!.last;
      })));
      // Each transaction saw its own number: the case codes a busy day hands out never repeat.
      expect([...codes].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('runs the statements a transaction starts side by side one at a time, in the order asked, all before COMMIT', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => { warnings.push(w.message); };
      process.on('warning', onWarning);
      try {
        await d.store.exec("INSERT INTO case_code_seq (day, last) VALUES ('2026-12-08', 0)");
        const seen = await d.store.transaction(async (tx) => {
          // Ten increments asked at once, and one more the work does not even wait for.
          const asked = Promise.all(Array.from({ length: 10 }, () => tx.one<{ last: number }>("UPDATE case_code_seq SET last = last + 1 WHERE day = '2026-12-08' RETURNING last")));
          void tx.exec("UPDATE case_code_seq SET last = last + 100 WHERE day = '2026-12-08'");
          return (await asked).map((r) => r!.last);
        });
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await d.store.one("SELECT last FROM case_code_seq WHERE day = '2026-12-08'")).toEqual({ last: 110 });
        await new Promise((r) => setImmediate(r));
        expect(warnings.filter((m) => m.includes('already executing a query'))).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('partitions history by time on demand and drops exactly the expired ones', async () => {
      const partitions = new HistoryPartitions(d.store);
      // Four days of buckets (two per day) and roll-ups in November and December.
      const buckets = [0, 1, 2, 3].flatMap((day) => [DEC_1 + day * DAY_S, DEC_1 + day * DAY_S + 43_200]);
      const days = ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'];
      const made = await partitions.ensure(buckets, days);
      expect(made).toBe(d.store.dialect === 'postgres' ? 4 + 2 : 0);
      // Already known: nothing to make again.
      expect(await partitions.ensure(buckets, days)).toBe(0);

      const eid = (await d.store.one<{ eid: number }>("INSERT INTO history_entity (entity_id, kind, org_code) VALUES ('v-1', 'vehicle', '370102001') RETURNING eid"))!.eid;
      for (const b of buckets) await d.store.exec('INSERT INTO history_track (eid, bucket, n, blob) VALUES ($1, $2, 1, $3)', [eid, b, Buffer.from([b % 251])]);
      for (const day of days) await d.store.exec("INSERT INTO history_daily (day, org_code, kind, reports, points, distance_m, online_s) VALUES ($1, '370102001', 'vehicle', 1, 1, 0, 0)", [day]);

      if (d.store.dialect === 'postgres') {
        const track = await listRangePartitions(d.store, 'history_track');
        expect(track.map((p) => [p.name, Number(p.from), Number(p.to)]).sort()).toEqual([
          ['history_track_p20261201', DEC_1, DEC_1 + DAY_S], ['history_track_p20261202', DEC_1 + DAY_S, DEC_1 + 2 * DAY_S],
          ['history_track_p20261203', DEC_1 + 2 * DAY_S, DEC_1 + 3 * DAY_S], ['history_track_p20261204', DEC_1 + 3 * DAY_S, DEC_1 + 4 * DAY_S],
        ]);
        // A time no partition covers is refused by PostgreSQL itself: the table really is partitioned.
        await expect(d.store.exec('INSERT INTO history_track (eid, bucket, n, blob) VALUES ($1, $2, 1, $3)', [eid, DEC_1 + 10 * DAY_S, Buffer.from([1])]))
          .rejects.toThrow(/no partition/);
      }

      // Cut in the middle of Dec 3: Dec 1 and 2 expire whole, Dec 3's first bucket too; November's roll-ups expire.
      const cutBucket = DEC_1 + 2 * DAY_S + 600;
      const result = await pruneHistory(d.store, { bucketS: cutBucket, day: '2026-12-01' }, partitions);
      const kept = (await d.store.query<{ bucket: number }>('SELECT bucket FROM history_track ORDER BY bucket')).map((r) => r.bucket);
      expect(kept).toEqual(buckets.filter((b) => b >= cutBucket));
      expect((await d.store.query<{ day: string }>('SELECT day FROM history_daily ORDER BY day')).map((r) => r.day)).toEqual(['2026-12-01', '2026-12-02']);
      if (d.store.dialect === 'postgres') {
        expect(result.droppedPartitions).toEqual(['history_daily_p202611', 'history_track_p20261201', 'history_track_p20261202']);
        expect(result.deletedTrackRows).toBe(1);
        expect(result.deletedDailyRows).toBe(0);
        // A late write into a dropped day makes its partition again instead of failing.
        expect(await partitions.ensure([DEC_1 + 100])).toBe(1);
      } else {
        expect(result).toEqual({ droppedPartitions: [], deletedTrackRows: 5, deletedDailyRows: 2 });
      }
    });
  });
}

describe.skipIf(!pgAvailable)('PostgreSQL migrations', () => {
  it('mirror the SQLite versions one to one', () => {
    expect(POSTGRES_MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
  });

  it('run once when two nodes start on an empty schema at the same moment', async () => {
    const t = await openTestPgStore('race');
    try {
      const [a, b] = await Promise.all([migratePostgres(t.store), migratePostgres(t.store)]);
      expect([a, b]).toEqual([NEWEST, NEWEST]);
      const applied = await t.store.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((x, y) => x - y));
    } finally {
      await t.dispose();
    }
  });

  it('refuse a schema newer than this build', async () => {
    const t = await openTestPgStore('newer');
    try {
      await migratePostgres(t.store);
      await t.store.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)");
      await expect(migratePostgres(t.store)).rejects.toThrow(/version 999 is newer than this build knows/);
      expect(await postgresSchemaVersion(t.store)).toBe(999);
    } finally {
      await t.dispose();
    }
  });
});
