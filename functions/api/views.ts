/**
 * What the API returns: the stored records with ciphertext, hashes and tenant ids removed. The zod
 * schemas here document the responses in /openapi.json.
 */
import { REDACTED } from '#domain/classification';
import type { CredentialRecord } from '#domain/credentials';
import {
  DEVICE_CREDENTIAL_TYPES,
  type DeviceCredential,
  pollSettingsSchema,
  RESOURCE_TYPES,
  type Resource,
  type User,
} from '#domain/entities';
import { TENANT_ROLES } from '#domain/roles';
import { type Collector, collectorStatus, DEFAULT_COLLECTOR_DOWN_AFTER_SECONDS } from '#domain/tenant';
import * as z from '#domain/zod';

const meta = {
  version: z.number().check(z.int(), z.describe('Send it back in If-Match to update only this version')),
  createdAt: z.string(),
  updatedAt: z.optional(z.string()),
};

export const collectorView = z.object({
  collectorId: z.string(),
  name: z.string(),
  status: z.enum(['up', 'down', 'never-seen']).check(z.describe('down: no heartbeat for downAfterSeconds')),
  downAfterSeconds: z.int(),
  failoverCollectorId: z.optional(z.string()),
  failback: z.enum(['auto', 'manual']),
  collectorGroup: z.optional(z.string()),
  discoveryAutoAdd: z.boolean(),
  discovery: z.optional(
    z.object({
      ranges: z.array(z.string()),
      ports: z.optional(z.array(z.int())),
      snmpPort: z.optional(z.int()),
      credentialIds: z.optional(z.array(z.string())),
      intervalMinutes: z.optional(z.int()),
    }),
  ),
  lastHeartbeat: z.optional(
    z.object({
      at: z.string(),
      version: z.string(),
      queueDepth: z.int(),
      dropped: z.int(),
      state: z.string(),
    }),
  ),
  ...meta,
});
export const collectorCreatedView = z.extend(collectorView, {
  ingestKey: z.string().check(z.describe('Shown once; only its hash is stored')),
});
export const resourceView = z.object({
  resourceId: z.string(),
  type: z.enum(RESOURCE_TYPES),
  name: z.string(),
  address: z.string(),
  properties: z
    .record(z.string(), z.string())
    .check(z.describe(`secret-named properties read "${REDACTED}"`)),
  groups: z.array(z.string()),
  dependsOn: z.array(z.string()),
  collectorId: z.optional(z.string()),
  primaryCollectorId: z.optional(z.string()),
  collectorGroup: z.optional(z.string()),
  credentialIds: z.array(z.string()),
  poll: z.optional(pollSettingsSchema),
  ...meta,
});
export const deviceCredentialView = z.object({
  deviceCredentialId: z.string(),
  name: z.string(),
  type: z.enum(DEVICE_CREDENTIAL_TYPES),
  secretsSet: z.literal(true).check(z.describe('secrets are write-only: never returned')),
  ...meta,
});
export const userView = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.optional(z.string()),
  role: z.enum(TENANT_ROLES),
  ...meta,
});
export const tokenView = z.object({
  tokenId: z.string(),
  name: z.optional(z.string()),
  role: z.optional(z.enum(TENANT_ROLES)),
  createdAt: z.string(),
  rotatedAt: z.optional(z.string()),
  revokedAt: z.optional(z.string()),
  version: z.number().check(z.int()),
});
export const tokenIssuedView = z.extend(tokenView, {
  token: z.string().check(z.describe('Shown once; only its hash is stored')),
});
export const consoleInvitationView = z.object({
  username: z.string(),
  temporaryPassword: z
    .string()
    .check(z.describe('Shown once; the first sign-in replaces it and enrols a TOTP authenticator')),
});
export const auditEventView = z.object({
  eventId: z.string(),
  at: z.string(),
  action: z.string(),
  actor: z.string(),
  outcome: z.enum(['success', 'failure']),
  sourceIp: z.optional(z.string()),
  target: z.optional(z.string()),
  reason: z.optional(z.string()),
  before: z.optional(z.unknown()),
  after: z.optional(z.unknown()),
});
export const pageOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.optional(z.string()).check(z.describe('opaque; pass back as cursor')),
  });
