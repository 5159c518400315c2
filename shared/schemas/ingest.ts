/**
 * What devices send us over MQTT and the HTTP batch API (issue 8, parts 3 and 4). One schema
 * gives the runtime check, the TypeScript type and the OpenAPI document. A report's time is
 * ISO 8601 with an offset, or epoch milliseconds.
 */
import { Type, type Static } from 'typebox';

/** The id a device reports with: the registry's device id (GET /api/devices); a pack entity's simulated device has the entity id. */
export const DeviceIdField = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });
export const ReportTime = Type.Union([
  Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 with a zone, e.g. 2026-12-07T14:03:00+08:00' }),
  Type.Integer({ description: 'epoch milliseconds' }),
]);

/** MQTT `{prefix}/bin/{deviceId}`: 果皮箱/垃圾桶 fill level. */
export const BinPayload = Type.Object({
  fill: Type.Number({ minimum: 0, maximum: 100, description: 'fill level, %' }),
  ts: ReportTime,
}, { additionalProperties: false });
export type BinPayload = Static<typeof BinPayload>;

/** MQTT `{prefix}/toilet/{deviceId}`: 公共卫生间 air and stalls; at least one reading besides ts. */
export const ToiletPayload = Type.Object({
  nh3: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'NH₃, mg/m³' })),
  h2s: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'H₂S, mg/m³' })),
  occupied: Type.Optional(Type.Integer({ minimum: 0, maximum: 500, description: 'stalls occupied now' })),
  ts: ReportTime,
}, { additionalProperties: false, minProperties: 2 });
export type ToiletPayload = Static<typeof ToiletPayload>;

export const SENSOR_KINDS = ['bin', 'toilet'] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

/** One fix in POST /api/v1/ingest/positions. */
export const PositionItem = Type.Object({
  deviceId: DeviceIdField,
  ts: ReportTime,
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  /** km/h */
  speed: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
  /** degrees clockwise from north */
  heading: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
  /** Absent: the source's INGEST_HTTP_CRS, else WGS84. */
  crs: Type.Optional(Type.Union([Type.Literal('WGS84'), Type.Literal('GCJ02'), Type.Literal('BD09')])),
  /** Horizontal accuracy the phone claims, metres; fixes worse than INGEST_HTTP_MAX_ACCURACY_M are dropped as lowAccuracy. */
  accuracy: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
}, { additionalProperties: false });
export type PositionItem = Static<typeof PositionItem>;

/**
 * One reading in POST /api/v1/ingest/readings: the device, the time, and the attributes of its
 * entity's kind that it measured (`fill` for a bin; `nh3`, `h2s`, `occupied`, `open` for a toilet;
 * `sos` for a staff phone…). The ingest checks each against the kind's vocabulary.
 */
export const ReadingItem = Type.Object({
  deviceId: DeviceIdField,
  ts: ReportTime,
}, {
  additionalProperties: Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 64 })]),
  minProperties: 3,
  maxProperties: 24,
});
export type ReadingItem = Static<typeof ReadingItem>;

export const Rejection = Type.Object({
  index: Type.Integer(),
  /** A stable code: badItem, badTime, or the ingest's drop reason (unknownDevice, duplicate, outOfOrder, …). */
  reason: Type.String(),
  detail: Type.String(),
});
export const BatchResult = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Array(Rejection),
});
export type BatchResult = Static<typeof BatchResult>;
