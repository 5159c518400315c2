/**
 * Open311 API keys. A key is shown once when issued; the store keeps its SHA-256 only. The
 * report page's key is derived from the server secret and a generation counter, so the page
 * gets it from the server at any time without a stored plaintext, and revoking it rotates it
 * (the next generation is registered at once).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Open311Key, Open311KeySource } from '../../shared/open311.ts';
import type { SqlExecutor, SqlStore } from '../store/sql/types.ts';

export const REPORT_PAGE_KEY_NAME = '随手拍 report page';

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new random key: recognisable prefix, 192 random bits. */
export const newApiKey = (): string => `o311_${randomBytes(24).toString('base64url')}`;

interface KeyRow {
  [column: string]: unknown;
  id: number; name: string; source: Open311KeySource; key_hash: string; report_page_generation: number | null;
  created_by: string; created_at: number; revoked_at: number | null; last_used_at: number | null; request_count: number;
}

const fromRow = (r: KeyRow): Open311Key => ({
  id: r.id, name: r.name, source: r.source, createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at, requestCount: r.request_count, reportPage: r.report_page_generation !== null,
});

export class Open311KeysRepo {
  constructor(private readonly sql: SqlStore, private readonly derive: (purpose: string) => Buffer) {}

  async create(name: string, source: Open311KeySource, createdBy: string, now: number): Promise<{ key: string; row: Open311Key }> {
    const key = newApiKey();
    const row = await this.sql.one<KeyRow>('INSERT INTO open311_keys (name, source, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [name, source, hashKey(key), createdBy, now]);
    return { key, row: fromRow(row!) };
  }

  /** The report page's current key; registered (next generation) when none is active. */
  async reportPage(now: number): Promise<{ key: string; row: Open311Key }> {
    const active = await this.activeReportPage(this.sql);
    if (active) return active;
    return this.sql.transaction(async (tx) => {
      const last = await tx.one<{ g: number | null }>('SELECT MAX(report_page_generation) AS g FROM open311_keys');
      const generation = (last?.g ?? 0) + 1;
      const key = this.reportPageKey(generation);
      // Two servers (or requests) registering the same generation derive the same key: the second insert is a no-op.
      await tx.exec(`INSERT INTO open311_keys (name, source, key_hash, report_page_generation, created_by, created_at) VALUES ($1, 'citizenPhoto', $2, $3, 'system', $4)
        ON CONFLICT (key_hash) DO NOTHING`, [REPORT_PAGE_KEY_NAME, hashKey(key), generation, now]);
      return (await this.activeReportPage(tx))!;
    });
  }

  /** The key row a presented key belongs to (revoked ones included: the caller says why it refuses). */
  async byKey(key: string): Promise<Open311Key | undefined> {
    const r = await this.sql.one<KeyRow>('SELECT * FROM open311_keys WHERE key_hash = $1', [hashKey(key)]);
    return r && fromRow(r);
  }

  async get(id: number): Promise<Open311Key | undefined> {
    const r = await this.sql.one<KeyRow>('SELECT * FROM open311_keys WHERE id = $1', [id]);
    return r && fromRow(r);
  }

  async list(): Promise<Open311Key[]> {
    return (await this.sql.query<KeyRow>('SELECT * FROM open311_keys ORDER BY id')).map(fromRow);
  }

  /** Revokes an active key; false when there is none with that id. */
  async revoke(id: number, now: number): Promise<boolean> {
    return (await this.sql.exec('UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])).changes === 1;
  }

  /** Counts an accepted request; `sql` is the transaction of the request when there is one. */
  async used(id: number, now: number, sql: SqlExecutor = this.sql): Promise<void> {
    await sql.exec('UPDATE open311_keys SET last_used_at = $1, request_count = open311_keys.request_count + 1 WHERE id = $2', [now, id]);
  }

  private async activeReportPage(sql: SqlExecutor): Promise<{ key: string; row: Open311Key } | undefined> {
    const active = await sql.one<KeyRow>('SELECT * FROM open311_keys WHERE report_page_generation IS NOT NULL AND revoked_at IS NULL ORDER BY id DESC LIMIT 1');
    return active && { key: this.reportPageKey(active.report_page_generation!), row: fromRow(active) };
  }

  private reportPageKey(generation: number): string {
    return `o311_rp${generation}_${this.derive(`open311-report-page:${generation}`).toString('base64url')}`;
  }
}
