/**
 * The devices table (migration 14) and the runtime entities made for devices. The registry
 * (server/devices/device-directory.ts) holds every row in memory and writes through here:
 * state changes at once, counters in batches (`saveCounters`).
 */
import type { DeviceProtocol, DeviceState } from '../../shared/schemas/devices.ts';
import type { AnyEntity } from '../../shared/entities.ts';
import type { Db } from '../store/database.ts';

export interface DeviceRow {
  id: number;
  protocol: DeviceProtocol;
  deviceId: string;
  entityId: string | null;
  label: string | null;
  createdAt: number;
  state: DeviceState;
  plate: string | null;
  meta: Record<string, string>;
  /** sha256 of the JT/T 808 auth code; the code itself is never stored. */
  authHash: string | null;
  address: string | null;
  lastSeen: number | null;
  accepted: number;
  refused: number;
  lastRefusal: { at: number; reason: string; detail: string } | null;
  /** When this (real) device's first accepted report took its entity over from the simulator. */
  tookOverAt: number | null;
}

interface RawRow {
  id: number; source: string; device_id: string; entity_id: string | null; label: string | null; created_at: number; state: string;
  plate: string | null; meta: string; auth_hash: string | null; address: string | null; last_seen: number | null;
  accepted: number; refused: number; last_refusal: string | null; took_over_at: number | null;
}

const fromRaw = (r: RawRow): DeviceRow => ({
  id: r.id, protocol: r.source as DeviceProtocol, deviceId: r.device_id, entityId: r.entity_id, label: r.label, createdAt: r.created_at,
  state: r.state as DeviceState, plate: r.plate, meta: JSON.parse(r.meta) as Record<string, string>, authHash: r.auth_hash, address: r.address,
  lastSeen: r.last_seen, accepted: r.accepted, refused: r.refused,
  lastRefusal: r.last_refusal === null ? null : (JSON.parse(r.last_refusal) as DeviceRow['lastRefusal']), tookOverAt: r.took_over_at,
});

export type NewDeviceRow = Pick<DeviceRow, 'protocol' | 'deviceId' | 'entityId' | 'label' | 'state' | 'plate' | 'meta' | 'authHash' | 'address' | 'createdAt'>;

/** A runtime entity as stored: its static part and the attributes it was created with. */
export interface RuntimeEntityRow { entity: AnyEntity; createdAt: number }

export class DevicesRepo {
  /** Prepared on first use (the table exists only once the migrations ran): a registration storm must not compile SQL per terminal. */
  private q: ReturnType<DevicesRepo['prepare']> | undefined;

  constructor(private readonly db: Db) {}

  private prepare() {
    const db = this.db;
    return {
      insert: db.prepare(
        `INSERT INTO devices (source, device_id, entity_id, label, created_at, state, plate, meta, auth_hash, address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      saveIdentity: db.prepare('UPDATE devices SET entity_id = ?, label = ?, state = ?, plate = ?, meta = ?, auth_hash = ?, address = ?, took_over_at = ? WHERE id = ?'),
      saveCounters: db.prepare('UPDATE devices SET last_seen = ?, accepted = ?, refused = ?, last_refusal = ?, address = ?, took_over_at = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM devices WHERE id = ?'),
      insertRuntimeEntity: db.prepare('INSERT INTO runtime_entities (id, kind, name, org_code, grid_id, attrs, lon, lat, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  private get stmts(): ReturnType<DevicesRepo['prepare']> {
    return (this.q ??= this.prepare());
  }

  /**
   * Runs `fn` as one transaction: with synchronous = FULL each commit is a sync of the WAL, so
   * what belongs together (a terminal's row and the entity made for it) costs one, not one per write.
   * Nested calls join the outer transaction.
   */
  atomically<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn)();
  }

  all(): DeviceRow[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY id').all() as RawRow[]).map(fromRaw);
  }

  insert(row: NewDeviceRow): DeviceRow {
    const r = this.stmts.insert.get(row.protocol, row.deviceId, row.entityId, row.label, row.createdAt, row.state, row.plate, JSON.stringify(row.meta), row.authHash, row.address) as RawRow;
    return fromRaw(r);
  }

  /** One sim device per pack entity (id = the entity id); existing rows are kept as they are. */
  ensureSimDevices(entityIds: readonly string[], now: number): number {
    const stmt = this.db.prepare(`INSERT OR IGNORE INTO devices (source, device_id, entity_id, created_at) VALUES ('sim', ?, ?, ?)`);
    let added = 0;
    this.db.transaction(() => {
      for (const id of entityIds) added += stmt.run(id, id, now).changes;
    })();
    return added;
  }

  /** Writes what an admin or a registration changes (state, binding, identity, auth code). */
  saveIdentity(d: DeviceRow): void {
    this.stmts.saveIdentity.run(d.entityId, d.label, d.state, d.plate, JSON.stringify(d.meta), d.authHash, d.address, d.tookOverAt, d.id);
  }

  /** Writes the counters of many devices in one transaction (they change with every report). */
  saveCounters(rows: Iterable<DeviceRow>): number {
    const stmt = this.stmts.saveCounters;
    let n = 0;
    this.db.transaction(() => {
      for (const d of rows) {
        stmt.run(d.lastSeen, d.accepted, d.refused, d.lastRefusal === null ? null : JSON.stringify(d.lastRefusal), d.address, d.tookOverAt, d.id);
        n++;
      }
    })();
    return n;
  }

  remove(id: number): void {
    this.stmts.remove.run(id);
  }

  runtimeEntities(): RuntimeEntityRow[] {
    const rows = this.db.prepare('SELECT * FROM runtime_entities ORDER BY rowid').all() as {
      id: string; kind: AnyEntity['kind']; name: string; org_code: string; grid_id: string; attrs: string; lon: number | null; lat: number | null; created_at: number;
    }[];
    return rows.map((r) => ({
      createdAt: r.created_at,
      entity: {
        id: r.id, kind: r.kind, name: r.name, orgCode: r.org_code, gridId: r.grid_id,
        status: initialStatus(r.kind), attrs: JSON.parse(r.attrs) as never,
        ...(r.lon !== null && r.lat !== null ? { pos: { lon: r.lon, lat: r.lat, ts: 0 } } : {}),
        connectivity: 'offline', lastSeen: 0, version: 0,
      } as AnyEntity,
    }));
  }

  insertRuntimeEntity(e: AnyEntity, now: number): void {
    this.stmts.insertRuntimeEntity.run(e.id, e.kind, e.name, e.orgCode, e.gridId, JSON.stringify(e.attrs), e.pos?.lon ?? null, e.pos?.lat ?? null, now);
  }
}

/** The status an entity starts with before its first report (as the pack's entities do). */
export function initialStatus(kind: AnyEntity['kind']): AnyEntity['status'] {
  switch (kind) {
    case 'staff': return 'offDuty';
    case 'vehicle': return 'parked';
    case 'muckTruck': return 'parked';
    case 'toilet': return 'closed';
    case 'bin': return 'ok';
  }
}
