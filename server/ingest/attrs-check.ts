/**
 * Attribute updates are checked key by key against each kind's attribute types, and every
 * enumerated value against its vocabulary (the same one the district pack is validated with):
 * a value nobody downstream knows (a vehicle type the KPIs do not count, a toilet class without
 * an odour limit) is refused here, with its reason, rather than met later by a timer.
 */
import { BIN_TYPES, ENTITY_STATUSES, STAFF_ROLES, TOILET_CLASSES, VEHICLE_TYPES, type EntityKind } from '../../shared/entities.ts';

/** 'derived': the server sets it from its own rules, so a source that sends it is refused. */
type AttrType =
  | 'number' | 'boolean' | 'string' | 'derived'
  | { enum: readonly string[] }
  | { min: number; max?: number; integer?: boolean };

const nonNegative = { min: 0 } as const;
const count = { min: 0, integer: true } as const;

/** What real trackers (JT/T 808 terminals) report on vehicles and muck trucks (shared/entities.ts TrackerAttrs). */
const TRACKER = {
  sos: 'boolean', acc: 'boolean', mileageKm: nonNegative, fuelL: nonNegative, rssi: count, satellites: count,
  terminalAlarms: { min: 0, max: 0xffffffff, integer: true },
} as const satisfies Record<string, AttrType>;

const ATTR_TYPES: Record<EntityKind, Record<string, AttrType>> = {
  staff: { role: { enum: STAFF_ROLES }, shift: 'string', onDuty: 'boolean', roadId: 'string', sos: 'boolean' },
  vehicle: { vehicleType: { enum: VEHICLE_TYPES }, plate: 'string', working: 'boolean', routeDone: { min: 0, max: 1 }, ...TRACKER },
  muckTruck: { plate: 'string', company: 'string', permitId: 'string', loaded: 'boolean', lidSealed: 'boolean', violations: 'derived', ...TRACKER },
  toilet: {
    toiletClass: { enum: TOILET_CLASSES }, open: 'boolean', stalls: count, occupied: count, nh3: nonNegative, h2s: nonNegative,
    footfallToday: count, lastCleanedTs: nonNegative,
    // Sent by some sensors; the ingest recomputes it from NH₃, H₂S and the class whatever they say.
    odourAlarm: 'boolean',
  },
  bin: { binType: { enum: BIN_TYPES }, fill: { min: 0, max: 100 }, roadId: 'string' },
};

/** Returns a problem description, or undefined when the update is acceptable. */
export function checkAttrs(kind: EntityKind, attrs: Record<string, unknown>): string | undefined {
  const types = ATTR_TYPES[kind];
  for (const [key, value] of Object.entries(attrs)) {
    const t = types[key];
    if (t === undefined) return `unknown attribute "${key}" for ${kind}`;
    if (t === 'derived') return `attribute "${key}" is derived by the server's alarm rules; a ${kind} device cannot set it`;
    if (typeof t === 'object') {
      if ('enum' in t) {
        if (typeof value !== 'string' || !t.enum.includes(value)) return `attribute "${key}" ${JSON.stringify(value)} is not one of ${t.enum.join(', ')}`;
        continue;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) return `attribute "${key}" must be a finite number`;
      if (t.integer && !Number.isInteger(value)) return `attribute "${key}" ${value} must be a whole number`;
      if (value < t.min || (t.max !== undefined && value > t.max)) return `attribute "${key}" ${value} is outside ${t.min}..${t.max ?? '∞'}`;
      continue;
    }
    if (t === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `attribute "${key}" must be a finite number`;
    } else if (typeof value !== t) {
      return `attribute "${key}" must be a ${t}`;
    }
  }
  if (kind === 'toilet' && typeof attrs.occupied === 'number' && typeof attrs.stalls === 'number' && attrs.occupied > attrs.stalls) {
    return `attribute "occupied" ${attrs.occupied} exceeds "stalls" ${attrs.stalls}`;
  }
  return undefined;
}

export function isStatusOf(kind: EntityKind, status: string): boolean {
  return (ENTITY_STATUSES[kind] as readonly string[]).includes(status);
}
