/**
 * The provider API's routes as /openapi.json describes them, with the zod schemas its handler
 * validates with (functions/admin/app.ts). Provider token only.
 */

import {
  INCIDENT_SEVERITIES,
  INCIDENT_STATUSES,
  incidentInputSchema,
  incidentUpdateInputSchema,
} from '#domain/notices';
import { pageQuerySchema } from '#domain/pagination';
import { benchmarkQuerySchema } from '#domain/reports/aggregates';
import { createTenantSchema } from '#domain/tenant';
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';

export const providerAuditQuery = z.extend(pageQuerySchema, {
  tenantId: z.optional(z.string().check(z.regex(/^[a-f0-9]{32}$/))),
});

export const consoleUserSchema = z.strictObject({
  email: z.email('email must be an email address').check(z.maxLength(254)),
});

/** The tenant's home region and its endpoints there (shared/domain/region.ts). */
const homeRegionView = {
  region: z.optional(z.string()),
  endpoints: z.optional(z.object({ ingest: z.string(), api: z.string() })),
};
const tenantView = z.object({
  tenantId: z.string(),
  name: z.string(),
  status: z.string(),
  createdAt: z.string(),
  ...homeRegionView,
  offboardedAt: z.optional(z.string()),
  version: z.number().check(z.int()),
});
const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.optional(z.string()) });
const offboardingJobView = z.object({
  jobId: z.string(),
  tenantId: z.string(),
  state: z.enum(['running', 'finalizing', 'succeeded']),
  requestedAt: z.string(),
  statusPath: z.string(),
  coordinator: z.string(),
  regions: z.array(
    z.looseObject({
      region: z.string(),
      state: z.enum(['pending', 'done']),
      archive: z.optional(
        z.looseObject({ archiveId: z.string(), downloadPath: z.string(), sha256: z.string() }),
      ),
      removed: z.optional(z.record(z.string(), z.number())),
      remaining: z.optional(z.record(z.string(), z.number())),
    }),
  ),
  key: z.optional(z.looseObject({ outcome: z.string() })),
  finishedAt: z.optional(z.string()),
});

const errors = { 401: null, 404: null, 422: null } as const;
const provider = { auth: 'provider' } as const;

const incidentUpdateView = z.object({
  seq: z.number(),
  status: z.enum(INCIDENT_STATUSES),
  text: z.string(),
  at: z.string(),
});
const incidentView = z.object({
  incidentId: z.string(),
  title: z.string(),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  tenants: z.union([z.literal('all'), z.array(z.string())]),
  createdAt: z.string(),
  updates: z.array(incidentUpdateView),
  /** How far the latest update's delivery went: it goes on by itself until `done` (…/deliver resumes it). */
  fanout: z.object({
    seq: z.number(),
    cursor: z.optional(z.string()),
    done: z.boolean(),
    tenants: z.number(),
    sent: z.number(),
    failed: z.number(),
  }),
});
const tenantNoticeDeliveryView = z.object({
  tenantId: z.string(),
  incidentId: z.string(),
  receivedAt: z.string(),
  updates: z.array(z.number()),
  deliveries: z.array(
    z.object({
      seq: z.number(),
      channel: z.string(),
      status: z.enum(['queued', 'sent', 'failed']),
      at: z.string(),
      reason: z.optional(z.string()),
    }),
  ),
  acknowledgedAt: z.optional(z.string()),
  acknowledgedSeq: z.optional(z.number()),
});

