/**
 * The answers to batches sent with an Idempotency-Key, kept for a day: the same key with the
 * same body gets the first answer again and nothing is applied twice; the same key with a
 * different body is a client's bug and is refused.
 */
import { createHash } from 'node:crypto';
import type { BatchResult } from '../../../shared/schemas/ingest.ts';
import type { Db } from '../../store/database.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export type Remembered = { kind: 'new' } | { kind: 'replay'; result: BatchResult } | { kind: 'conflict' };

export const bodyDigest = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export class IdempotencyRepo {
  private readonly find;
  private readonly insert;
  private readonly prune;
  private lastPrune = 0;

  constructor(db: Db) {
    this.find = db.prepare('SELECT route, body_sha256, response FROM ingest_requests WHERE key_id = ? AND idempotency_key = ? AND created_at >= ?');
    this.insert = db.prepare('INSERT OR REPLACE INTO ingest_requests (key_id, idempotency_key, route, body_sha256, response, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.prune = db.prepare('DELETE FROM ingest_requests WHERE created_at < ?');
  }

  lookup(keyId: number, idempotencyKey: string, route: string, digest: string, now: number): Remembered {
    const r = this.find.get(keyId, idempotencyKey, now - IDEMPOTENCY_TTL_MS) as { route: string; body_sha256: string; response: string } | undefined;
    if (!r) return { kind: 'new' };
    if (r.route !== route || r.body_sha256 !== digest) return { kind: 'conflict' };
    return { kind: 'replay', result: JSON.parse(r.response) as BatchResult };
  }

  remember(keyId: number, idempotencyKey: string, route: string, digest: string, result: BatchResult, now: number): void {
    if (now - this.lastPrune > 3_600_000) {
      this.prune.run(now - IDEMPOTENCY_TTL_MS);
      this.lastPrune = now;
    }
    this.insert.run(keyId, idempotencyKey, route, digest, JSON.stringify(result), now);
  }
}
