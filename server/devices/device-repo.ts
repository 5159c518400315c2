/**
 * The devices table (migration 14) and the runtime entities made for devices, on the
 * asynchronous layer. The registry (server/devices/device-directory.ts) holds every row in
 * memory and writes through here, in order: state changes at once, counters in batches
 * (`saveCounters`).
 */
import type { DeviceProtocol, DeviceState } from '../../shared/schemas/devices.ts';
import type { AnyEntity } from '../../shared/entities.ts';
import type { SqlExecutor, SqlParam, SqlStore } from '../store/sql/types.ts';

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
  [column: string]: unknown;
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

const IDENTITY_SQL = 'UPDATE devices SET entity_id = $1, label = $2, state = $3, plate = $4, meta = $5, auth_hash = $6, address = $7, took_over_at = $8 WHERE id = $9';
const identityParams = (d: DeviceRow): SqlParam[] => [d.entityId, d.label, d.state, d.plate, JSON.stringify(d.meta), d.authHash, d.address, d.tookOverAt, d.id];

/**
 * Every write that belongs together (a terminal's row and the entity made for it, a batch of
 * counters) is one transaction: with synchronous = FULL each commit is a sync of the WAL.
 */
export class DevicesRepo {
  constructor(private readonly sql: SqlStore) {}

  async all(): Promise<DeviceRow[]> {
    return (await this.sql.query<RawRow>('SELECT * FROM devices ORDER BY id')).map(fromRaw);
  }

  /**
   * The rows of these devices as stored now (absent: removed); what another node changed, for
   * the registry to take in (DeviceDirectory.refresh). In chunks: a burst of takeovers names thousands.
   */
  async byIds(ids: readonly number[]): Promise<DeviceRow[]> {
    const CHUNK = 500;
    const rows: DeviceRow[] = [];
    for (let k = 0; k < ids.length; k += CHUNK) {
      const part = ids.slice(k, k + CHUNK);
      const list = part.map((_, j) => `$${j + 1}`).join(', ');
      for (const r of await this.sql.query<RawRow>(`SELECT * FROM devices WHERE id IN (${list}) ORDER BY id`, part)) rows.push(fromRaw(r));
    }
    return rows;
  }

  /** Stores a new device and, when its binding made one, the entity made for it; the device as stored (its id). */
  async insert(row: NewDeviceRow, newEntity: AnyEntity | undefined, at: number): Promise<DeviceRow> {
    return this.sql.transaction(async (tx) => {
      if (newEntity) await this.insertRuntimeEntity(tx, newEntity, at);
      const r = await tx.one<RawRow>(
        `INSERT INTO devices (source, device_id, entity_id, label, created_at, state, plate, meta, auth_hash, address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [row.protocol, row.deviceId, row.entityId, row.label, row.createdAt, row.state, row.plate, JSON.stringify(row.meta), row.authHash, row.address]);
      return fromRaw(r!);
    });
  }

  /** One sim device per pack entity (id = the entity id); existing rows are kept as they are. Resolves to how many were added. */
  async ensureSimDevices(entityIds: readonly string[], now: number): Promise<number> {
    // Rows of a statement: the district's thousands of entities in a few statements, not a round
    // trip each (on PostgreSQL one a row took seconds at every start).
    const CHUNK = 500;
    return this.sql.transaction(async (tx) => {
      let added = 0;
      for (let k = 0; k < entityIds.length; k += CHUNK) {
        const part = entityIds.slice(k, k + CHUNK);
        const values = part.map((_, j) => `('sim', $${j + 2}, $${j + 2}, $1)`).join(', ');
        added += (await tx.exec(`INSERT INTO devices (source, device_id, entity_id, created_at) VALUES ${values} ON CONFLICT (source, device_id) DO NOTHING`, [now, ...part])).changes;
      }
      return added;
    });
  }

  /** Writes what an admin or a registration changes (state, binding, identity, auth code) of each device, in one transaction. */
  async saveIdentities(rows: readonly DeviceRow[]): Promise<void> {
    if (rows.length === 1) return void await this.sql.exec(IDENTITY_SQL, identityParams(rows[0]!));
    await this.sql.transaction(async (tx) => { for (const d of rows) await tx.exec(IDENTITY_SQL, identityParams(d)); });
  }

  /** A device's new binding with the entity made for it, in one transaction. */
  async saveBinding(d: DeviceRow, newEntity: AnyEntity | undefined, at: number): Promise<void> {
    if (!newEntity) return this.saveIdentities([d]);
    await this.sql.transaction(async (tx) => {
      await this.insertRuntimeEntity(tx, newEntity, at);
      await tx.exec(IDENTITY_SQL, identityParams(d));
    });
  }

  /**
   * Writes the counters of many devices in one transaction (they change with every report); resolves to how many.
   * Not the takeover: that goes with the identity (saveIdentities), so that a node's counters
   * never write back a takeover another node has changed since (server/cluster/device-sync.ts).
   */
  async saveCounters(rows: readonly DeviceRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    await this.sql.transaction(async (tx) => {
      for (const d of rows) {
        await tx.exec('UPDATE devices SET last_seen = $1, accepted = $2, refused = $3, last_refusal = $4, address = $5 WHERE id = $6',
          [d.lastSeen, d.accepted, d.refused, d.lastRefusal === null ? null : JSON.stringify(d.lastRefusal), d.address, d.id]);
      }
    });
    return rows.length;
  }

  async remove(id: number): Promise<void> {
    await this.sql.exec('DELETE FROM devices WHERE id = $1', [id]);
  }

  async runtimeEntities(): Promise<RuntimeEntityRow[]> {
    // In the order they were made (the catalog's order); PostgreSQL keeps no insertion order, the creation time is it.
    const order = this.sql.dialect === 'sqlite' ? 'rowid' : 'created_at, id';
    const rows = await this.sql.query<{
      [column: string]: unknown;
      id: string; kind: AnyEntity['kind']; name: string; org_code: string; grid_id: string; attrs: string; lon: number | null; lat: number | null; created_at: number;
    }>(`SELECT * FROM runtime_entities ORDER BY ${order}`);
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

  private async insertRuntimeEntity(tx: SqlExecutor, e: AnyEntity, now: number): Promise<void> {
    await tx.exec('INSERT INTO runtime_entities (id, kind, name, org_code, grid_id, attrs, lon, lat, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [e.id, e.kind, e.name, e.orgCode, e.gridId, JSON.stringify(e.attrs), e.pos?.lon ?? null, e.pos?.lat ?? null, now]);
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
