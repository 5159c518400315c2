/**
 * The device registry's HTTP contract (issue 8): every device that reports for an entity —
 * the simulator's own (one per pack entity, id = the entity id), JT/T 808 terminals, MQTT
 * sensors and HTTP-batch devices — with its binding, state and counters. Admin only.
 */
import { Type, type Static } from 'typebox';
import { SafeName } from '../names.ts';
import { ENTITY_KINDS } from '../entities.ts';

const literals = <const T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);

/** How a device talks to us. 'sim' is the embedded simulator's device for a pack entity. */
export const DEVICE_PROTOCOLS = ['sim', 'jt808', 'mqtt', 'http'] as const;
export type DeviceProtocol = (typeof DEVICE_PROTOCOLS)[number];

/**
 * active: its reports reach the live state · quarantined: a terminal that registered under
 * JT808_REGISTRATION=quarantine, waiting for an admin · disabled: kept, reports refused ·
 * rejected: an admin refused it (its next registration is refused too).
 */
export const DEVICE_STATES = ['active', 'quarantined', 'disabled', 'rejected'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export const DeviceView = Type.Object({
  id: Type.Integer(),
  protocol: literals(DEVICE_PROTOCOLS),
  /** The id the device reports with: a JT/T 808 terminal's phone number, an MQTT topic's last level, an HTTP item's deviceId; the entity id for 'sim'. */
  deviceId: Type.String(),
  state: literals(DEVICE_STATES),
  /** The entity it reports for; null while quarantined or rejected. */
  entityId: Type.Union([Type.String(), Type.Null()]),
  entityKind: Type.Union([literals(ENTITY_KINDS), Type.Null()]),
  entityName: Type.Union([Type.String(), Type.Null()]),
  /** True when a real device (not the simulator) drives the entity. */
  real: Type.Boolean(),
  /** True when this device is the one that drives its entity now (a simulator device whose entity a real device took over: false). */
  drives: Type.Boolean(),
  label: Type.Union([Type.String(), Type.Null()]),
  /** What a terminal said of itself when it registered (plate, manufacturer, model, terminal id). */
  plate: Type.Union([Type.String(), Type.Null()]),
  meta: Type.Record(Type.String(), Type.String()),
  /** Connected now (a JT/T 808 TCP session); null for protocols without a connection. */
  connected: Type.Union([Type.Boolean(), Type.Null()]),
  /** Remote address of the last connection or post, for the admin (never an identity). */
  address: Type.Union([Type.String(), Type.Null()]),
  lastSeen: Type.Union([Type.Number(), Type.Null()]),
  accepted: Type.Integer(),
  refused: Type.Integer(),
  lastRefusal: Type.Union([Type.Object({ at: Type.Number(), reason: Type.String(), detail: Type.String() }), Type.Null()]),
  createdAt: Type.Number(),
});
export type DeviceView = Static<typeof DeviceView>;

export const DeviceListQuery = Type.Object({
  protocol: Type.Optional(literals(DEVICE_PROTOCOLS)),
  state: Type.Optional(literals(DEVICE_STATES)),
  /** Real devices only (true), simulated only (false). */
  real: Type.Optional(Type.Boolean()),
  /** Matches device id, entity id, entity name, plate or label. */
  q: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
}, { additionalProperties: false });
export type DeviceListQuery = Static<typeof DeviceListQuery>;

export const DeviceList = Type.Object({
  total: Type.Integer(),
  /** Counts over the whole registry, for the page's header. */
  counts: Type.Object({ real: Type.Integer(), simulated: Type.Integer(), quarantined: Type.Integer(), connected: Type.Integer() }),
  items: Type.Array(DeviceView),
  /** The district's IANA zone: the page shows every time in district time, whatever the admin's browser says. */
  timeZone: Type.String(),
});
export type DeviceList = Static<typeof DeviceList>;

/** A new entity made for a device: its kind, name and the attributes its kind requires. */
export const NewEntity = Type.Object({
  kind: literals(ENTITY_KINDS),
  name: SafeName({ minLength: 1, maxLength: 60 }),
  /** vehicles and muck trucks */
  plate: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
  /** vehicle: sweeper | washer | sprinkler | compactor; staff: cleaner | roadChief | enforcer; bin: litter | garbage; toilet: I | II | III */
  type: Type.Optional(Type.String({ maxLength: 16 })),
  /** fixed sensors (bins, toilets) need a place; WGS-84 */
  lon: Type.Optional(Type.Number()),
  lat: Type.Optional(Type.Number()),
}, { additionalProperties: false });
export type NewEntity = Static<typeof NewEntity>;

/** Bind to an existing entity (by id, or by plate for vehicles and muck trucks) or to a new one. */
export const Binding = Type.Union([
  Type.Object({ entityId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ plate: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false }),
  Type.Object({ newEntity: NewEntity }, { additionalProperties: false }),
]);
export type Binding = Static<typeof Binding>;

export const CreateDeviceBody = Type.Object({
  protocol: literals(['jt808', 'mqtt', 'http'] as const),
  deviceId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
  bind: Binding,
  label: Type.Optional(SafeName({ maxLength: 100 })),
}, { additionalProperties: false });
export type CreateDeviceBody = Static<typeof CreateDeviceBody>;

/** Accepting a quarantined terminal: the binding the policy would choose (plate match, else a new vehicle) unless one is given. */
export const AcceptDeviceBody = Type.Object({ bind: Type.Optional(Binding) }, { additionalProperties: false });
export const BindDeviceBody = Type.Object({ bind: Binding }, { additionalProperties: false });

export const TextMessageBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const TextMessageView = Type.Object({
  id: Type.Integer(),
  deviceId: Type.Integer(),
  text: Type.String(),
  /** Who sent it: a user name, or 'dispatch' for the text a dispatch sends on its own. */
  sentBy: Type.String(),
  caseId: Type.Union([Type.Integer(), Type.Null()]),
  sentAt: Type.Union([Type.Number(), Type.Null()]),
  /** The terminal's 0x0001 general response: 0 ok, 1 failed, 2 wrong message, 3 unsupported; null until it answers. */
  result: Type.Union([Type.Integer(), Type.Null()]),
  answeredAt: Type.Union([Type.Number(), Type.Null()]),
  /** queued (terminal not connected), sent, answered, failed, expired */
  status: literals(['queued', 'sent', 'answered', 'failed', 'expired'] as const),
});
export type TextMessageView = Static<typeof TextMessageView>;

export const IngestKeyView = Type.Object({
  id: Type.Integer(), name: Type.String(), createdAt: Type.Number(), createdBy: Type.String(),
  revokedAt: Type.Union([Type.Number(), Type.Null()]), lastUsedAt: Type.Union([Type.Number(), Type.Null()]),
  accepted: Type.Integer(), rejected: Type.Integer(),
});
export type IngestKeyView = Static<typeof IngestKeyView>;
export const CreateIngestKeyBody = Type.Object({ name: SafeName({ minLength: 1, maxLength: 80 }) }, { additionalProperties: false });
/** The key itself is shown once, here, and stored only as a hash. */
export const CreatedIngestKey = Type.Object({ key: IngestKeyView, secret: Type.String() });
