/**
 * Keys of the integrations that post HTTP batches (a phone app's backend, a vendor's
 * platform). Shown once when issued; the store keeps the SHA-256 only, so a leaked database
 * holds no usable key.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { IngestKeyView } from '../../../shared/schemas/devices.ts';
import type { Db } from '../../store/database.ts';

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Recognisable prefix (secret scanners, support), 256 random bits. */
const newIngestKey = (): string => `cik_${randomBytes(32).toString('base64url')}`;

interface KeyRow {
  id: number; name: string; created_by: string; created_at: number; revoked_at: number | null;
  last_used_at: number | null; accepted: number; rejected: number;
}

const view = (r: KeyRow): IngestKeyView => ({
  id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by, revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at, accepted: r.accepted, rejected: r.rejected,
});

const COLUMNS = 'id, name, created_by, created_at, revoked_at, last_used_at, accepted, rejected';

/** Usage of a key since the last flush. */
interface Usage { accepted: number; rejected: number; lastUsedAt: number }

export class IngestKeysRepo {
  /** Every batch authenticates and counts: the statements are prepared once. */
  private readonly q: Record<'insert' | 'bySecret' | 'byId' | 'all' | 'revoke' | 'used', Database.Statement<unknown[]>>;
  /**
   * Counted per batch, written by `flush` (a timer, and on close) like the devices' counters: a
   * commit per batch is a WAL sync under synchronous = FULL, which cost more than the batch.
   * What is read through this repo includes what is not written yet.
   */
  private readonly pending = new Map<number, Usage>();

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare('INSERT INTO ingest_keys (name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?)'),
      bySecret: db.prepare(`SELECT ${COLUMNS} FROM ingest_keys WHERE key_hash = ? AND revoked_at IS NULL`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM ingest_keys WHERE id = ?`),
      all: db.prepare(`SELECT ${COLUMNS} FROM ingest_keys ORDER BY id`),
      revoke: db.prepare('UPDATE ingest_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      used: db.prepare('UPDATE ingest_keys SET last_used_at = ?, accepted = accepted + ?, rejected = rejected + ? WHERE id = ?'),
    };
  }

  create(name: string, createdBy: string, now: number): { secret: string; key: IngestKeyView } {
    const secret = newIngestKey();
    const id = Number(this.q.insert.run(name, hashKey(secret), createdBy, now).lastInsertRowid);
    return { secret, key: this.get(id)! };
  }

  /** The active key a presented secret belongs to; undefined for an unknown or revoked one. */
  authenticate(secret: string): IngestKeyView | undefined {
    const r = this.q.bySecret.get(hashKey(secret)) as KeyRow | undefined;
    return r && this.view(r);
  }

  get(id: number): IngestKeyView | undefined {
    const r = this.q.byId.get(id) as KeyRow | undefined;
    return r && this.view(r);
  }

  list(): IngestKeyView[] {
    return (this.q.all.all() as KeyRow[]).map((r) => this.view(r));
  }

  revoke(id: number, now: number): boolean {
    return this.q.revoke.run(now, id).changes === 1;
  }

  used(id: number, accepted: number, rejected: number, now: number): void {
    const u = this.pending.get(id);
    if (!u) return void this.pending.set(id, { accepted, rejected, lastUsedAt: now });
    u.accepted += accepted;
    u.rejected += rejected;
    if (now > u.lastUsedAt) u.lastUsedAt = now;
  }

  /** Writes the usage counted since the last call, in one transaction; returns how many keys. Throws when the store fails, keeping the usage for the next call. */
  flush(): number {
    if (this.pending.size === 0) return 0;
    this.db.transaction(() => {
      for (const [id, u] of this.pending) this.q.used.run(u.lastUsedAt, u.accepted, u.rejected, id);
    })();
    const n = this.pending.size;
    this.pending.clear();
    return n;
  }

  private view(r: KeyRow): IngestKeyView {
    const v = view(r);
    const u = this.pending.get(r.id);
    if (!u) return v;
    return { ...v, accepted: v.accepted + u.accepted, rejected: v.rejected + u.rejected, lastUsedAt: Math.max(v.lastUsedAt ?? 0, u.lastUsedAt) };
  }
}
