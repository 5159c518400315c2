/**
 * HTTP contracts: one TypeBox schema gives the runtime check, the TS type (Static<>)
 * and the OpenAPI document at /docs.
 */
import { Type, type Static } from 'typebox';
import { SafeName } from '../names.ts';
import { ENTITY_KINDS } from '../entities.ts';
import { ROLES } from '../roles.ts';
import { BASEMAP_KINDS } from '../basemap.ts';
import { WALL_LAYOUT_SETTINGS } from '../wall-layout.ts';

const literals = <const T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
}, { $id: 'ErrorResponse' });
export type ErrorResponse = Static<typeof ErrorResponse>;

const KindCounts = Type.Object(Object.fromEntries(ENTITY_KINDS.map((k) => [k, Type.Integer()])) as Record<(typeof ENTITY_KINDS)[number], ReturnType<typeof Type.Integer>>);

/** GET /api/health: public liveness, nothing about the district or its load. */
export const HealthResponse = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });
export type HealthResponse = Static<typeof HealthResponse>;

const CheckResult = Type.Object({ ok: Type.Boolean(), reason: Type.Optional(Type.String()) });

/** GET /api/ready: whether this node can serve (store; MQTT broker and Redis when configured). 503 when not. */
export const ReadyResponse = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unready')]),
  checks: Type.Record(Type.String(), CheckResult),
});
export type ReadyResponse = Static<typeof ReadyResponse>;

/** The simulated past generated on the first start (SIM_HISTORY_DAYS); null when none is generated or kept. */
export const PastProgress = Type.Union([Type.Object({
  phase: literals(['cases', 'positions', 'done', 'failed']),
  days: Type.Integer(),
  fromTs: Type.Number({ description: 'ms: local midnight, days before the first start' }),
  toTs: Type.Number({ description: 'ms: the first start' }),
  cases: Type.Integer(),
  alarms: Type.Integer(),
  casesDone: Type.Number({ description: 'share of the window whose cases and alarms are written, 0..1 (phase cases)' }),
  positionsDone: Type.Number({ description: 'share of the window whose positions are written, 0..1' }),
  positionsUntil: Type.Union([Type.Number(), Type.Null()]),
}), Type.Null()]);
export type PastProgress = Static<typeof PastProgress>;

/** GET /api/past: the simulated past's progress, for the screens that read history. */
export const PastProgressResponse = Type.Object({ past: PastProgress });
export type PastProgressResponse = Static<typeof PastProgressResponse>;

/** GET /api/admin/status: what /api/health used to say to anyone, now for admins. */
export const ServerStatusResponse = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  uptimeS: Type.Number(),
  district: Type.String(),
  entities: KindCounts,
  online: KindCounts,
  liveVersion: Type.Number(),
  clients: Type.Integer(),
  ingest: Type.Object({ accepted: Type.Integer(), dropped: Type.Integer() }),
  simulator: Type.Union([Type.Object({ running: Type.Boolean(), speed: Type.Number(), seed: Type.Integer() }), Type.Null()]),
  past: PastProgress,
});
export type ServerStatusResponse = Static<typeof ServerStatusResponse>;

export const ClientConfigResponse = Type.Object({
  mapboxAccessToken: Type.Optional(Type.String()),
  mapStyleUrl: Type.Optional(Type.String()),
  mapboxApiUrl: Type.Optional(Type.String({ description: 'MAPBOX_API_URL: an on-premises Mapbox API base' })),
  basemap: Type.Object({
    kind: literals(BASEMAP_KINDS),
    crs: Type.Union([Type.Literal('WGS84'), Type.Literal('GCJ02')], { description: 'CRS of the basemap tiles; overlays are shifted into it' }),
    tiles: Type.Optional(Type.Array(Type.String(), { description: 'raster tile URLs, {z}/{x}/{y}' })),
    labelTiles: Type.Optional(Type.Array(Type.String())),
    scheme: Type.Optional(Type.Union([Type.Literal('xyz'), Type.Literal('tms')])),
    attribution: Type.Optional(Type.String()),
  }, { description: 'MAP_BASEMAP: offline (the pack\'s own style), tianditu, gcj02 or mapbox' }),
  wall: Type.Object({
    layout: literals(WALL_LAYOUT_SETTINGS),
    tour: Type.Array(Type.String({ pattern: '^[0-9]{9}$' }), { description: 'street codes the idle wall flies to, in order' }),
    tourS: Type.Integer({ description: 'seconds per tour stop' }),
    idleS: Type.Integer({ description: 'seconds without input before the tour starts' }),
  }),
});
export type ClientConfigResponse = Static<typeof ClientConfigResponse>;

export const LoginBody = Type.Object({
  username: SafeName({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });

export const Principal = Type.Object({
  type: Type.Union([Type.Literal('user'), Type.Literal('display')]),
  name: Type.String(),
  role: literals(ROLES),
});
export type Principal = Static<typeof Principal>;

export const LoginResponse = Type.Object({
  token: Type.String(),
  expiresAt: Type.Number(),
  /** unitId: a crew user's unit (role field), what its phone page (/field) shows. */
  user: Type.Object({ username: Type.String(), role: literals(ROLES), unitId: Type.Optional(Type.String()) }),
});

export const PositionSchema = Type.Object({
  lon: Type.Number(), lat: Type.Number(), ts: Type.Number(),
  speed: Type.Optional(Type.Number()), heading: Type.Optional(Type.Number()),
});

export const EntitySchema = Type.Object({
  id: Type.String(),
  kind: literals(ENTITY_KINDS),
  name: Type.String(),
  orgCode: Type.String(),
  gridId: Type.String(),
  status: Type.String(),
  pos: Type.Optional(PositionSchema),
  attrs: Type.Object({}, { additionalProperties: true }),
  connectivity: literals(['online', 'stale', 'offline']),
  lastSeen: Type.Number(),
  version: Type.Number(),
});

export const EntitiesQuery = Type.Object({
  kind: Type.Optional(literals(ENTITY_KINDS)),
  street: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: '9-digit street (街道) code' })),
}, { additionalProperties: false });
export type EntitiesQuery = Static<typeof EntitiesQuery>;

export const DisplayTokenSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), createdAt: Type.Number(), createdBy: Type.String(),
  revokedAt: Type.Union([Type.Number(), Type.Null()]), lastUsedAt: Type.Union([Type.Number(), Type.Null()]),
});

export const CreateDisplayTokenBody = Type.Object({ name: SafeName({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const CreatedDisplayToken = Type.Object({ id: Type.Integer(), name: Type.String(), token: Type.String(), wallUrl: Type.String() });

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

