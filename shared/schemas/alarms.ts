/**
 * HTTP contracts of the alarms (告警) and their settings: one TypeBox schema gives the
 * runtime check (ranges included), the TS type and the /docs entry.
 */
import { Type, type Static } from 'typebox';
import { ALARM_SEVERITIES, ALARM_TYPES } from '../alarms.ts';
import { ENTITY_KINDS } from '../entities.ts';

const literals = <const T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);
const nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const AlarmTypeSchema = literals(ALARM_TYPES);
export const AlarmSeveritySchema = literals(ALARM_SEVERITIES);

export const AlarmSchema = Type.Object({
  id: Type.Integer(),
  type: AlarmTypeSchema,
  severity: AlarmSeveritySchema,
  entityId: Type.String(),
  entityKind: literals(ENTITY_KINDS),
  entityName: Type.String(),
  orgCode: Type.String(),
  gridId: Type.String(),
  lon: nullable(Type.Number()),
  lat: nullable(Type.Number()),
  startTs: Type.Number(),
  updateTs: Type.Number(),
  endTs: nullable(Type.Number()),
  active: Type.Boolean(),
  ackBy: Type.Union([Type.String(), Type.Null()]),
  ackTs: nullable(Type.Number()),
  clearedBy: Type.Union([Type.String(), Type.Null()]),
  detail: Type.String(),
  value: nullable(Type.Number()),
  caseId: Type.Union([Type.Integer(), Type.Null()]),
  version: Type.Integer(),
});

export const AlarmListQuery = Type.Object({
  active: Type.Optional(Type.Boolean({ description: 'true: active only; false: cleared only' })),
  type: Type.Optional(AlarmTypeSchema),
  street: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: '9-digit street (街道) code of the originator' })),
  entityId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  since: Type.Optional(Type.Number({ minimum: 0, description: 'alarms updated at or after this time, ms since epoch' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
}, { additionalProperties: false });
export type AlarmListQuery = Static<typeof AlarmListQuery>;

/** Optional optimistic-concurrency guard: the version the user saw; a newer row answers 409. */
export const AlarmActionBody = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false });

const windowText = Type.String({ pattern: '^([01]?[0-9]|2[0-3]):[0-5][0-9]-([01]?[0-9]|2[0-4]):[0-5][0-9]$', description: 'local time window HH:MM-HH:MM' });

/** Every threshold with its range: an admin cannot set a limit that makes no sense (a 0 % bin, a negative hold). */
export const AlarmSettingsSchema = Type.Object({
  binFullPct: Type.Number({ minimum: 1, maximum: 100 }),
  binOverflowPct: Type.Number({ minimum: 1, maximum: 100 }),
  nh3LimitMgM3: Type.Object({
    I: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    II: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    III: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  }, { additionalProperties: false }),
  h2sLimitMgM3: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  toiletCleaningOverdueH: Type.Number({ minimum: 0.25, maximum: 168 }),
  muckCorridorM: Type.Number({ minimum: 5, maximum: 5000 }),
  muckOffRouteMin: Type.Number({ minimum: 0, maximum: 1440 }),
  muckOffRouteCriticalMin: Type.Number({ minimum: 0, maximum: 1440 }),
  muckLidOpenMaxKph: Type.Number({ minimum: 0, maximum: 200 }),
  muckSpeedLimitKph: Type.Number({ minimum: 5, maximum: 200 }),
  movingKph: Type.Number({ minimum: 0, maximum: 50 }),
  vehicleBannedHours: Type.Array(windowText, { maxItems: 12 }),
  staffOutOfGridM: Type.Number({ minimum: 0, maximum: 10_000 }),
  staffOutOfGridMin: Type.Number({ minimum: 0, maximum: 1440 }),
  staffOffPostMin: Type.Number({ minimum: 1, maximum: 1440 }),
  offlineAlarmKinds: Type.Array(literals(ENTITY_KINDS), { uniqueItems: true }),
  clearHoldS: Type.Number({ minimum: 0, maximum: 3600 }),
  severity: Type.Object(Object.fromEntries(ALARM_TYPES.map((t) => [t, AlarmSeveritySchema])) as Record<(typeof ALARM_TYPES)[number], typeof AlarmSeveritySchema>, { additionalProperties: false }),
  autoCase: Type.Array(AlarmTypeSchema, { uniqueItems: true }),
}, { additionalProperties: false });

/** The settings row: the settings plus who changed them last and its version (PUT must name it: 409 when stale). */
export const AlarmSettingsDoc = Type.Object({
  settings: AlarmSettingsSchema,
  version: Type.Integer(),
  updatedTs: nullable(Type.Number()),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});
export type AlarmSettingsDoc = Static<typeof AlarmSettingsDoc>;

export const PutAlarmSettingsBody = Type.Object({
  settings: AlarmSettingsSchema,
  version: Type.Integer({ minimum: 0, description: 'the version read with GET' }),
}, { additionalProperties: false });
export type PutAlarmSettingsBody = Static<typeof PutAlarmSettingsBody>;
