/** Who may do what. wall: read-only display · dispatcher 派遣员/值班长 · leader 领导 · admin · crew: a field unit's phone, bound to its unit */
export const ROLES = ['wall', 'dispatcher', 'leader', 'admin', 'crew'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
