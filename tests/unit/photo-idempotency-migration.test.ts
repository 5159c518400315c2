import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { CasesRepo } from '../../server/cases/cases-repo.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

describe('migration 9: case photos carry an idempotency key', () => {
  it('keeps existing photos (no key), and allows one photo per key per case', async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 7))).toBe(7);
    const insertCase = (id: number) => db.prepare(`INSERT INTO cases (id, code, title, description, item_code, category, source, stage, suspended, emergency, difficulty, lon, lat, street_code,
      community_code, grid_id, address, assigned_org, assignment, alarm_id, escalation_level, rework_count, reported_by, created_ts, updated_ts, closed_ts, version)
      VALUES (?, ?, 't', '', '15.01.001', 'component', 'roadChief', 'handling', 0, 0, 'small', 117, 36.6, '370102001', NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 'x', 1, 1, NULL, 1)`).run(id, `LX-${id}`);
    insertCase(1);
    insertCase(2);
    db.prepare("INSERT INTO case_photos (id, case_id, phase, file, content_type, bytes, ts, by) VALUES ('old-1', 1, 'before', 'a.jpg', 'image/jpeg', 10, 1, 'x'), ('old-2', 1, 'after', 'b.jpg', 'image/jpeg', 10, 2, 'x')").run();

    expect(migrate(db, MIGRATIONS)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    const repo = new CasesRepo(new SqliteStore(db));
    expect((await repo.photos(1)).map((p) => [p.id, p.idempotencyKey])).toEqual([['old-1', null], ['old-2', null]]);

    const photo = (id: string, caseId: number, key: string | null) => ({ id, caseId, phase: 'after' as const, file: `${id}.jpg`, contentType: 'image/jpeg', bytes: 10, ts: 3, by: 'wangfang', idempotencyKey: key });
    await repo.addPhoto(photo('new-1', 1, 'key-0001'));
    await expect(repo.addPhoto(photo('new-2', 1, 'key-0001'))).rejects.toThrow(/UNIQUE/);
    await repo.addPhoto(photo('new-3', 2, 'key-0001')); // the same key on another case is another photo
    await repo.addPhoto(photo('new-4', 1, null));
    expect((await repo.photoByKey(1, 'key-0001'))?.id).toBe('new-1');
    expect((await repo.photoByKey(2, 'key-0001'))?.id).toBe('new-3');
    expect(await repo.photoByKey(1, 'key-0002')).toBeUndefined();
    expect((await repo.photos(1)).map((p) => p.id)).toEqual(['old-1', 'old-2', 'new-1', 'new-4']);
  });
});
