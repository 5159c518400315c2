/** Who may do what. wall: read-only display · dispatcher 派遣员/值班长 · leader 领导 · admin · field: a field crew's phone (/field), bound to its unit */
export const ROLES = ['wall', 'dispatcher', 'leader', 'admin', 'field'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}
