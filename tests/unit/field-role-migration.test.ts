import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

describe('migration 6: the crew role becomes field', () => {
  it('keeps every user, their unit and their sessions, and renames crew to field', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 5))).toBe(5);
    db.prepare("INSERT INTO users (id, username, password_hash, role, created_at, unit_id) VALUES (1, 'admin', 'h1', 'admin', 1, NULL), (2, 'wang', 'h2', 'crew', 2, 'staff-0001')").run();
    db.prepare("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('t2', 2, 3, 4)").run();

    expect(migrate(db, MIGRATIONS.filter((m) => m.version <= 6))).toBe(6);
    expect(db.prepare('SELECT id, username, role, unit_id FROM users ORDER BY id').all()).toEqual([
      { id: 1, username: 'admin', role: 'admin', unit_id: null },
      { id: 2, username: 'wang', role: 'field', unit_id: 'staff-0001' },
    ]);
    expect(db.prepare('SELECT user_id FROM sessions').all()).toEqual([{ user_id: 2 }]);
    // the old name is refused now, and a field user needs its unit
    expect(() => db.prepare("INSERT INTO users (username, password_hash, role, created_at, unit_id) VALUES ('li', 'h', 'crew', 5, 'staff-0002')").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES ('li', 'h', 'field', 5)").run()).toThrow(/CHECK/);
  });
});
