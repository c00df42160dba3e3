/**
 * The tenant-scoped entities the customer API manages, with the zod schemas both the handlers and
 * the OpenAPI document use. Every stored entity carries `version` for optimistic concurrency.
 */
import type { TenantRole } from './credentials';
import { TENANT_ROLES } from './roles';
import * as z from './zod';

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
  /** Set while a failover collector polls it: the collector it returns to. */
  readonly primaryCollectorId?: string;
  /** Polled by whichever up collector of this auto-balanced group the platform assigns (collectorId). */
  readonly collectorGroup?: string;
  readonly credentialIds: string[];
  /** How its collector polls it; absent: every 60 s, SNMP on 161 when it has an SNMP credential. */
  readonly poll?: PollSettings;
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

const id = z.string().check(z.regex(/^[a-f0-9]{32}$/, 'must be an id this API returned'));
const name = z
  .string({ error: 'name must be a string' })
  .check(
    z.trim(),
    z.minLength(1, 'name must not be empty'),
    z.maxLength(128, 'name must be at most 128 characters'),
  );
const label = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));
const secret = z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024));

/** LogicMonitor's choices for how many of a website check's locations must fail. */
export const LOCATION_POLICIES = ['all', 'half', 'more-than-one', 'any'] as const;

const oidPattern = /^[0-2](\.\d{1,10}){1,127}$/;
/** Per-resource poll settings, sent to the resource's collector with its configuration. */
export const pollSettingsSchema = z.strictObject({
  intervalSeconds: z.optional(z.int().check(z.gte(1), z.lte(86_400))),
  snmp: z.optional(
    z.strictObject({
      port: z.optional(z.int().check(z.gte(1), z.lte(65_535))),
      oids: z.optional(
        z
          .record(
            z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'datapoint names are [A-Za-z0-9_]')),
            z.string().check(z.regex(oidPattern, 'an OID in dotted numbers, e.g. 1.3.6.1.2.1.1.3.0')),
          )
          .check(z.refine((m) => Object.keys(m).length <= 50, 'at most 50 OIDs')),
      ),
    }),
  ),
  tcpPorts: z.optional(z.array(z.int().check(z.gte(1), z.lte(65_535))).check(z.maxLength(20))),
  http: z.optional(
    z.strictObject({
      expectContent: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
      expectStatus: z.optional(z.array(z.int().check(z.gte(100), z.lte(599))).check(z.maxLength(20))),
      /** Websites: whether the platform checks it from its locations too (default true). */
      platformCheck: z.optional(z.boolean()),
      /** Consecutive failed checks before a location counts as failing (default 3). */
      failedChecks: z.optional(z.int().check(z.gte(1), z.lte(10))),
      /** How many failing locations make the website fail (default half; website-checks.ts). */
      locations: z.optional(z.enum(LOCATION_POLICIES)),
    }),
  ),
});
export type PollSettings = z.infer<typeof pollSettingsSchema>;

/** Resource fields as a client sends them; create fills the defaults, PATCH sends any subset. */
export const resourceFieldsSchema = z.strictObject({
  type: z.enum(RESOURCE_TYPES),
  name,
  address: z.string().check(z.trim(), z.minLength(1, 'address must not be empty'), z.maxLength(2048)),
  properties: z.optional(
    z.record(
      z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,128}$/, 'property names are [A-Za-z0-9_.-]')),
      z.string().check(z.maxLength(4096)),
    ),
  ),
  groups: z.optional(z.array(label).check(z.maxLength(50))),
  dependsOn: z.optional(z.array(id).check(z.maxLength(50))),
  collectorId: z.optional(id),
  /** An auto-balanced collector group: the platform picks the collector (collectorId) among its up members. */
  collectorGroup: z.optional(label),
  credentialIds: z.optional(z.array(id).check(z.maxLength(20))),
  poll: z.optional(pollSettingsSchema),
});

export const resourceInputSchema = resourceFieldsSchema.check(
  z.superRefine((r, ctx) => {
    if (r.type === 'website' && !/^https?:\/\/[^\s]+$/.test(r.address))
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'a website address is an http(s) URL' });
    if (r.type === 'device' && !/^[A-Za-z0-9.:_-]+$/.test(r.address))
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'a device address is a hostname or IP' });
  }),
);
export const resourcePatchSchema = z.partial(resourceFieldsSchema);
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
    secrets: z.strictObject({
      token: secret,
      header: z._default(z.string().check(z.maxLength(128)), 'Authorization'),
    }),
  }),
]);
export type DeviceCredentialInput = z.infer<typeof deviceCredentialInputSchema>;

export const userInputSchema = z.strictObject({
  name,
  email: z.email('email must be an email address').check(z.maxLength(254)),
  phone: z.optional(
    z.string().check(z.regex(/^\+[1-9][0-9]{6,14}$/, 'phone must be E.164, e.g. +14155550100')),
  ),
  role: z.enum(TENANT_ROLES),
});
export type UserInput = z.infer<typeof userInputSchema>;

export const tokenInputSchema = z.strictObject({
  name,
  role: z.enum(TENANT_ROLES),
});

export const collectorInputSchema = z.strictObject({
  name,
  /** Seconds without a heartbeat before the collector counts as down (default 180). */
  downAfterSeconds: z.optional(z.int().check(z.gte(60), z.lte(86_400))),
  /** The collector that takes over this one's resources while it is down. */
  failoverCollectorId: z.optional(id),
  failback: z.optional(z.enum(['auto', 'manual'])),
  /** The auto-balanced collector group it joins: it shares the group's resources with the other members. */
  collectorGroup: z.optional(label),
  /** Devices its discovery finds become resources it polls at once (default false: proposed). */
  discoveryAutoAdd: z.optional(z.boolean()),
  /** Opt-in discovery: the ranges it scans (each at most a /22), how, and how often. */
  discovery: z.optional(
    z.strictObject({
      ranges: z.array(z.string().check(z.maxLength(18))).check(z.minLength(1), z.maxLength(8)),
      ports: z.optional(z.array(z.int().check(z.gte(1), z.lte(65_535))).check(z.maxLength(20))),
      snmpPort: z.optional(z.int().check(z.gte(1), z.lte(65_535))),
      credentialIds: z.optional(z.array(id).check(z.maxLength(10))),
      intervalMinutes: z.optional(z.int().check(z.gte(5), z.lte(10_080))),
    }),
  ),
});
export type DiscoverySettings = NonNullable<z.infer<typeof collectorInputSchema>['discovery']>;
export const collectorHeartbeatSchema = z.strictObject({
  version: z.string().check(z.minLength(1), z.maxLength(32)),
  queueDepth: z.int().check(z.gte(0)),
  dropped: z.int().check(z.gte(0)),
  state: z.enum(['connected', 'buffering', 'draining']),
});

export const userPatchSchema = z.partial(userInputSchema);
export const collectorPatchSchema = collectorInputSchema;
