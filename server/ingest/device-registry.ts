/**
 * The smallest device resolver: the simulator's device ids are the entity ids, and a fixed map
 * binds other devices. The running server uses the full registry (server/devices/); this one
 * serves tools and tests that drive an Ingest without a database.
 */
import type { DeviceResolution, DeviceResolver, IngestSource } from './types.ts';

export class DeviceRegistry implements DeviceResolver {
  private readonly map = new Map<string, string>();

  constructor(rows: readonly { source: string; deviceId: string; entityId: string }[], private readonly entityExists: (id: string) => boolean) {
    for (const r of rows) this.map.set(`${r.source}\u0000${r.deviceId}`, r.entityId);
  }

  resolve(source: IngestSource, deviceId: string): DeviceResolution {
    const registered = this.map.get(`${source}\u0000${deviceId}`);
    if (registered !== undefined) return { ok: true, entityId: registered };
    if (source === 'sim' && this.entityExists(deviceId)) return { ok: true, entityId: deviceId };
    return { ok: false, reason: 'unknownDevice', detail: `no entity registered for ${source} device ${deviceId}` };
  }
}
