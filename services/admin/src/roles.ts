// Roles of admin API tokens and what each may do. One table, read by the route guard, the
// OpenAPI document (x-permission) and the README, so the three cannot disagree.

export const ROLES = ['read-only', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'users.read',
  'sessions.read',
  'cluster.read',
  'audit.read',
  'users.create',
  'users.lock',
  'users.password',
  'sessions.kick',
  'users.delete',
  'tokens.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ['users.read', 'sessions.read', 'cluster.read', 'audit.read'];
// Operators handle day-to-day help-desk work; deleting accounts and handing out tokens stay with admins.
const OPERATE: Permission[] = [...READ, 'users.create', 'users.lock', 'users.password', 'sessions.kick'];

export const MATRIX: Record<Role, ReadonlySet<Permission>> = {
  'read-only': new Set(READ),
  operator: new Set(OPERATE),
  admin: new Set(PERMISSIONS),
};

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

export function allows(role: Role, p: Permission): boolean {
  return MATRIX[role].has(p);
}
