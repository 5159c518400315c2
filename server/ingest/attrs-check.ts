/** Attribute updates are checked key by key against each kind's attribute types. */
import { ENTITY_STATUSES, type EntityKind } from '../../shared/entities.ts';

/** 'derived': the server sets it from its own rules, so a source that sends it is refused. */
type AttrType = 'number' | 'boolean' | 'string' | 'derived';

/** What real trackers (JT/T 808 terminals) report on vehicles and muck trucks (shared/entities.ts TrackerAttrs). */
const TRACKER = {
  sos: 'boolean', acc: 'boolean', mileageKm: 'number', fuelL: 'number', rssi: 'number', satellites: 'number', terminalAlarms: 'number',
} as const satisfies Record<string, AttrType>;

const ATTR_TYPES: Record<EntityKind, Record<string, AttrType>> = {
  staff: { role: 'string', shift: 'string', onDuty: 'boolean', roadId: 'string', sos: 'boolean' },
  vehicle: { vehicleType: 'string', plate: 'string', working: 'boolean', routeDone: 'number', ...TRACKER },
  muckTruck: { plate: 'string', company: 'string', permitId: 'string', loaded: 'boolean', lidSealed: 'boolean', violations: 'derived', ...TRACKER },
  toilet: {
    toiletClass: 'string', open: 'boolean', stalls: 'number', occupied: 'number', nh3: 'number', h2s: 'number',
    footfallToday: 'number', lastCleanedTs: 'number', odourAlarm: 'boolean',
  },
  bin: { binType: 'string', fill: 'number', roadId: 'string' },
};

/** Returns a problem description, or undefined when the update is acceptable. */
export function checkAttrs(kind: EntityKind, attrs: Record<string, unknown>): string | undefined {
  const types = ATTR_TYPES[kind];
  for (const [key, value] of Object.entries(attrs)) {
    const t = types[key];
    if (t === undefined) return `unknown attribute "${key}" for ${kind}`;
    if (t === 'derived') {
      return `attribute "${key}" is derived by the server's alarm rules; a ${kind} device cannot set it`;
    } else if (t === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `attribute "${key}" must be a finite number`;
    } else if (typeof value !== t) {
      return `attribute "${key}" must be a ${t}`;
    }
  }
  if (kind === 'bin' && typeof attrs.fill === 'number' && (attrs.fill < 0 || attrs.fill > 100)) return `attribute "fill" ${attrs.fill} is outside 0..100`;
  return undefined;
}

export function isStatusOf(kind: EntityKind, status: string): boolean {
  return (ENTITY_STATUSES[kind] as readonly string[]).includes(status);
}
