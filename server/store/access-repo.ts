/** Users, login sessions and wall display tokens. Tokens are stored as SHA-256 hashes only. */
import { createHash } from 'node:crypto';
import type { Role } from '../../shared/roles.ts';
import type { Db } from './database.ts';

export interface UserRow {
  id: number; username: string; role: Role; passwordHash: string; disabled: boolean;
  /** crew only: the unit (live entity id) the user acts for */
  unitId: string | null;
}
export interface DisplayTokenRow { id: number; name: string; createdAt: number; createdBy: string; revokedAt: number | null; lastUsedAt: number | null }

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class AccessRepo {
  constructor(private readonly db: Db) {}

  countAdmins(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n;
  }

  /** A crew user needs the unit it is bound to; other roles have none (the table refuses both mistakes). */
  createUser(username: string, passwordHash: string, role: Role, now = Date.now(), unitId: string | null = null): number {
    const r = this.db.prepare('INSERT INTO users (username, password_hash, role, created_at, unit_id) VALUES (?, ?, ?, ?, ?)').run(username, passwordHash, role, now, unitId);
    return Number(r.lastInsertRowid);
  }

  findUser(username: string): UserRow | undefined {
    const r = this.db.prepare('SELECT id, username, role, password_hash, disabled_at, unit_id FROM users WHERE username = ?').get(username) as
      | { id: number; username: string; role: Role; password_hash: string; disabled_at: number | null; unit_id: string | null }
      | undefined;
    return r && { id: r.id, username: r.username, role: r.role, passwordHash: r.password_hash, disabled: r.disabled_at !== null, unitId: r.unit_id };
  }

  createSession(token: string, userId: number, ttlMs: number, now = Date.now()): void {
    this.db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(tokenHash(token), userId, now, now + ttlMs);
  }

  /** The user behind a live session token, or undefined when unknown, expired, revoked or disabled. */
  sessionUser(token: string, now = Date.now()): { username: string; role: Role; unitId: string | null } | undefined {
    return this.db
      .prepare(
        `SELECT u.username, u.role, u.unit_id AS unitId FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.disabled_at IS NULL`,
      )
      .get(tokenHash(token), now) as { username: string; role: Role; unitId: string | null } | undefined;
  }

  revokeSession(token: string, now = Date.now()): boolean {
    return this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(now, tokenHash(token)).changes > 0;
  }

  /** A new password hash; every session of the user but `keepTokenHash` (the one that changed it) ends. Returns the ended sessions' hashes. */
  setPassword(userId: number, passwordHash: string, now = Date.now(), keepTokenHash?: string): string[] {
    return this.db.transaction(() => {
      this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, userId);
      return this.revokeUserSessions(userId, now, keepTokenHash);
    })();
  }

  /** Ends the user's open sessions (but `keepTokenHash`); returns their token hashes for the revocation event. */
  revokeUserSessions(userId: number, now = Date.now(), keepTokenHash?: string): string[] {
    const rows = this.db.prepare('SELECT token_hash FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND token_hash IS NOT ?').all(userId, now, keepTokenHash ?? null) as { token_hash: string }[];
    const revoke = this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ?');
    for (const r of rows) revoke.run(now, r.token_hash);
    return rows.map((r) => r.token_hash);
  }

  /**
   * Revocation keys of sessions and display tokens that stopped being valid in (from, to]:
   * expired, revoked (also by the operator CLI, another process), or whose user was disabled.
   * The sweep emits them so that live sockets opened with them are closed.
   */
  endedSince(from: number, to: number): string[] {
    const sessions = this.db.prepare(
      `SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE (s.expires_at > ? AND s.expires_at <= ?) OR (s.revoked_at > ? AND s.revoked_at <= ?)
          OR (u.disabled_at > ? AND u.disabled_at <= ? AND s.expires_at > ?)`,
    ).all(from, to, from, to, from, to, from) as { token_hash: string }[];
    const displays = this.db.prepare('SELECT id FROM display_tokens WHERE revoked_at > ? AND revoked_at <= ?').all(from, to) as { id: number }[];
    return [...sessions.map((r) => `session:${r.token_hash}`), ...displays.map((r) => `display:${r.id}`)];
  }

  /** Deletes sessions that ended (expired or revoked) before `before`; they can no longer be used or swept. */
  pruneSessions(before: number): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?').run(before, before).changes;
  }

  createDisplayToken(token: string, name: string, createdBy: string, now = Date.now()): number {
    const r = this.db.prepare('INSERT INTO display_tokens (name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?)').run(name, tokenHash(token), now, createdBy);
    return Number(r.lastInsertRowid);
  }

  /** The display token's id when valid; marks it used (at most once a minute, to spare the disk). */
  useDisplayToken(token: string, now = Date.now()): { id: number; name: string } | undefined {
    const row = this.db.prepare('SELECT id, name, last_used_at FROM display_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(tokenHash(token)) as
      | { id: number; name: string; last_used_at: number | null }
      | undefined;
    if (!row) return undefined;
    if (row.last_used_at === null || now - row.last_used_at > 60_000) {
      this.db.prepare('UPDATE display_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    }
    return { id: row.id, name: row.name };
  }

  listDisplayTokens(): DisplayTokenRow[] {
    return (this.db.prepare('SELECT id, name, created_at, created_by, revoked_at, last_used_at FROM display_tokens ORDER BY id').all() as {
      id: number; name: string; created_at: number; created_by: string; revoked_at: number | null; last_used_at: number | null;
    }[]).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }));
  }

  revokeDisplayToken(id: number, now = Date.now()): boolean {
    return this.db.prepare('UPDATE display_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
  }
}
