/** Starts the real server on port 0 with a temp data directory, the real Lixia pack and the simulator (no generated past unless a test sets SIM_HISTORY_DAYS). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { buildApp, type BuiltApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';

let packPromise: Promise<DistrictPack> | undefined;
export const lixiaPack = () => (packPromise ??= loadDistrictPack('data/lixia'));

export interface RunningServer extends BuiltApp {
  url: string;
  dataDir: string;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'cityops-it-')), clientRoot = join(dataDir, 'no-client')): Promise<RunningServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SIM_SEED: '42', LOG_LEVEL: 'silent', SIM_HISTORY_DAYS: '0', ...env });
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
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export function liveClient(url: string, token: string | undefined): LiveClient {
  // Format 1: these tests read the frames with the format-1 decoder; screens negotiate format 2.
  return connect(url, { auth: token === undefined ? {} : { token, live: { format: 1 } }, transports: ['websocket'], reconnection: false, forceNew: true });
}

export function once<T>(register: (resolve: (v: T) => void, reject: (e: Error) => void) => void, ms = 15_000, what = 'event'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    register((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
