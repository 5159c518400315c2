/**
 * HTTP contract of the party-building panel (GET /api/party): grid party branches and party
 * members on duty by street — on duty when the member's live staff entity is — and the pioneer
 * posts (先锋驿站) for the map. Read by the wall (display token), the desk and leaders.
 */
import { Type, type Static } from 'typebox';

export const PartyQuery = Type.Object({
  street: Type.Optional(Type.String({ pattern: '^\\d{9}$', description: '9-digit street code: only that street' })),
}, { additionalProperties: false });
export type PartyQuery = Static<typeof PartyQuery>;

export const PioneerPostSchema = Type.Object({
  id: Type.String(), name: Type.String(), streetCode: Type.String(), lon: Type.Number(), lat: Type.Number(),
  address: Type.String(), services: Type.Array(Type.String()), hours: Type.String(),
});

export const PartyResponse = Type.Object({
  /** false when the district pack has no party.json: every list is empty. */
  configured: Type.Boolean(),
  generatedTs: Type.Number(),
  totals: Type.Object({ branches: Type.Integer(), members: Type.Integer(), onDuty: Type.Integer(), posts: Type.Integer() }),
  streets: Type.Array(Type.Object({
    code: Type.String(), name: Type.String(),
    branches: Type.Integer(), members: Type.Integer(),
    onDuty: Type.Integer({ description: 'members whose staff entity is on duty now (on shift, or SOS)' }),
    posts: Type.Integer(),
  })),
  branches: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(), streetCode: Type.String(), communityCode: Type.String(), secretary: Type.String(),
    grids: Type.Integer(), members: Type.Integer(), onDuty: Type.Integer(),
  })),
  /** Members on duty now, by street then name. */
  onDuty: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), streetCode: Type.String(), branchId: Type.String(), staffId: Type.String() })),
  posts: Type.Array(PioneerPostSchema),
});
export type PartyResponse = Static<typeof PartyResponse>;
