/** HTTP contracts of the staff side of Open311 (keys, reporter contact, report page config); the /open311/v2 documents follow the GeoReport v2 spec (shared/open311.ts). */
import { Type } from 'typebox';
import { SafeName } from '../names.ts';
import { OPEN311_KEY_SOURCES } from '../open311.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Open311KeySchema = Type.Object({
  id: Type.Integer(), name: Type.String(), source: Type.Enum([...OPEN311_KEY_SOURCES]), createdBy: Type.String(), createdAt: Type.Number(),
  revokedAt: Nullable(Type.Number()), lastUsedAt: Nullable(Type.Number()), requestCount: Type.Integer(), reportPage: Type.Boolean(),
});

export const CreateOpen311KeyBody = Type.Object({
  name: SafeName({ minLength: 1, maxLength: 100 }),
  source: Type.Enum([...OPEN311_KEY_SOURCES], { description: 'citizenPhoto: the report page and citizen apps · hotline: a 12345 system' }),
}, { additionalProperties: false });

export const CreatedOpen311Key = Type.Object({ ...Open311KeySchema.properties, key: Type.String({ description: 'shown once' }) });

export const ReporterSchema = Type.Object({
  caseId: Type.Integer(), keyId: Type.Integer(), keyName: Type.String(), source: Type.String(),
  contact: Type.Object({
    first_name: Type.Optional(Type.String()), last_name: Type.Optional(Type.String()), email: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()), device_id: Type.Optional(Type.String()), account_id: Type.Optional(Type.String()),
  }),
  attributes: Type.Object({}, { additionalProperties: true }),
  mediaUrl: Nullable(Type.String()),
  addressString: Nullable(Type.String()),
});

export const ReportPageConfigSchema = Type.Object({
  apiKey: Type.String(),
  jurisdictionId: Type.String(),
  district: Type.Object({
    name: Type.String(),
    center: Type.Tuple([Type.Number(), Type.Number()]),
    bbox: Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()]),
  }),
  photoMaxBytes: Type.Integer(),
});
