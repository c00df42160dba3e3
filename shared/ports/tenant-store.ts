import type { CredentialRecord } from '#domain/credentials';
import type { Dashboard } from '#domain/dashboards';
import type { DeviceCredential, Resource, User } from '#domain/entities';
import type { Page, PageRequest } from '#domain/pagination';
import type { ReportSchedule } from '#domain/reports/schedule';
import type { Collector, Tenant } from '#domain/tenant';

/** Tenant-scoped entities kept in the tenant's partition. */
export interface EntityTypes {
  collector: Collector;
  resource: Resource;
  'device-credential': DeviceCredential;
  user: User;
  dashboard: Dashboard;
  'report-schedule': ReportSchedule;
}
export type EntityKind = keyof EntityTypes;

export const ENTITY_ID_FIELD = {
  collector: 'collectorId',
  resource: 'resourceId',
  'device-credential': 'deviceCredentialId',
  user: 'userId',
  dashboard: 'dashboardId',
  'report-schedule': 'scheduleId',
} as const satisfies Record<EntityKind, string>;

/** Table key prefix of each entity kind inside `TENANT#<id>`. */
export const ENTITY_KEY_PREFIX = {
  collector: 'COLLECTOR#',
  resource: 'RESOURCE#',
  'device-credential': 'DEVCRED#',
  user: 'USER#',
  dashboard: 'DASHBOARD#',
  'report-schedule': 'REPORTSCHED#',
} as const satisfies Record<EntityKind, string>;

export interface ListFilter {
  /** Resources in this group only. */
  readonly group?: string | undefined;
}

/**
 * Tenant metadata. Implementations: DynamoDB single table (AWS) and SQLite (local); both pass
 * test/adapters/tenant-store.contract.ts.
 *
 * Concurrency: every update names the version it read (`expectedVersion`) and succeeds only if the
 * stored version still is that one, writing `expectedVersion + 1`; otherwise ConflictError (409).
 * An update of something absent is NotFoundError. Nothing is ever overwritten blindly.
 */
export interface TenantStore {
  /** Creates a tenant with its first admin credential, atomically. */
  createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  listTenants(page: PageRequest): Promise<Page<Tenant>>;
  updateTenant(tenant: Tenant, expectedVersion: number): Promise<Tenant>;

  /** Creates a collector with its ingest key, atomically. */
  createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void>;
  listCollectors(tenantId: string): Promise<Collector[]>;

  getCredential(credentialId: string): Promise<CredentialRecord | undefined>;
  createCredential(record: CredentialRecord): Promise<void>;
  /**
   * With `whileActive`, the update happens only if that credential of the same tenant is active (not
   * revoked) at the same moment, atomically (revoking an admin keeps another one: ConflictError).
   */
  updateCredential(
    record: CredentialRecord,
    expectedVersion: number,
    options?: { readonly whileActive?: string },
  ): Promise<CredentialRecord>;
  /** Tokens and ingest keys of a tenant (hashes only). */
  listCredentials(tenantId: string, page: PageRequest): Promise<Page<CredentialRecord>>;

  /** Stores a new entity at version 1; ConflictError if its id exists. */
  createEntity<K extends EntityKind>(kind: K, entity: EntityTypes[K]): Promise<EntityTypes[K]>;
  getEntity<K extends EntityKind>(kind: K, tenantId: string, id: string): Promise<EntityTypes[K] | undefined>;
  listEntities<K extends EntityKind>(
    kind: K,
    tenantId: string,
    page: PageRequest,
    filter?: ListFilter,
  ): Promise<Page<EntityTypes[K]>>;
  updateEntity<K extends EntityKind>(
    kind: K,
    entity: EntityTypes[K],
    expectedVersion: number,
  ): Promise<EntityTypes[K]>;
  /** Deletes and returns what was deleted; with `expectedVersion`, only that version. */
  deleteEntity<K extends EntityKind>(
    kind: K,
    tenantId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<EntityTypes[K]>;

  /** resourceId → the resources it depends on, for every resource of the tenant (alert correlation). */
  resourceDependencies(tenantId: string): Promise<Record<string, string[]>>;
}