export const ADMIN_OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'POST',
    path: '/admin/v1/tenants',
    summary: 'Onboard a tenant; its first admin token is shown once',
    ...provider,
    body: createTenantSchema,
    responses: {
      201: z.object({ tenantId: z.string(), name: z.string(), adminToken: z.string(), ...homeRegionView }),
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/admin/v1/tenants',
    summary: 'List tenants',
    ...provider,
    query: pageQuerySchema,
    responses: { 200: page(tenantView), ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/tenants/{tenantId}',
    summary: 'Get a tenant',
    ...provider,
    responses: { 200: tenantView, ...errors },
  },
  {
    method: 'POST',
    path: '/admin/v1/tenants/{tenantId}/offboard',
    summary:
      'Offboard a tenant: suspends it and starts the job (archive, erase in every region, destroy the key); answers 202 and the job',
    ...provider,
    responses: { 202: offboardingJobView, 409: null, ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/offboarding-jobs/{jobId}',
    summary:
      'An offboarding job: per region its archive (SHA-256) and erasure proof, then the key destruction',
    ...provider,
    responses: { 200: offboardingJobView, ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/exports/{archiveId}',
    summary: "Download an offboarded tenant's archive (JSON lines, gzip), or a redirect to it",
    ...provider,
    responses: { 200: { binary: 'application/gzip' }, 302: null, ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/audit-events',
    summary: "The provider's audit trail, newest first",
    ...provider,
    query: providerAuditQuery,
    responses: { 200: page(z.looseObject({ at: z.string(), action: z.string() })), ...errors },
  },
  {
    method: 'POST',
    path: '/admin/v1/console-users',
    summary:
      "A console login for one of the provider's people: a temporary password (shown once), then TOTP enrolment",
    ...provider,
    body: consoleUserSchema,
    responses: {
      201: z.object({ username: z.string(), temporaryPassword: z.string() }),
      409: null,
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/admin/v1/benchmarks',
    summary:
      'Cross-tenant benchmarks (median/p90 of a metric per datasource, alert counts per datasource), k-anonymous: a cell needs >= k tenants (floor 5) and no tenant over maxShare of it; `format=csv` or `Accept: text/csv` answers the published cells as CSV (text/csv)',
    ...provider,
    query: benchmarkQuerySchema,
    responses: {
      200: z.looseObject({
        k: z.number(),
        maxShare: z.number(),
        from: z.number(),
        to: z.number(),
        alertsCapped: z.boolean(),
        published: z.array(
          z.object({
            kind: z.enum(['metric', 'alerts']),
            metric: z.string(),
            datasource: z.string(),
            tenants: z.number(),
            observations: z.number(),
            median: z.number(),
            p90: z.number(),
          }),
        ),
        suppressed: z.object({
          tooFewTenants: z.number(),
          dominated: z.number(),
          /** Publishable cells withheld because the answer is bounded (MAX_BENCHMARK_CSV_BYTES). */
          overLimit: z.optional(z.number()),
        }),
      }),
      ...errors,
    },
  },
  {
    method: 'POST',
    path: '/admin/v1/incidents',
    summary:
      'Post a security-incident notice to the affected tenants (or all): each gets it in its console and through its notice channels; delivers to the first tenants at once, the rest in the background until fanout.done',
    ...provider,
    body: incidentInputSchema,
    responses: { 201: incidentView, ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/incidents',
    summary: 'List security incidents, newest first',
    ...provider,
    query: pageQuerySchema,
    responses: { 200: page(incidentView), ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/incidents/{incidentId}',
    summary: 'A security incident, its updates and the delivery progress of the latest',
    ...provider,
    responses: { 200: incidentView, ...errors },
  },
  {
    method: 'POST',
    path: '/admin/v1/incidents/{incidentId}/updates',
    summary: 'Post a status update to an incident; it is delivered like the first post',
    ...provider,
    body: incidentUpdateInputSchema,
    responses: { 201: incidentView, 409: null, ...errors },
  },
  {
    method: 'POST',
    path: '/admin/v1/incidents/{incidentId}/deliver',
    summary:
      'Resume delivering the latest update (100 tenants a run, the rest handed on in the background) while fanout.done is false; once done, delivers again what failed',
    ...provider,
    responses: { 200: incidentView, 409: null, ...errors },
  },
  {
    method: 'GET',
    path: '/admin/v1/incidents/{incidentId}/tenants/{tenantId}',
    summary:
      "What of an incident reached one tenant: updates, each channel's delivery (type only), acknowledgement",
    ...provider,
    responses: { 200: tenantNoticeDeliveryView, ...errors },
  },
];
