/**
 * The live entities of a district: what is tracked, and the vocabulary of their states.
 * Coordinates inside the system are always WGS-84.
 */

export const ENTITY_KINDS = ['staff', 'vehicle', 'muckTruck', 'toilet', 'bin'] as const;
/** staff 环卫工人/路长/执法队员 · vehicle 环卫车辆 · muckTruck 渣土车 · toilet 公共卫生间 · bin 果皮箱/垃圾桶 */
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const MOBILE_KINDS: readonly EntityKind[] = ['staff', 'vehicle', 'muckTruck'];

export function isEntityKind(value: unknown): value is EntityKind {
  return typeof value === 'string' && (ENTITY_KINDS as readonly string[]).includes(value);
}

/** Derived from the silence since the last report (see `ConnectivityPolicy`). */
export const CONNECTIVITY = ['online', 'stale', 'offline'] as const;
export type Connectivity = (typeof CONNECTIVITY)[number];

/** Status vocabulary per kind. The order is the wire code (see shared/live-codec.ts): append, never reorder. */
export const ENTITY_STATUSES = {
  /** onDuty 在岗 · offDuty 下班 · sos 求助 */
  staff: ['onDuty', 'offDuty', 'sos'],
  /** working 作业中 · idle 空闲/行驶 · parked 停放 */
  vehicle: ['working', 'idle', 'parked'],
  /** loaded 重车 · empty 空车 · parked 停放 */
  muckTruck: ['loaded', 'empty', 'parked'],
  /** open 开放 · cleaning 保洁中 · closed 关闭 */
  toilet: ['open', 'cleaning', 'closed'],
  /** ok · full ≥80 % · overflow ≥95 % */
  bin: ['ok', 'full', 'overflow'],
} as const satisfies Record<EntityKind, readonly string[]>;

export type EntityStatus<K extends EntityKind = EntityKind> = (typeof ENTITY_STATUSES)[K][number];

export interface Position {
  lon: number;
  lat: number;
  /** Fix time, ms since epoch (UTC). */
  ts: number;
  /** km/h */
  speed?: number;
  /** degrees clockwise from north */
  heading?: number;
}

/** The vocabularies of the enumerated attributes: the pack is validated against them, and so is every report at the ingest. */
export const STAFF_ROLES = ['cleaner', 'roadChief', 'enforcer'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const VEHICLE_TYPES = ['sweeper', 'washer', 'sprinkler', 'compactor'] as const;
export type VehicleType = (typeof VEHICLE_TYPES)[number];
/** A muck truck's violations, derived by the server's alarm rules (never sent by a device). */
export const MUCK_VIOLATIONS = ['offRoute', 'lidOpen', 'outsideHours', 'speeding', 'restrictedZone'] as const;
export type MuckViolation = (typeof MUCK_VIOLATIONS)[number];

/** 环卫工人 cleaner · 路长 road chief · 执法队员 law-enforcement officer */
export interface StaffAttrs {
  role: StaffRole;
  shift: string;
  onDuty: boolean;
  roadId?: string;
  sos?: boolean;
}

export interface VehicleAttrs extends TrackerAttrs {
  vehicleType: VehicleType;
  plate: string;
  working: boolean;
  /** Share of today's planned route done, 0..1 */
  routeDone?: number;
}

/**
 * What a real tracker (a JT/T 808 terminal) reports beside its position, for vehicles and muck
 * trucks alike; the simulator sends none of it.
 */
export interface TrackerAttrs {
  /** The driver pressed the emergency button (JT/T 808 alarm bit 0): raised like a staff SOS. */
  sos?: boolean;
  /** Ignition (ACC) on */
  acc?: boolean;
  /** Odometer, km (JT/T 808 extra 0x01) */
  mileageKm?: number;
  /** Fuel, litres (extra 0x02) */
  fuelL?: number;
  /** Mobile signal strength (extra 0x30) */
  rssi?: number;
  /** GNSS satellites in view (extra 0x31) */
  satellites?: number;
  /** The raw JT/T 808 alarm word, kept for the device page */
  terminalAlarms?: number;
}

/** 渣土车 — muck truck: carries a permit (site → disposal field, route corridor, hours). */
export interface MuckTruckAttrs extends TrackerAttrs {
  plate: string;
  company: string;
  permitId: string;
  loaded: boolean;
  lidSealed: boolean;
  /** Derived by the server from its active muck alarms; a source that sends it is refused. */
  violations: MuckViolation[];
}

/** GB/T 17217 class of a public toilet: NH₃ limits I 0.3, II 1, III 3 mg/m³. */
export const TOILET_CLASSES = ['I', 'II', 'III'] as const;
export type ToiletClass = (typeof TOILET_CLASSES)[number];

export interface ToiletAttrs {
  toiletClass: ToiletClass;
  open: boolean;
  stalls: number;
  occupied: number;
  /** mg/m³ */
  nh3: number;
  /** mg/m³ */
  h2s: number;
  footfallToday: number;
  lastCleanedTs: number;
  odourAlarm: boolean;
}

/** 果皮箱 litter bin (street) · 垃圾桶 garbage bin (collection point) */
export const BIN_TYPES = ['litter', 'garbage'] as const;
export type BinType = (typeof BIN_TYPES)[number];

export interface BinAttrs {
  binType: BinType;
  /** percent 0..100 */
  fill: number;
  roadId?: string;
}

export interface EntityAttrsByKind {
  staff: StaffAttrs;
  vehicle: VehicleAttrs;
  muckTruck: MuckTruckAttrs;
  toilet: ToiletAttrs;
  bin: BinAttrs;
}

export interface Entity<K extends EntityKind = EntityKind> {
  id: string;
  kind: K;
  name: string;
  /** 9-digit street (街道) code, e.g. 370102001 */
  orgCode: string;
  gridId: string;
  status: EntityStatus<K>;
  pos?: Position;
  attrs: EntityAttrsByKind[K];
  connectivity: Connectivity;
  /** ms since epoch of the last report that reached the live state */
  lastSeen: number;
  /** Live-state version of this entity's last change. */
  version: number;
}

export type AnyEntity = { [K in EntityKind]: Entity<K> }[EntityKind];

/** Bin fill thresholds (DOMAIN.md): ≥80 % flashes on the map, ≥95 % is an overflow alarm. */
export const BIN_FULL_PCT = 80;
export const BIN_OVERFLOW_PCT = 95;

/** The bin status a fill level means; the thresholds default to DOMAIN.md's and follow the alarm settings in the server. */
export function binStatusFor(fill: number, fullPct = BIN_FULL_PCT, overflowPct = BIN_OVERFLOW_PCT): EntityStatus<'bin'> {
  if (fill >= overflowPct) return 'overflow';
  if (fill >= fullPct) return 'full';
  return 'ok';
}

/** NH₃ limits per GB/T 17217 toilet class, mg/m³; H₂S limit 0.01 mg/m³. */
export const NH3_LIMIT_MG_M3: Record<ToiletClass, number> = { I: 0.3, II: 1, III: 3 };
export const H2S_LIMIT_MG_M3 = 0.01;

export function isOdourAlarm(
  toiletClass: ToiletClass, nh3: number, h2s: number,
  nh3Limits: Readonly<Record<ToiletClass, number>> = NH3_LIMIT_MG_M3, h2sLimit = H2S_LIMIT_MG_M3,
): boolean {
  // An unknown class never switches the alarm off: it is held to the strictest limit.
  const limit = nh3Limits[toiletClass] ?? Math.min(...Object.values(nh3Limits));
  return nh3 > limit || h2s > h2sLimit;
}
