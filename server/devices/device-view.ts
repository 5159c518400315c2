/** What the device page and GET /api/devices show of a device (shared/schemas/devices.ts DeviceView). */
import type { DeviceList, DeviceListQuery, DeviceView } from '../../shared/schemas/devices.ts';
import type { LiveState } from '../live/live-state.ts';
import type { DeviceDirectory, DeviceRecord } from './device-directory.ts';

export function deviceView(d: DeviceRecord, directory: DeviceDirectory, live: LiveState): DeviceView {
  const entity = d.entityId === null ? undefined : live.get(d.entityId);
  const driver = d.entityId === null ? undefined : directory.driverOf(d.entityId);
  const active = d.state === 'active' && entity !== undefined;
  return {
    id: d.id, protocol: d.protocol, deviceId: d.deviceId, state: d.state,
    entityId: d.entityId, entityKind: entity?.kind ?? null, entityName: entity?.name ?? null,
    real: driver !== undefined,
    drives: active && (d.protocol === 'sim' ? driver === undefined : driver === d),
    label: d.label, plate: d.plate, meta: d.meta,
    connected: d.protocol === 'jt808' ? d.connected : null,
    address: d.address, lastSeen: d.lastSeen, accepted: d.accepted, refused: d.refused, lastRefusal: d.lastRefusal, createdAt: d.createdAt,
  };
}

function matches(d: DeviceRecord, q: string, live: LiveState): boolean {
  const needle = q.toLowerCase();
  const name = d.entityId === null ? undefined : live.get(d.entityId)?.name;
  return [d.deviceId, d.entityId, name, d.plate, d.label].some((s) => s != null && s.toLowerCase().includes(needle));
}

/** Newest first for real devices (what an admin looks for), then the simulator's in id order. */
export function listDevices(directory: DeviceDirectory, live: LiveState, query: DeviceListQuery): Omit<DeviceList, 'timeZone'> {
  const counts = { real: 0, simulated: 0, quarantined: 0, connected: 0 };
  const hits: DeviceRecord[] = [];
  for (const d of directory.all()) {
    const driver = d.entityId === null ? undefined : directory.driverOf(d.entityId);
    if (d.protocol === 'sim') { if (!driver && d.state === 'active') counts.simulated++; } else if (driver === d) counts.real++;
    if (d.state === 'quarantined') counts.quarantined++;
    if (d.connected) counts.connected++;
    if (query.protocol !== undefined && d.protocol !== query.protocol) continue;
    if (query.state !== undefined && d.state !== query.state) continue;
    if (query.real !== undefined && (driver !== undefined) !== query.real) continue;
    if (query.q !== undefined && query.q !== '' && !matches(d, query.q, live)) continue;
    hits.push(d);
  }
  hits.sort((a, b) => (a.protocol === 'sim' ? 1 : 0) - (b.protocol === 'sim' ? 1 : 0) || (a.protocol === 'sim' ? a.id - b.id : b.id - a.id));
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 100;
  return { total: hits.length, counts, items: hits.slice(offset, offset + limit).map((d) => deviceView(d, directory, live)) };
}
