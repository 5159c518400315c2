/**
 * Starts the real server on port 0 with a temp data directory, the real Lixia pack and the simulator (no generated past unless a test sets SIM_HISTORY_DAYS).
 *
 * CITYOPS_TEST_DATABASE_URL=postgres://… runs every server started here on PostgreSQL instead of
 * the SQLite file: a schema per data directory (a restart with `keepData` finds its data again),
 * dropped when the server closes without `keepData`. CI runs the integration suite both ways.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { buildApp, type BuiltApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import pg from 'pg';

/** Set: the servers of this run use PostgreSQL at this URL. */
export const TEST_DATABASE_URL = process.env.CITYOPS_TEST_DATABASE_URL || undefined;
const schemaOf = (dataDir: string) => `cityops_it_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;

/** The store settings a server on `dataDir` runs with in this run (none for SQLite). */
export function storeEnv(dataDir: string): Record<string, string> {
  return TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schemaOf(dataDir) } : {};
}

/** Drops the schema of the servers on `dataDir` (PostgreSQL runs only; nothing on SQLite). */
export async function dropTestSchema(dataDir: string): Promise<void> {
  if (!TEST_DATABASE_URL) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schemaOf(dataDir)} CASCADE`);
  } finally {
    await client.end();
  }
}

let packPromise: Promise<DistrictPack> | undefined;
export const lixiaPack = () => (packPromise ??= loadDistrictPack('data/lixia'));

export interface RunningServer extends BuiltApp {
  url: string;
  dataDir: string;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'cityops-it-')), clientRoot = join(dataDir, 'no-client')): Promise<RunningServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SIM_SEED: '42', LOG_LEVEL: 'silent', SIM_HISTORY_DAYS: '0', ...storeEnv(dataDir), ...env });
  const built = await buildApp(config, { pack: await lixiaPack(), logger: false, clientRoot });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = built.app.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async close(opts = {}) {
      await built.app.close();
      if (!opts.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        await dropTestSchema(dataDir);
      }
    },
  };
}

export type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export function liveClient(url: string, token: string | undefined, format: 1 | 2 = 1): LiveClient {
  // Format 1 by default: these tests read the frames with the format-1 decoder; screens negotiate format 2.
  return connect(url, { auth: token === undefined ? {} : { token, live: { format } }, transports: ['websocket'], reconnection: false, forceNew: true });
}

export function once<T>(register: (resolve: (v: T) => void, reject: (e: Error) => void) => void, ms = 15_000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
