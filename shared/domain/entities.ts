/**
 * The tenant-scoped entities the customer API manages, with the zod schemas both the handlers and
 * the OpenAPI document use. Every stored entity carries `version` for optimistic concurrency.
 */
import { z } from 'zod';
import type { TenantRole } from './credentials';
import { TENANT_ROLES } from './roles';

export interface Versioned {
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt?: string;
}

export const RESOURCE_TYPES = ['device', 'website'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export interface Resource extends Versioned {
  readonly tenantId: string;
  readonly resourceId: string;
  readonly type: ResourceType;
  readonly name: string;
  /** Hostname or IP for a device, URL for a website. */
  readonly address: string;
  readonly properties: Record<string, string>;
  /** Ciphertext of the secret-named properties (never returned in clear to the API). */
  readonly secureProperties?: string;
  readonly groups: string[];
  /** Resources this one depends on (alert correlation: a down parent explains a down child). */
  readonly dependsOn: string[];
  readonly collectorId?: string;
  readonly credentialIds: string[];
}

export const DEVICE_CREDENTIAL_TYPES = ['snmp-v2c', 'snmp-v3', 'http-basic', 'api-token'] as const;
export type DeviceCredentialType = (typeof DEVICE_CREDENTIAL_TYPES)[number];

export interface DeviceCredential extends Versioned {
  readonly tenantId: string;
  readonly deviceCredentialId: string;
  readonly name: string;
  readonly type: DeviceCredentialType;
  /** Ciphertext of the secrets object; the API never returns it. */
  readonly secrets: string;
}

export interface User extends Versioned {
  readonly tenantId: string;
  readonly userId: string;
  /** name/email/phone are personal data: ciphertext at rest. */
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  readonly role: TenantRole;
}

const id = z.string().regex(/^[a-f0-9]{32}$/, 'must be an id this API returned');
const name = z
  .string({ error: 'name must be a string' })
  .trim()
  .min(1, 'name must not be empty')
  .max(128, 'name must be at most 128 characters');
const label = z.string().trim().min(1).max(64);
const secret = z.string().min(1, 'must not be empty').max(1024);

/** Resource fields as a client sends them; create fills the defaults, PATCH sends any subset. */
export const resourceFieldsSchema = z.strictObject({
  type: z.enum(RESOURCE_TYPES),
  name,
  address: z.string().trim().min(1, 'address must not be empty').max(2048),
  properties: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'property names are [A-Za-z0-9_.-]'),
      z.string().max(4096),
    )
    .optional(),
  groups: z.array(label).max(50).optional(),
  dependsOn: z.array(id).max(50).optional(),
  collectorId: id.optional(),
  credentialIds: z.array(id).max(20).optional(),
});

export const resourceInputSchema = resourceFieldsSchema.superRefine((r, ctx) => {
  if (r.type === 'website' && !/^https?:\/\/[^\s]+$/.test(r.address))
    ctx.addIssue({ code: 'custom', path: ['address'], message: 'a website address is an http(s) URL' });
  if (r.type === 'device' && !/^[A-Za-z0-9.:_-]+$/.test(r.address))
    ctx.addIssue({ code: 'custom', path: ['address'], message: 'a device address is a hostname or IP' });
});
export const resourcePatchSchema = resourceFieldsSchema.partial();
export type ResourceInput = z.infer<typeof resourceInputSchema>;

export const deviceCredentialInputSchema = z.discriminatedUnion('type', [
  z.strictObject({ name, type: z.literal('snmp-v2c'), secrets: z.strictObject({ community: secret }) }),
  z.strictObject({
    name,
    type: z.literal('snmp-v3'),
    secrets: z.strictObject({
      securityName: secret,
      authProtocol: z.enum(['SHA', 'SHA-256', 'SHA-512', 'MD5']),
      authKey: secret,
      privProtocol: z.enum(['AES', 'AES-256', 'DES']),
      privKey: secret,
    }),
  }),
  z.strictObject({
    name,
    type: z.literal('http-basic'),
    secrets: z.strictObject({ username: secret, password: secret }),
  }),
  z.strictObject({
    name,
    type: z.literal('api-token'),
    secrets: z.strictObject({ token: secret, header: z.string().max(128).default('Authorization') }),
  }),
]);
export type DeviceCredentialInput = z.infer<typeof deviceCredentialInputSchema>;

export const userInputSchema = z.strictObject({
  name,
  email: z.email('email must be an email address').max(254),
  phone: z
    .string()
    .regex(/^\+[1-9][0-9]{6,14}$/, 'phone must be E.164, e.g. +14155550100')
    .optional(),
  role: z.enum(TENANT_ROLES),
});
export type UserInput = z.infer<typeof userInputSchema>;

export const tokenInputSchema = z.strictObject({
  name,
  role: z.enum(TENANT_ROLES),
});

export const collectorInputSchema = z.strictObject({ name });

export const userPatchSchema = userInputSchema.partial();
export const collectorPatchSchema = collectorInputSchema;
