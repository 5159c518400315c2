/** HTTP contracts of the cases API (GET/POST /api/cases…, /api/taxonomy, /api/organisations). */
import { Type, type Static } from 'typebox';
import { SafeName } from '../names.ts';
import { CASE_ACTIONS, CASE_DIFFICULTIES, CASE_SOURCES, CASE_STAGES } from '../cases.ts';

const literals = <const T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const AnyObject = Type.Object({}, { additionalProperties: true });

export const SlaClockSchema = Type.Object({
  id: Type.Integer(), caseId: Type.Integer(), kind: literals(['arrival', 'closure']),
  state: literals(['running', 'paused', 'warned', 'met', 'breached']),
  startTs: Type.Number(), dueTs: Type.Number(), warnTs: Type.Number(), endTs: Nullable(Type.Number()),
  pausedMs: Type.Number(), pausedSince: Nullable(Type.Number()), escalationLevel: Type.Integer(),
});

export const CaseLocationSchema = Type.Object({
  lon: Type.Number(), lat: Type.Number(), streetCode: Type.String(),
  communityCode: Nullable(Type.String()), gridId: Nullable(Type.String()), address: Nullable(Type.String()),
});

export const CaseAssignmentSchema = Type.Object({
  unitId: Type.String(), unitName: Type.String(), dispatchedTs: Type.Number(), etaTs: Nullable(Type.Number()),
  route: Type.Array(Type.Array(Type.Number())), arrivedTs: Nullable(Type.Number()), by: Type.String(),
});

export const CaseSummarySchema = Type.Object({
  id: Type.Integer(), code: Type.String(), title: Type.String(), itemCode: Type.String(),
  category: literals(['component', 'event']), source: literals(CASE_SOURCES), stage: literals(CASE_STAGES),
  suspended: Type.Boolean(), emergency: Type.Boolean(), difficulty: literals(CASE_DIFFICULTIES),
  location: CaseLocationSchema, assignedOrg: Nullable(Type.String()), assignment: Nullable(CaseAssignmentSchema),
  alarmId: Nullable(Type.Integer()), escalationLevel: Type.Integer(), reportedBy: Type.String(),
  createdTs: Type.Number(), updatedTs: Type.Number(), closedTs: Nullable(Type.Number()),
  clocks: Type.Array(SlaClockSchema), version: Type.Integer(),
});

export const CaseDetailSchema = Type.Object({
  ...CaseSummarySchema.properties,
  description: Type.String(),
  photos: Type.Array(Type.Object({
    id: Type.String(), phase: literals(['before', 'after']), url: Type.String(), contentType: Type.String(),
    bytes: Type.Integer(), ts: Type.Number(), by: Type.String(),
  })),
  timeline: Type.Array(Type.Object({
    id: Type.Integer(), caseId: Type.Integer(), ts: Type.Number(), actor: Type.String(), actorRole: Type.String(),
    action: literals(CASE_ACTIONS), fromStage: Nullable(literals(CASE_STAGES)), toStage: Nullable(literals(CASE_STAGES)),
    note: Nullable(Type.String()), data: Nullable(AnyObject),
  })),
  requests: Type.Array(Type.Object({
    id: Type.Integer(), caseId: Type.Integer(), kind: literals(['sendBack', 'extension', 'suspension', 'void']),
    reason: Type.String(), days: Nullable(Type.Integer()), requestedBy: Type.String(), requestedTs: Type.Number(),
    state: literals(['pending', 'approved', 'rejected']), decidedBy: Nullable(Type.String()), decidedTs: Nullable(Type.Number()),
  })),
  evaluation: Nullable(Type.Object({ score: Type.Integer(), comment: Nullable(Type.String()), by: Type.String(), ts: Type.Number() })),
  citizenRating: Nullable(Type.Object({ score: Type.Integer(), comment: Nullable(Type.String()), ts: Type.Number() })),
});

const Bool = literals(['true', 'false']);

export const CasesQuery = Type.Object({
  open: Type.Optional(Bool),
  stage: Type.Optional(literals(CASE_STAGES)),
  street: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: '9-digit street (街道) code' })),
  source: Type.Optional(literals(CASE_SOURCES)),
  item: Type.Optional(Type.String({ pattern: '^[0-9]{2}(\\.[0-9]{2}(\\.[0-9]{3})?)?$', description: 'taxonomy class, subclass or item code (01, 01.01, 01.01.001)' })),
  emergency: Type.Optional(Bool),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'text in the case number, title, description or address' })),
  from: Type.Optional(Type.Integer({ minimum: 0, description: 'created at or after (ms since epoch)' })),
  to: Type.Optional(Type.Integer({ minimum: 0, description: 'created before (ms since epoch)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
}, { additionalProperties: false });
export type CasesQuery = Static<typeof CasesQuery>;

export const NewCaseBody = Type.Object({
  source: literals(CASE_SOURCES),
  itemCode: Type.String({ minLength: 1, maxLength: 20 }),
  title: Type.Optional(SafeName({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  address: Type.Optional(Type.String({ maxLength: 300 })),
  emergency: Type.Optional(Type.Boolean()),
  alarmId: Type.Optional(Type.Integer({ minimum: 1 })),
  register: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const TransitionBody = Type.Object({
  action: literals(['register', 'verifyPass', 'verifyFail', 'close', 'evaluate', 'note', 'escalate']),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
  score: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  itemCode: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
}, { additionalProperties: false });

export const RequestBody = Type.Object({
  kind: literals(['sendBack', 'extension', 'suspension', 'void']),
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false });

export const DecisionBody = Type.Object({
  approve: Type.Boolean(),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });

export const ResumeBody = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });

export const CaseParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const RequestParams = Type.Object({ id: Type.Integer({ minimum: 1 }), rid: Type.Integer({ minimum: 1 }) });
export const PhotoParams = Type.Object({ id: Type.Integer({ minimum: 1 }), photoId: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });
/** A signed photo link (server/cases/photo-links.ts): no login, one photo, until `exp` (unix seconds). */
export const SignedPhotoParams = Type.Object({ caseId: Type.Integer({ minimum: 1 }), photoId: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });
export const SignedPhotoQuery = Type.Object({ exp: Type.Integer({ minimum: 0 }), sig: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const PhotoQuery = Type.Object({ phase: literals(['before', 'after']) }, { additionalProperties: false });

export const TaxonomySchema = Type.Object({
  classes: Type.Array(AnyObject),
  subclasses: Type.Optional(Type.Array(AnyObject)),
  items: Type.Array(AnyObject),
});
export const OrganisationSchema = Type.Object({
  code: Type.String(), name: Type.String(), nameEn: Type.String(), type: literals(['street', 'department']), streetLevel: Type.Optional(Type.Boolean()),
});
