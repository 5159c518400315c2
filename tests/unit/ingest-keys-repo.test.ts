import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestKeysRepo } from '../../server/ingest/http/keys-repo.ts';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-keys-'));
  dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return db;
}

describe('ingest keys: usage counters', () => {
  it('counts every batch at once for readers, writes them in one flush, and a second repo on the store reads them back', async () => {
    const db = store();
    const keys = new IngestKeysRepo(new SqliteStore(db));
    const { secret, key } = await keys.create('platform', 'admin', T0);
    keys.used(key.id, 1000, 2, T0 + 1000);
    keys.used(key.id, 998, 0, T0 + 2000);
    const expected = { accepted: 1998, rejected: 2, lastUsedAt: T0 + 2000 };
    expect(await keys.get(key.id)).toMatchObject(expected);
    expect((await keys.list())[0]).toMatchObject(expected);
    expect(await keys.authenticate(secret)).toMatchObject(expected);
    expect(db.prepare('SELECT accepted, rejected, last_used_at FROM ingest_keys WHERE id = ?').get(key.id)).toEqual({ accepted: 0, rejected: 0, last_used_at: null });

    expect(await keys.flush()).toBe(1);
    expect(await keys.flush()).toBe(0);
    expect(await new IngestKeysRepo(new SqliteStore(db)).get(key.id)).toMatchObject(expected);
    keys.used(key.id, 5, 1, T0 + 3000);
    expect(await keys.get(key.id)).toMatchObject({ accepted: 2003, rejected: 3, lastUsedAt: T0 + 3000 });
  });

  it('keeps the usage for the next flush when the store refuses a write', async () => {
    const db = store();
    const keys = new IngestKeysRepo(new SqliteStore(db));
    const { key } = await keys.create('platform', 'admin', T0);
    keys.used(key.id, 10, 0, T0);
    db.exec(`CREATE TRIGGER refuse BEFORE UPDATE ON ingest_keys BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    await expect(keys.flush()).rejects.toThrow(/disk full/);
    db.exec('DROP TRIGGER refuse');
    expect(await keys.flush()).toBe(1);
    expect(db.prepare('SELECT accepted FROM ingest_keys WHERE id = ?').pluck().get(key.id)).toBe(10);
  });
});
