/**
 * Open311 API keys. A key is shown once when issued; the store keeps its SHA-256 only. The
 * report page's key is derived from the server secret and a generation counter, so the page
 * gets it from the server at any time without a stored plaintext, and revoking it rotates it
 * (the next generation is registered at once).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Open311Key, Open311KeySource } from '../../shared/open311.ts';
import type Database from 'better-sqlite3';
import type { Db } from '../store/database.ts';

export const REPORT_PAGE_KEY_NAME = '随手拍 report page';

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new random key: recognisable prefix, 192 random bits. */
export const newApiKey = (): string => `o311_${randomBytes(24).toString('base64url')}`;

interface KeyRow {
  id: number; name: string; source: Open311KeySource; key_hash: string; report_page_generation: number | null;
  created_by: string; created_at: number; revoked_at: number | null; last_used_at: number | null; request_count: number;
}

const fromRow = (r: KeyRow): Open311Key => ({
  id: r.id, name: r.name, source: r.source, createdBy: r.created_by, createdAt: r.created_at, revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at, requestCount: r.request_count, reportPage: r.report_page_generation !== null,
});

export class Open311KeysRepo {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(private readonly db: Db, private readonly derive: (purpose: string) => Buffer) {}

  /** Prepared once per text: every submission runs the same few statements. */
  private sql(text: string): Database.Statement<unknown[]> {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  create(name: string, source: Open311KeySource, createdBy: string, now: number): { key: string; row: Open311Key } {
    const key = newApiKey();
    const id = Number(this.sql('INSERT INTO open311_keys (name, source, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, source, hashKey(key), createdBy, now).lastInsertRowid);
    return { key, row: this.get(id)! };
  }

  /** The report page's current key; registered (next generation) when none is active. */
  reportPage(now: number): { key: string; row: Open311Key } {
    return this.db.transaction(() => {
      const active = this.sql('SELECT * FROM open311_keys WHERE report_page_generation IS NOT NULL AND revoked_at IS NULL ORDER BY id DESC LIMIT 1').get() as KeyRow | undefined;
      if (active) return { key: this.reportPageKey(active.report_page_generation!), row: fromRow(active) };
      const last = this.sql('SELECT MAX(report_page_generation) FROM open311_keys').pluck().get() as number | null;
      const generation = (last ?? 0) + 1;
      const key = this.reportPageKey(generation);
      const id = Number(this.sql("INSERT INTO open311_keys (name, source, key_hash, report_page_generation, created_by, created_at) VALUES (?, 'citizenPhoto', ?, ?, 'system', ?)")
        .run(REPORT_PAGE_KEY_NAME, hashKey(key), generation, now).lastInsertRowid);
      return { key, row: this.get(id)! };
    })();
  }

  /** The key row a presented key belongs to (revoked ones included: the caller says why it refuses). */
  byKey(key: string): Open311Key | undefined {
    const r = this.sql('SELECT * FROM open311_keys WHERE key_hash = ?').get(hashKey(key)) as KeyRow | undefined;
    return r && fromRow(r);
  }

  get(id: number): Open311Key | undefined {
    const r = this.sql('SELECT * FROM open311_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return r && fromRow(r);
  }

  list(): Open311Key[] {
    return (this.sql('SELECT * FROM open311_keys ORDER BY id').all() as KeyRow[]).map(fromRow);
  }

  /** Revokes an active key; false when there is none with that id. */
  revoke(id: number, now: number): boolean {
    return this.sql('UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
  }

  /** Counts an accepted request. */
  used(id: number, now: number): void {
    this.sql('UPDATE open311_keys SET last_used_at = ?, request_count = request_count + 1 WHERE id = ?').run(now, id);
  }

  private reportPageKey(generation: number): string {
    return `o311_rp${generation}_${this.derive(`open311-report-page:${generation}`).toString('base64url')}`;
  }
}
