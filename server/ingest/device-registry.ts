/**
 * Resolves (source, deviceId) to an entity. The simulator's device ids are the entity ids;
 * real devices are registered (persisted in the devices table) by an admin.
 */
import type { DeviceRow } from '../store/devices-repo.ts';
import type { IngestSource } from './types.ts';

export class DeviceRegistry {
  private readonly map = new Map<string, string>();

  constructor(rows: readonly DeviceRow[], private readonly entityExists: (id: string) => boolean) {
    for (const r of rows) this.map.set(`${r.source}\u0000${r.deviceId}`, r.entityId);
  }

  resolve(source: IngestSource, deviceId: string): string | undefined {
    const registered = this.map.get(`${source}\u0000${deviceId}`);
    if (registered !== undefined) return registered;
    if (source === 'sim' && this.entityExists(deviceId)) return deviceId;
    return undefined;
  }

  set(source: string, deviceId: string, entityId: string): void {
    this.map.set(`${source}\u0000${deviceId}`, entityId);
  }

  delete(source: string, deviceId: string): void {
    this.map.delete(`${source}\u0000${deviceId}`);
  }
}
