/** HTTP schemas of hardening: changing one's password, the audit log read by admins. */
import { Type, type Static } from 'typebox';

export const ChangePasswordBody = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
  newPassword: Type.String({ minLength: 1, maxLength: 256 }),
}, { additionalProperties: false });
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** An exact action, or a prefix ending in '.' or '*'. */
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** A prefix of the target (e.g. '/api/cases/12', 'case:12'). */
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  /** Epoch ms, inclusive. */
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Epoch ms, exclusive. */
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The previous page's nextBefore. */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
}, { additionalProperties: false });
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditEntryView = Type.Object({
  id: Type.Integer(),
  ts: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Unknown(),
});

export const AuditPage = Type.Object({
  entries: Type.Array(AuditEntryView),
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
export type AuditPage = Static<typeof AuditPage>;
