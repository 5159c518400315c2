/**
 * The PostgreSQL schema is the SQLite schema: at the newest version both stores have the same
 * tables, columns (with matching types and NOT NULL) and named indexes, read from each engine's
 * catalog — so a migration added to one list without the other fails here. The migrations
 * PostgreSQL does with ALTER where SQLite rebuilds a table keep the rows, as SQLite's do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { migratePostgres, POSTGRES_MIGRATIONS } from '../../server/store/sql/migrate-postgres.ts';
import { openTestPgStore, pgAvailable, type TestPgStore } from './store-pg-harness.ts';

interface Column { type: string; notNull: boolean }

/** SQLite's declared types and the PostgreSQL types that hold the same values. */
const SAME_TYPE: Record<string, readonly string[]> = {
  INTEGER: ['bigint', 'integer'],
  REAL: ['double precision'],
  TEXT: ['text'],
  BLOB: ['bytea'],
};

function sqliteSchema(db: Db): { tables: Map<string, Map<string, Column>>; indexes: Set<string> } {
  const tables = new Map<string, Map<string, Column>>();
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  for (const t of names) {
    const cols = new Map<string, Column>();
    for (const c of db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string; notnull: number; pk: number }[]) {
      cols.set(c.name, { type: c.type, notNull: c.notnull === 1 || c.pk > 0 });
    }
    tables.set(t, cols);
  }
  const indexes = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'").pluck().all() as string[]);
  return { tables, indexes };
}

async function postgresSchema(t: TestPgStore): Promise<{ tables: Map<string, Map<string, Column>>; indexes: Set<string> }> {
  const rows = await t.store.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
       FROM information_schema.columns c
       JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = to_regnamespace($1)
      WHERE c.table_schema = $1 AND NOT k.relispartition AND c.table_name <> 'schema_migrations'`, [t.schema]);
  const tables = new Map<string, Map<string, Column>>();
  for (const r of rows) {
    let cols = tables.get(r.table_name);
    if (!cols) tables.set(r.table_name, (cols = new Map()));
    cols.set(r.column_name, { type: r.data_type, notNull: r.is_nullable === 'NO' });
  }
  const idx = await t.store.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [t.schema]);
  return { tables, indexes: new Set(idx.map((r) => r.indexname)) };
}

describe.skipIf(!pgAvailable)('PostgreSQL schema against SQLite', () => {
  let dir: string;
  let db: Db;
  let t: TestPgStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-schema-'));
    db = openDatabase(dir);
    t = await openTestPgStore('schema');
    await migratePostgres(t.store);
  });
  afterAll(async () => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await t?.dispose();
  });

  it('has the same tables, columns, types, NOT NULLs and named indexes', async () => {
    const lite = sqliteSchema(db);
    const pg = await postgresSchema(t);
    expect([...pg.tables.keys()].sort()).toEqual([...lite.tables.keys()].sort());
    for (const [table, cols] of lite.tables) {
      const pgCols = pg.tables.get(table)!;
      expect([...pgCols.keys()].sort(), table).toEqual([...cols.keys()].sort());
      for (const [name, col] of cols) {
        const p = pgCols.get(name)!;
        expect(SAME_TYPE[col.type], `${table}.${name} declared ${col.type} in SQLite`).toContain(p.type);
        expect(p.notNull, `${table}.${name} NOT NULL`).toBe(col.notNull);
      }
    }
    const missing = [...lite.indexes].filter((i) => !pg.indexes.has(i));
    expect(missing).toEqual([]);
  });
});

describe.skipIf(!pgAvailable)('PostgreSQL migrations that SQLite does by rebuilding a table', () => {
  it('keep users (crew become field users with their unit) and devices (new columns at their defaults)', async () => {
    const t = await openTestPgStore('rebuild');
    try {
      await migratePostgres(t.store, POSTGRES_MIGRATIONS.filter((m) => m.version <= 4));
      await t.store.exec("INSERT INTO users (username, password_hash, role, created_at) VALUES ('duty', 'h', 'dispatcher', 1)");
      await t.store.exec("INSERT INTO devices (source, device_id, entity_id, label, created_at) VALUES ('jt808', '013800138000', 'veh-1', 'A', 2)");
      await migratePostgres(t.store, POSTGRES_MIGRATIONS.filter((m) => m.version <= 5));
      await t.store.exec("INSERT INTO users (username, password_hash, role, created_at, unit_id) VALUES ('crew-7', 'h', 'crew', 3, 'veh-7')");
      // The pairing of the crew role with a unit is checked, as SQLite's rebuilt table checks it.
      await expect(t.store.exec("INSERT INTO users (username, password_hash, role, created_at) VALUES ('crew-8', 'h', 'crew', 3)")).rejects.toThrow(/check constraint/);
      await migratePostgres(t.store);
      expect(await t.store.query('SELECT username, role, unit_id FROM users ORDER BY username')).toEqual([
        { username: 'crew-7', role: 'field', unit_id: 'veh-7' },
        { username: 'duty', role: 'dispatcher', unit_id: null },
      ]);
      await expect(t.store.exec("INSERT INTO users (username, password_hash, role, created_at, unit_id) VALUES ('c9', 'h', 'crew', 3, 'v')")).rejects.toThrow(/check constraint/);
      expect(await t.store.one('SELECT source, device_id, entity_id, label, created_at, state, meta, accepted, refused FROM devices')).toEqual({
        source: 'jt808', device_id: '013800138000', entity_id: 'veh-1', label: 'A', created_at: 2, state: 'active', meta: '{}', accepted: 0, refused: 0,
      });
    } finally {
      await t.dispose();
    }
  });
});
