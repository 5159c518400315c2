/**
 * HTTP contracts of dispatch: units, recommendations, dispatch/reassign/release, the crew's
 * own steps and the 7-minute coverage layer (shared/dispatch.ts has the shapes).
 */
import { Type, type Static } from 'typebox';
import { UNIT_SKILLS, UNIT_STATUSES } from '../dispatch.ts';

const LonLatSchema = Type.Tuple([Type.Number(), Type.Number()]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const UnitStateSchema = Type.Object({
  entityId: Type.String(),
  kind: Type.Union([Type.Literal('staff'), Type.Literal('vehicle')]),
  name: Type.String(),
  orgCode: Type.String(),
  gridId: Type.String(),
  skills: Type.Array(Type.Enum(UNIT_SKILLS)),
  status: Type.Enum(UNIT_STATUSES),
  since: Type.Number(),
  caseId: Nullable(Type.Integer()),
  warning: Nullable(Type.String()),
  version: Type.Integer(),
}, { $id: 'UnitState' });

/** The case a unit works on, as its crew's phone shows it. */
export const UnitTaskSchema = Type.Object({
  caseId: Type.Integer(),
  code: Type.String(),
  title: Type.String(),
  stage: Type.String(),
  emergency: Type.Boolean(),
  lon: Type.Number(),
  lat: Type.Number(),
  address: Nullable(Type.String()),
  dispatchedTs: Type.Number(),
  etaTs: Nullable(Type.Number()),
  arrivedTs: Nullable(Type.Number()),
  route: Type.Array(LonLatSchema),
});
export type UnitTask = Static<typeof UnitTaskSchema>;

/** The unit's last reported position (its crew's phone shows it on the map). */
export const UnitPositionSchema = Type.Object({ lon: Type.Number(), lat: Type.Number(), ts: Type.Number() });

export const UnitDetailSchema = Type.Intersect([UnitStateSchema, Type.Object({ task: Nullable(UnitTaskSchema), position: Nullable(UnitPositionSchema) })]);
export type UnitDetail = Static<typeof UnitDetailSchema>;

export const UnitRecommendationSchema = Type.Object({
  entityId: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('staff'), Type.Literal('vehicle')]),
  status: Type.Enum(UNIT_STATUSES),
  etaS: Type.Number(),
  roadDistanceM: Type.Number(),
  straightDistanceM: Type.Number(),
  positionAgeS: Type.Number(),
  stale: Type.Boolean(),
  reasons: Type.Array(Type.Enum(['closestByRoad', 'inGrid', 'inStreet', 'rightSkills', 'stalePosition', 'within7Min', 'returning'])),
  route: Type.Array(LonLatSchema),
  rank: Type.Integer(),
});

export const RecommendationsResponse = Type.Object({
  caseId: Type.Integer(),
  /** No available unit has a skill the case's item asks for: every available unit was ranked instead. */
  skillFallback: Type.Boolean(),
  units: Type.Array(UnitRecommendationSchema),
});

export const CoverageSchema = Type.Object({
  computedTs: Type.Number(),
  targetS: Type.Number(),
  unitsConsidered: Type.Integer(),
  coveredShare: Type.Number(),
  coveredKm: Type.Number(),
  totalKm: Type.Number(),
  covered: Type.Array(Type.Array(LonLatSchema)),
  gaps: Type.Array(Type.Array(LonLatSchema)),
});

/** The case as the cases module returns it (shared/cases.ts CaseDetail); its schema lives with cases. */
export const CaseDetailPassThrough = Type.Object({ id: Type.Integer(), version: Type.Integer() }, { additionalProperties: true });

export const CaseIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const UnitIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const RecommendationsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 5 })),
}, { additionalProperties: false });

export const UnitsQuery = Type.Object({
  status: Type.Optional(Type.Enum(UNIT_STATUSES)),
  kind: Type.Optional(Type.Union([Type.Literal('staff'), Type.Literal('vehicle')])),
  street: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: '9-digit street (街道) code' })),
}, { additionalProperties: false });
export type UnitsQuery = Static<typeof UnitsQuery>;

const version = Type.Optional(Type.Integer({ minimum: 0, description: 'the case version this acts on; a stale one gets 409' }));
const reason = Type.String({ minLength: 1, maxLength: 500 });

export const DispatchBody = Type.Object({
  unitId: Type.String({ minLength: 1, maxLength: 64 }),
  version,
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export const ReassignBody = Type.Object({ unitId: Type.String({ minLength: 1, maxLength: 64 }), version, reason }, { additionalProperties: false });
export const ReleaseBody = Type.Object({ version, reason }, { additionalProperties: false });

export const CrewDoneBody = Type.Object({
  note: Type.String({ minLength: 1, maxLength: 2000 }),
  photoIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 10 })),
}, { additionalProperties: false });

/** 退回: the crew asks to send its task back (a leader or admin decides). */
export const SendBackBody = Type.Object({ reason }, { additionalProperties: false });

export const UnitTasksQuery = Type.Object({
  day: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'the district-local date YYYY-MM-DD (default: today)' })),
}, { additionalProperties: false });

/** A task the unit finished (反馈) on a day, as its crew's phone lists it. */
export const UnitFinishedTaskSchema = Type.Object({
  caseId: Type.Integer(),
  code: Type.String(),
  title: Type.String(),
  address: Nullable(Type.String()),
  emergency: Type.Boolean(),
  /** Where the case is now (fedBack, verified, closed…, or dispatched again after a failed check). */
  stage: Type.String(),
  fedBackTs: Type.Number(),
  /** Who reported it done: the crew member's user name (or the unit id for a simulated crew). */
  by: Type.String(),
  note: Nullable(Type.String()),
  photos: Type.Integer(),
});
export type UnitFinishedTask = Static<typeof UnitFinishedTaskSchema>;

export const UnitTasksResponse = Type.Object({
  unitId: Type.String(),
  day: Type.String(),
  timeZone: Type.String(),
  tasks: Type.Array(UnitFinishedTaskSchema),
});
export type UnitTasksResponse = Static<typeof UnitTasksResponse>;
