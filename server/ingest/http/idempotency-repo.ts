/**
 * The answers to batches sent with an Idempotency-Key, kept for a day: the same key with the
 * same body gets the first answer again and nothing is applied twice; the same key with a
 * different body is a client's bug and is refused.
 */
import { createHash } from 'node:crypto';
import type { BatchResult } from '../../../shared/schemas/ingest.ts';
import type { SqlExecutor } from '../../store/sql/types.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export type Remembered = { kind: 'new' } | { kind: 'replay'; result: BatchResult } | { kind: 'conflict' };

export const bodyDigest = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export class IdempotencyRepo {
  private lastPrune = 0;

  constructor(private readonly sql: SqlExecutor) {}

  async lookup(keyId: number, idempotencyKey: string, route: string, digest: string, now: number): Promise<Remembered> {
    const r = await this.sql.one<{ route: string; body_sha256: string; response: string }>(
      'SELECT route, body_sha256, response FROM ingest_requests WHERE key_id = $1 AND idempotency_key = $2 AND created_at >= $3',
      [keyId, idempotencyKey, now - IDEMPOTENCY_TTL_MS]);
    if (!r) return { kind: 'new' };
    if (r.route !== route || r.body_sha256 !== digest) return { kind: 'conflict' };
    return { kind: 'replay', result: JSON.parse(r.response) as BatchResult };
  }

  /** Stores the answer; an expired answer under the same key (not pruned yet) is replaced. */
  async remember(keyId: number, idempotencyKey: string, route: string, digest: string, result: BatchResult, now: number): Promise<void> {
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      await this.sql.exec('DELETE FROM ingest_requests WHERE created_at < $1', [now - IDEMPOTENCY_TTL_MS]);
    }
    await this.sql.exec(`INSERT INTO ingest_requests (key_id, idempotency_key, route, body_sha256, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (key_id, idempotency_key) DO UPDATE SET route = excluded.route, body_sha256 = excluded.body_sha256,
        response = excluded.response, created_at = excluded.created_at`, [keyId, idempotencyKey, route, digest, JSON.stringify(result), now]);
  }
}
