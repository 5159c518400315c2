/**
 * The server's own secret: 32 random bytes made on the first start and kept in the store
 * (never in a file beside the code, never logged). Keys derived from it sign what the server
 * hands out and must recognise later without a lookup — photo links, the report page's
 * Open311 key — so they survive a restart and are the same on every node sharing the store.
 * A purpose string keeps the derived keys apart: a photo-link signature is no API key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Migration } from '../store/migrations.ts';
import type { SqlExecutor } from '../store/sql/types.ts';

export const SERVER_SECRET_MIGRATION: Migration = {
  version: 7,
  name: 'the server secret (signed links, derived keys)',
  sql: `
    CREATE TABLE server_secret (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      secret BLOB NOT NULL CHECK (length(secret) = 32),
      created_at INTEGER NOT NULL
    );
  `,
};

export class ServerSecret {
  private constructor(private readonly secret: Buffer) {}

  /** The store's secret, made now when it has none. */
  static async load(sql: SqlExecutor, now = Date.now()): Promise<ServerSecret> {
    // DO NOTHING on the conflict: two processes opening a new store at once end up with one secret.
    await sql.exec('INSERT INTO server_secret (id, secret, created_at) VALUES (1, $1, $2) ON CONFLICT DO NOTHING', [randomBytes(32), now]);
    const row = await sql.one<{ secret: Buffer }>('SELECT secret FROM server_secret WHERE id = 1');
    return new ServerSecret(row!.secret);
  }

  /** A key for one purpose, e.g. derive('photo-link'); different purposes never share a key. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.secret).update(`cityops:${purpose}`).digest();
  }

  /** When serialised by accident (a log line, an error), the secret is not in it. */
  toJSON(): string {
    return '[server secret]';
  }
}
