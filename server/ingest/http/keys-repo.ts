/**
 * Keys of the integrations that post HTTP batches (a phone app's backend, a vendor's
 * platform). Shown once when issued; the store keeps the SHA-256 only, so a leaked database
 * holds no usable key.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IngestKeyView } from '../../../shared/schemas/devices.ts';
import { SerialWriter } from '../../store/sql/serial-writer.ts';
import type { SqlStore } from '../../store/sql/types.ts';

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Recognisable prefix (secret scanners, support), 256 random bits. */
const newIngestKey = (): string => `cik_${randomBytes(32).toString('base64url')}`;

interface KeyRow {
  [column: string]: unknown;
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
  /**
   * Counted per batch, written by `flush` (a timer, and on close) like the devices' counters: a
   * commit per batch is a WAL sync under synchronous = FULL, which cost more than the batch.
   * What is read through this repo includes what is not written yet, and what is being written.
   */
  private pending = new Map<number, Usage>();
  private writing = new Map<number, Usage>();
  private readonly writer = new SerialWriter();

  constructor(private readonly sql: SqlStore) {}

  async create(name: string, createdBy: string, now: number): Promise<{ secret: string; key: IngestKeyView }> {
    const secret = newIngestKey();
    const row = await this.sql.one<KeyRow>(`INSERT INTO ingest_keys (name, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [name, hashKey(secret), createdBy, now]);
    return { secret, key: this.view(row!) };
  }

  /** The active key a presented secret belongs to; undefined for an unknown or revoked one. */
  async authenticate(secret: string): Promise<IngestKeyView | undefined> {
    const r = await this.sql.one<KeyRow>(`SELECT ${COLUMNS} FROM ingest_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hashKey(secret)]);
    return r && this.view(r);
  }

  async get(id: number): Promise<IngestKeyView | undefined> {
    const r = await this.sql.one<KeyRow>(`SELECT ${COLUMNS} FROM ingest_keys WHERE id = $1`, [id]);
    return r && this.view(r);
  }

  async list(): Promise<IngestKeyView[]> {
    return (await this.sql.query<KeyRow>(`SELECT ${COLUMNS} FROM ingest_keys ORDER BY id`)).map((r) => this.view(r));
  }

  async revoke(id: number, now: number): Promise<boolean> {
    return (await this.sql.exec('UPDATE ingest_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])).changes === 1;
  }

  used(id: number, accepted: number, rejected: number, now: number): void {
    addUsage(this.pending, id, { accepted, rejected, lastUsedAt: now });
  }

  /**
   * Writes the usage counted since the last call, in one transaction; returns how many keys.
   * Rejects when the store fails, keeping the usage for the next call. One flush at a time.
   */
  flush(): Promise<number> {
    return this.writer.run(async () => {
      if (this.pending.size === 0) return 0;
      // Counted from now on goes to a fresh map: a batch arriving during the commit is not lost with this one.
      this.writing = this.pending;
      this.pending = new Map();
      const n = this.writing.size;
      try {
        await this.sql.transaction(async (tx) => {
          for (const [id, u] of this.writing) {
            await tx.exec('UPDATE ingest_keys SET last_used_at = $1, accepted = ingest_keys.accepted + $2, rejected = ingest_keys.rejected + $3 WHERE id = $4',
              [u.lastUsedAt, u.accepted, u.rejected, id]);
          }
        });
      } catch (err) {
        for (const [id, u] of this.writing) addUsage(this.pending, id, u);
        throw err;
      } finally {
        this.writing = new Map();
      }
      return n;
    });
  }

  private view(r: KeyRow): IngestKeyView {
    let v = view(r);
    for (const counted of [this.writing, this.pending]) {
      const u = counted.get(r.id);
      if (u) v = { ...v, accepted: v.accepted + u.accepted, rejected: v.rejected + u.rejected, lastUsedAt: Math.max(v.lastUsedAt ?? 0, u.lastUsedAt) };
    }
    return v;
  }
}

function addUsage(into: Map<number, Usage>, id: number, add: Usage): void {
  const u = into.get(id);
  if (!u) return void into.set(id, { ...add });
  u.accepted += add.accepted;
  u.rejected += add.rejected;
  if (add.lastUsedAt > u.lastUsedAt) u.lastUsedAt = add.lastUsedAt;
}
