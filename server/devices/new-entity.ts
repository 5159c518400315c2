/**
 * A new entity for a device that reports for nothing the district pack lists: a terminal in a
 * truck the pack does not know, a bin sensor on a new bin. Its enumerated attributes come from
 * the same vocabularies as the pack's (shared/entities.ts), so nothing downstream meets a value
 * it does not know.
 */
import {
  BIN_TYPES, STAFF_ROLES, TOILET_CLASSES, VEHICLE_TYPES, type AnyEntity, type BinType, type StaffRole, type ToiletClass, type VehicleType,
} from '../../shared/entities.ts';
import type { NewEntity } from '../../shared/schemas/devices.ts';
import { initialStatus } from './device-repo.ts';

/** Street and grid of a point (server/district/locator.ts); null outside the district. */
export type EntityPlacer = (lon: number, lat: number) => { streetCode: string; gridId: string | null } | null;

/** Plates are compared without spaces and case (鲁A 12345 = 鲁a12345). */
export function normalisePlate(plate: string): string {
  return plate.replace(/[\s·-]+/g, '').toUpperCase();
}

export type BuiltEntity = { ok: true; entity: AnyEntity } | { ok: false; detail: string };

/** What a new entity gets when the request leaves its type out. */
export const NEW_ENTITY_DEFAULTS = { vehicle: 'sweeper', staff: 'cleaner', bin: 'litter', toilet: 'II' } as const;

export function buildEntity(id: string, spec: NewEntity, place: EntityPlacer): BuiltEntity {
  const fail = (detail: string): BuiltEntity => ({ ok: false, detail });
  const oneOf = <T extends string>(vocab: readonly T[], value: string | undefined, fallback: T, what: string): T | string => {
    if (value === undefined) return fallback;
    return (vocab as readonly string[]).includes(value) ? value : `${what} "${value}" is not one of ${vocab.join(', ')}`;
  };
  const fixed = spec.kind === 'bin' || spec.kind === 'toilet';
  let streetCode = '';
  let gridId = '';
  if (spec.lon !== undefined || spec.lat !== undefined) {
    if (spec.lon === undefined || spec.lat === undefined || !Number.isFinite(spec.lon) || !Number.isFinite(spec.lat)) return fail('lon and lat go together');
    const where = place(spec.lon, spec.lat);
    if (!where) return fail(`${spec.lon}, ${spec.lat} is outside the district`);
    streetCode = where.streetCode;
    gridId = where.gridId ?? '';
  } else if (fixed) {
    return fail(`a new ${spec.kind} needs its place (lon, lat): its position is fixed`);
  }
  const base = {
    id, name: spec.name, orgCode: streetCode, gridId, connectivity: 'offline' as const, lastSeen: 0, version: 0,
    ...(fixed ? { pos: { lon: spec.lon!, lat: spec.lat!, ts: 0 } } : {}),
  };
  switch (spec.kind) {
    case 'vehicle': {
      const t = oneOf(VEHICLE_TYPES, spec.type, NEW_ENTITY_DEFAULTS.vehicle, 'vehicle type');
      if (!(VEHICLE_TYPES as readonly string[]).includes(t)) return fail(t);
      return { ok: true, entity: { ...base, kind: 'vehicle', status: initialStatus('vehicle') as 'parked', attrs: { vehicleType: t as VehicleType, plate: spec.plate ?? spec.name, working: false, routeDone: 0 } } };
    }
    case 'muckTruck':
      if (spec.type !== undefined) return fail('a muck truck has no type');
      if (!spec.plate) return fail('a new muck truck needs its plate');
      return { ok: true, entity: { ...base, kind: 'muckTruck', status: 'parked', attrs: { plate: spec.plate, company: '', permitId: '', loaded: false, lidSealed: true, violations: [] } } };
    case 'staff': {
      const r = oneOf(STAFF_ROLES, spec.type, NEW_ENTITY_DEFAULTS.staff, 'staff role');
      if (!(STAFF_ROLES as readonly string[]).includes(r)) return fail(r);
      return { ok: true, entity: { ...base, kind: 'staff', status: 'offDuty', attrs: { role: r as StaffRole, shift: '', onDuty: false } } };
    }
    case 'bin': {
      const b = oneOf(BIN_TYPES, spec.type, NEW_ENTITY_DEFAULTS.bin, 'bin type');
      if (!(BIN_TYPES as readonly string[]).includes(b)) return fail(b);
      return { ok: true, entity: { ...base, kind: 'bin', status: 'ok', attrs: { binType: b as BinType, fill: 0 } } };
    }
    case 'toilet': {
      const c = oneOf(TOILET_CLASSES, spec.type, NEW_ENTITY_DEFAULTS.toilet, 'toilet class');
      if (!(TOILET_CLASSES as readonly string[]).includes(c)) return fail(c);
      return {
        ok: true,
        entity: {
          ...base, kind: 'toilet', status: 'closed',
          attrs: { toiletClass: c as ToiletClass, open: false, stalls: 0, occupied: 0, nh3: 0, h2s: 0, footfallToday: 0, lastCleanedTs: 0, odourAlarm: false },
        },
      };
    }
  }
}
