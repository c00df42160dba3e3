/**
 * Roles and permissions. Roles are fixed in code (not stored): a token or user carries one role, and
 * every route names the one permission it needs, so least privilege is decided here, once.
 */
import type { TenantRole } from './credentials';

export const TENANT_ROLES = ['admin', 'operator', 'read-only'] as const satisfies readonly TenantRole[];

export const PERMISSIONS = [
  'metrics:read',
  'logs:read',
  'resources:read',
  'resources:write',
  'collectors:read',
  'collectors:write',
  'credentials:read',
  'credentials:write',
  'alerts:read',
  'alerts:write',
  'users:read',
  'users:write',
  'tokens:manage',
  'audit:read',
  'dashboards:read',
  'dashboards:write',
  'notices:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: readonly Permission[] = [
  'metrics:read',
  'logs:read',
  'resources:read',
  'collectors:read',
  'credentials:read',
  'alerts:read',
  'dashboards:read',
];
const OPERATE: readonly Permission[] = [
  ...READ,
  'resources:write',
  'collectors:write',
  'credentials:write',
  'alerts:write',
  'dashboards:write',
];

/**
 * read-only sees the monitored estate (never a secret: credentials are metadata only);
 * operator changes it; only admin manages people, tokens, reads the audit log and receives (and
 * acknowledges) the provider's security notices.
 */
export const ROLE_PERMISSIONS: Readonly<Record<TenantRole, ReadonlySet<Permission>>> = {
  'read-only': new Set(READ),
  operator: new Set(OPERATE),
  admin: new Set<Permission>([
    ...OPERATE,
    'users:read',
    'users:write',
    'tokens:manage',
    'audit:read',
    'notices:manage',
  ]),
};

const RANK: Readonly<Record<TenantRole, number>> = { 'read-only': 0, operator: 1, admin: 2 };

export function roleGrants(role: TenantRole | undefined, permission: Permission): boolean {
  return role !== undefined && ROLE_PERMISSIONS[role].has(permission);
}

/** True when `role` is at least `minimum` (admin ⊃ operator ⊃ read-only). */
export function roleAtLeast(role: TenantRole | undefined, minimum: TenantRole): boolean {
  return role !== undefined && RANK[role] >= RANK[minimum];
}
