/** The device registry: which device of which source reports for which entity. */
import type { Db } from './database.ts';

export interface DeviceRow { id: number; source: string; deviceId: string; entityId: string; label: string | null; createdAt: number }

export class DevicesRepo {
  constructor(private readonly db: Db) {}

  all(): DeviceRow[] {
    return (this.db.prepare('SELECT id, source, device_id, entity_id, label, created_at FROM devices ORDER BY id').all() as {
      id: number; source: string; device_id: string; entity_id: string; label: string | null; created_at: number;
    }[]).map((r) => ({ id: r.id, source: r.source, deviceId: r.device_id, entityId: r.entity_id, label: r.label, createdAt: r.created_at }));
  }

  /** Registers or re-points a device; returns the row. */
  upsert(source: string, deviceId: string, entityId: string, label: string | null, now = Date.now()): DeviceRow {
    this.db
      .prepare(
        `INSERT INTO devices (source, device_id, entity_id, label, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source, device_id) DO UPDATE SET entity_id = excluded.entity_id, label = excluded.label`,
      )
      .run(source, deviceId, entityId, label, now);
    return this.all().find((d) => d.source === source && d.deviceId === deviceId)!;
  }

  remove(id: number): DeviceRow | undefined {
    const row = this.all().find((d) => d.id === id);
    if (row) this.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    return row;
  }
}
