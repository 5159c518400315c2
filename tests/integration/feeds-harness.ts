/**
 * Helpers for the MQTT and HTTP ingest tests: the broker URL (CI must have one), an admin
 * session, registering a device, and watching one entity on a wall's live stream.
 */
import { decodeLiveFrame, type DecodedRow } from '../../shared/live-codec.ts';
import type { LiveSnapshot } from '../../shared/live-events.ts';
import { call, login } from './ops-http.ts';
import { liveClient, once, type LiveClient, type RunningServer } from './server-harness.ts';

/**
 * The broker the MQTT tests use. Locally the tests are skipped without MQTT_URL (with a
 * notice); under CI=true a missing MQTT_URL is a failure, never a skip (.ci/run sets it).
 */
export function mqttUrlForTests(): string | undefined {
  const url = process.env.MQTT_URL;
  if (url) return url;
  if (process.env.CI === 'true') throw new Error('CI=true but MQTT_URL is not set: the MQTT integration tests must run in CI (see .ci/run)');
  process.stdout.write('\n\x1b[33m⚠  MQTT_URL not set: the MQTT integration tests are SKIPPED (MQTT_URL=mqtt://127.0.0.1:1883 npx vitest run --project integration tests/integration/mqtt-ingest.test.ts)\x1b[0m\n');
  return undefined;
}

export const adminSession = (s: RunningServer, password: string) => login(s.url, 'admin', password);

/** Binds a device of `protocol` to an existing pack entity through the admin API. */
export async function registerDevice(s: RunningServer, adminToken: string, protocol: 'mqtt' | 'http', deviceId: string, entityId: string): Promise<void> {
  const r = await call(s.url, adminToken, 'POST', '/api/devices', { protocol, deviceId, bind: { entityId } });
  if (r.status !== 201) throw new Error(`registering ${protocol} device ${deviceId}: ${r.status} ${JSON.stringify(r.json)}`);
}

/** A wall's view of the live stream: the snapshot's catalog and every row it was sent since, by entity id. */
export class WallWatcher {
  readonly rows = new Map<string, DecodedRow[]>();
  private indexToId = new Map<number, string>();
  constructor(private readonly client: LiveClient) {}

  static async open(s: RunningServer): Promise<WallWatcher> {
    const c = liveClient(s.url, s.firstStart!.wallToken);
    const w = new WallWatcher(c);
    const snapshot = await once<LiveSnapshot>((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    for (const e of snapshot.catalog) w.indexToId.set(e.i, e.id);
    w.take(snapshot.frame as Uint8Array);
    c.on('live:delta', (f) => w.take(f as Uint8Array));
    return w;
  }

  private take(frame: Uint8Array): void {
    for (const r of decodeLiveFrame(frame).rows) {
      const id = this.indexToId.get(r.i);
      if (id === undefined) continue;
      let list = this.rows.get(id);
      if (!list) this.rows.set(id, (list = []));
      list.push(r);
    }
  }

  /** Waits for a row of `entityId` that satisfies `test`. */
  async waitFor(entityId: string, what: string, test: (r: DecodedRow) => boolean, ms = 10_000): Promise<DecodedRow> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.rows.get(entityId)?.find(test);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`timed out waiting for ${entityId}: ${what}; rows seen: ${JSON.stringify(this.rows.get(entityId)?.slice(-3) ?? [])}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.client.close();
  }
}
