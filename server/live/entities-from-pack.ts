/** The initial live entities of a district pack: everything the pack lists, before any report. */
import type { AnyEntity, Entity } from '../../shared/entities.ts';
import type { DistrictPack } from '../../shared/district.ts';

export function entitiesFromPack(pack: DistrictPack): AnyEntity[] {
  const base = { connectivity: 'offline', lastSeen: 0, version: 0 } as const;
  const out: AnyEntity[] = [];
  for (const s of pack.staff) {
    out.push({
      ...base, id: s.id, kind: 'staff', name: s.name, orgCode: s.streetCode, gridId: s.gridId, status: 'offDuty',
      attrs: { role: s.role, shift: s.shift, onDuty: false, ...(s.roadId ? { roadId: s.roadId } : {}) },
    } satisfies Entity<'staff'>);
  }
  for (const v of pack.vehicles) {
    out.push({
      ...base, id: v.id, kind: 'vehicle', name: v.plate, orgCode: v.streetCode, gridId: v.gridId, status: 'parked',
      attrs: { vehicleType: v.vehicleType, plate: v.plate, working: false, routeDone: 0 },
    } satisfies Entity<'vehicle'>);
  }
  for (const m of pack.muckTrucks) {
    out.push({
      ...base, id: m.id, kind: 'muckTruck', name: m.plate, orgCode: m.streetCode, gridId: m.gridId, status: 'parked',
      attrs: { plate: m.plate, company: m.company, permitId: m.permit.id, loaded: false, lidSealed: true, violations: [] },
    } satisfies Entity<'muckTruck'>);
  }
  for (const t of pack.toilets) {
    out.push({
      ...base, id: t.id, kind: 'toilet', name: t.name, orgCode: t.streetCode, gridId: t.gridId, status: 'closed',
      pos: { lon: t.lon, lat: t.lat, ts: 0 },
      attrs: { toiletClass: t.toiletClass, open: false, stalls: t.stalls, occupied: 0, nh3: 0, h2s: 0, footfallToday: 0, lastCleanedTs: 0, odourAlarm: false },
    } satisfies Entity<'toilet'>);
  }
  for (const b of pack.bins) {
    out.push({
      ...base, id: b.id, kind: 'bin', name: b.id, orgCode: b.streetCode, gridId: b.gridId, status: 'ok',
      pos: { lon: b.lon, lat: b.lat, ts: 0 },
      attrs: { binType: b.binType, fill: 0, ...(b.roadId ? { roadId: b.roadId } : {}) },
    } satisfies Entity<'bin'>);
  }
  return out;
}