export const errorView = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.optional(z.string()) }),
});
export const seriesView = z.object({
  series: z.array(
    z.object({
      metric: z.string(),
      dimensions: z.record(z.string(), z.string()),
      points: z.array(
        z.tuple([
          z.number(),
          z
            .union([z.number(), z.enum(['NaN', '+Inf', '-Inf'])])
            .check(
              z.describe(
                'Finite values are JSON numbers; NaN, +Inf and -Inf (which JSON cannot spell) are the strings "NaN", "+Inf", "-Inf", as in the Prometheus HTTP API. Stale markers are not values and are never returned.',
              ),
            ),
        ]),
      ),
    }),
  ),
});
export const collectorConfigView = z.object({
  configVersion: z.string().check(z.describe('Changes whenever the configuration does; also the ETag')),
  collector: collectorView,
  /**
   * Where the collector pushes and reads its config: the tenant's home region. A failover moves it
   * and bumps `configVersion`; a collector seeing a new version (or a 421) re-points to `endpoints`.
   */
  region: z.optional(z.string()),
  endpoints: z.optional(z.object({ ingest: z.string(), api: z.string() })),
  /** The credentials its discovery tries (collector.discovery.credentialIds), in clear. */
  discoveryCredentials: z.optional(
    z.array(
      z.object({
        deviceCredentialId: z.string(),
        type: z.enum(DEVICE_CREDENTIAL_TYPES),
        secrets: z.record(z.string(), z.string()),
      }),
    ),
  ),
  resources: z.array(
    z.extend(resourceView, {
      credentials: z.array(
        z.object({
          deviceCredentialId: z.string(),
          type: z.enum(DEVICE_CREDENTIAL_TYPES),
          secrets: z.record(z.string(), z.string()),
        }),
      ),
    }),
  ),
});

const stamp = (v: { version?: number; createdAt: string; updatedAt?: string }) => ({
  version: v.version ?? 1,
  createdAt: v.createdAt,
  ...(v.updatedAt ? { updatedAt: v.updatedAt } : {}),
});

export const toCollectorView = (c: Collector, nowMs: number) => ({
  collectorId: c.collectorId,
  name: c.name,
  status: collectorStatus(c, nowMs),
  downAfterSeconds: c.downAfterSeconds ?? DEFAULT_COLLECTOR_DOWN_AFTER_SECONDS,
  ...(c.failoverCollectorId ? { failoverCollectorId: c.failoverCollectorId } : {}),
  failback: c.failback ?? 'auto',
  ...(c.collectorGroup ? { collectorGroup: c.collectorGroup } : {}),
  discoveryAutoAdd: c.discoveryAutoAdd === true,
  ...(c.discovery ? { discovery: c.discovery } : {}),
  ...(c.heartbeat ? { lastHeartbeat: c.heartbeat } : {}),
  ...stamp(c),
});

export function toResourceView(r: Resource, secureNames: string[] = []) {
  const properties = { ...r.properties };
  for (const name of secureNames) properties[name] = REDACTED;
  return {
    resourceId: r.resourceId,
    type: r.type,
    name: r.name,
    address: r.address,
    properties,
    groups: r.groups,
    dependsOn: r.dependsOn,
    ...(r.collectorId ? { collectorId: r.collectorId } : {}),
    ...(r.primaryCollectorId ? { primaryCollectorId: r.primaryCollectorId } : {}),
    ...(r.collectorGroup ? { collectorGroup: r.collectorGroup } : {}),
    credentialIds: r.credentialIds,
    ...(r.poll ? { poll: r.poll } : {}),
    ...stamp(r),
  };
}

export const toDeviceCredentialView = (d: DeviceCredential) => ({
  deviceCredentialId: d.deviceCredentialId,
  name: d.name,
  type: d.type,
  secretsSet: true as const,
  ...stamp(d),
});

/** `u` already decrypted. */
export const toUserView = (u: User) => ({
  userId: u.userId,
  name: u.name,
  email: u.email,
  ...(u.phone ? { phone: u.phone } : {}),
  role: u.role,
  ...stamp(u),
});

export const toTokenView = (c: CredentialRecord) => ({
  tokenId: c.credentialId,
  ...(c.name ? { name: c.name } : {}),
  ...(c.role ? { role: c.role } : {}),
  createdAt: c.createdAt,
  ...(c.rotatedAt ? { rotatedAt: c.rotatedAt } : {}),
  ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
  version: c.version ?? 1,
});
