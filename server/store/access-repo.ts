/**
 * Users, login sessions and wall display tokens. Tokens are stored as SHA-256 hashes only.
 * On the asynchronous layer (server/store/sql/): the same statements on SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import type { Role } from '../../shared/roles.ts';
import type { SqlExecutor, SqlStore } from './sql/types.ts';

export interface UserRow {
  id: number; username: string; role: Role; passwordHash: string; disabled: boolean;
  /** crew only: the unit (live entity id) the user acts for */
  unitId: string | null;
}
export interface DisplayTokenRow { id: number; name: string; createdAt: number; createdBy: string; revokedAt: number | null; lastUsedAt: number | null }
export interface SessionUser { username: string; role: Role; unitId: string | null }

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A display token is marked used at most this often, to spare the disk. */
const DISPLAY_USE_MARK_MS = 60_000;

export class AccessRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async countAdmins(): Promise<number> {
    const r = await this.sql.one<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin'");
    return r!.n;
  }

  /** A crew user needs the unit it is bound to; other roles have none (the table refuses both mistakes). */
  async createUser(username: string, passwordHash: string, role: Role, now = Date.now(), unitId: string | null = null): Promise<number> {
    const r = await this.sql.one<{ id: number }>(
      'INSERT INTO users (username, password_hash, role, created_at, unit_id) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [username, passwordHash, role, now, unitId],
    );
    return r!.id;
  }

  async findUser(username: string): Promise<UserRow | undefined> {
    const r = await this.sql.one<{ id: number; username: string; role: Role; password_hash: string; disabled_at: number | null; unit_id: string | null }>(
      'SELECT id, username, role, password_hash, disabled_at, unit_id FROM users WHERE username = $1', [username],
    );
    return r && { id: r.id, username: r.username, role: r.role, passwordHash: r.password_hash, disabled: r.disabled_at !== null, unitId: r.unit_id };
  }

  async createSession(token: string, userId: number, ttlMs: number, now = Date.now()): Promise<void> {
    await this.sql.exec('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash(token), userId, now, now + ttlMs]);
  }

  /** The user behind a live session token, or undefined when unknown, expired, revoked or disabled. */
  async sessionUser(token: string, now = Date.now()): Promise<SessionUser | undefined> {
    // unit_id is mapped here: an unquoted alias would come back lower-cased from PostgreSQL.
    const r = await this.sql.one<{ username: string; role: Role; unit_id: string | null }>(
      `SELECT u.username, u.role, u.unit_id FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL`,
      [tokenHash(token), now],
    );
    return r && { username: r.username, role: r.role, unitId: r.unit_id };
  }

  async revokeSession(token: string, now = Date.now()): Promise<boolean> {
    const r = await this.sql.exec('UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL', [now, tokenHash(token)]);
    return r.changes > 0;
  }

  /**
   * A new password hash; every session of the user but `keepTokenHash` (the one that changed it) ends.
   * Returns the ended sessions' hashes. The sessions end first, without a transaction: should the
   * second statement fail, the user is signed out with the old password still valid — never the
   * other way round, a new password with the old sessions still open.
   */
  async setPassword(userId: number, passwordHash: string, now = Date.now(), keepTokenHash?: string): Promise<string[]> {
    // One transaction: a login with the old password between the two steps would otherwise keep
    // a session the change should have ended. (On a transaction handle, the caller's.)
    const change = async (x: SqlExecutor) => {
      const ended = await this.revokeUserSessions(userId, now, keepTokenHash, x);
      await x.exec('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
      return ended;
    };
    const store = this.sql as Partial<SqlStore>;
    return typeof store.transaction === 'function' ? store.transaction(change) : change(this.sql);
  }

  /** Ends the user's open sessions (but `keepTokenHash`); returns their token hashes for the revocation event. */
  async revokeUserSessions(userId: number, now = Date.now(), keepTokenHash?: string, x: SqlExecutor = this.sql): Promise<string[]> {
    // One statement: a session opened meanwhile is either ended and returned, or not touched.
    const rows = await x.query<{ token_hash: string }>(
      `UPDATE sessions SET revoked_at = $1
       WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND token_hash IS DISTINCT FROM $3
       RETURNING token_hash`,
      [now, userId, keepTokenHash ?? null],
    );
    return rows.map((r) => r.token_hash);
  }

  /**
   * Revocation keys of sessions and display tokens that stopped being valid in (from, to]:
   * expired, revoked (also by the operator CLI, another process), or whose user was disabled.
   * The sweep emits them so that live sockets opened with them are closed.
   */
  async endedSince(from: number, to: number): Promise<string[]> {
    const sessions = await this.sql.query<{ token_hash: string }>(
      `SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE (s.expires_at > $1 AND s.expires_at <= $2) OR (s.revoked_at > $1 AND s.revoked_at <= $2)
          OR (u.disabled_at > $1 AND u.disabled_at <= $2 AND s.expires_at > $1)`,
      [from, to],
    );
    const displays = await this.sql.query<{ id: number }>('SELECT id FROM display_tokens WHERE revoked_at > $1 AND revoked_at <= $2', [from, to]);
    return [...sessions.map((r) => `session:${r.token_hash}`), ...displays.map((r) => `display:${r.id}`)];
  }

  /** Deletes sessions that ended (expired or revoked) before `before`; they can no longer be used or swept. */
  async pruneSessions(before: number): Promise<number> {
    return (await this.sql.exec('DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1', [before])).changes;
  }

  async createDisplayToken(token: string, name: string, createdBy: string, now = Date.now()): Promise<number> {
    const r = await this.sql.one<{ id: number }>(
      'INSERT INTO display_tokens (name, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING id',
      [name, tokenHash(token), now, createdBy],
    );
    return r!.id;
  }

  /** The display token's id when valid; marks it used (at most once a minute, to spare the disk). */
  async useDisplayToken(token: string, now = Date.now()): Promise<{ id: number; name: string } | undefined> {
    const row = await this.sql.one<{ id: number; name: string; last_used_at: number | null }>(
      'SELECT id, name, last_used_at FROM display_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash(token)],
    );
    if (!row) return undefined;
    if (row.last_used_at === null || now - row.last_used_at > DISPLAY_USE_MARK_MS) {
      await this.sql.exec('UPDATE display_tokens SET last_used_at = $1 WHERE id = $2', [now, row.id]);
    }
    return { id: row.id, name: row.name };
  }

  async listDisplayTokens(): Promise<DisplayTokenRow[]> {
    const rows = await this.sql.query<{ id: number; name: string; created_at: number; created_by: string; revoked_at: number | null; last_used_at: number | null }>(
      'SELECT id, name, created_at, created_by, revoked_at, last_used_at FROM display_tokens ORDER BY id',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at }));
  }

  async revokeDisplayToken(id: number, now = Date.now()): Promise<boolean> {
    return (await this.sql.exec('UPDATE display_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])).changes > 0;
  }
}
