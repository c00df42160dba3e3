/**
 * The tenant store's single-table item model, shared by the DynamoDB adapter and its SQLite twin so
 * both keep the very same items under the same keys and answer the same access patterns (the alert
 * store's pattern: alert-store-items.ts). The model owns keys, versions, cursors and the errors a
 * caller sees; a TenantItemTable only runs the few conditional operations it needs on its engine.
 *
 * The metadata table is encrypted at rest with a customer-managed KMS key (CDK); customer-confidential
 * fields are in addition envelope-encrypted per tenant before they get here
 * (shared/domain/classification.ts), so the store only sees ciphertext.
 *
 * | entity            | pk                  | sk                   | gsi1pk           | gsi1sk           |
 * |-------------------|---------------------|----------------------|------------------|------------------|
 * | tenant            | TENANT#<tenantId>   | META                 | TENANTS          | TENANT#<tenantId>|
 * | collector         | TENANT#<tenantId>   | COLLECTOR#<id>       |                  |                  |
 * | resource          | TENANT#<tenantId>   | RESOURCE#<id>        |                  |                  |
 * | device credential | TENANT#<tenantId>   | DEVCRED#<id>         |                  |                  |
 * | user              | TENANT#<tenantId>   | USER#<id>            |                  |                  |
 * | report schedule   | TENANT#<tenantId>   | REPORTSCHED#<id>     |                  |                  |
 * | API token / ingest key (hash only) | CRED#<credentialId> | CRED | TENANT#<tenantId> | CRED#<credentialId> |
 * | audit event (dynamodb-audit-log.ts) | AUDIT#<tenantId> | <at ISO>#<eventId> |          |                  |
 *
 * Roles are not items: they are fixed in code (shared/domain/roles.ts) and carried by tokens and users.
 * Alert rules, escalation chains and downtime live in the alerting store (alert-store-items.ts).
 *
 * Access patterns:
 * - authenticate a bearer token: get CRED#<id> (the id is inside the token), strongly consistent;
 * - get/list one kind of a tenant's entities: get / query pk + begins_with(sk, KIND#), paginated;
 *   resources of a group: the same query, filtered on `groups` after the page is read;
 * - list a tenant's tokens and keys: query gsi1 (gsi1pk = TENANT#<id>, gsi1sk > CRED#…);
 * - list tenants (provider): query gsi1 (gsi1pk = TENANTS);
 * - export / delete everything of a tenant (offboarding): pk = TENANT#<id> and gsi1pk = TENANT#<id>;
 * - audit query: AUDIT#<tenantId> with sk between two instants, newest first.
 * gsi1 is eventually consistent on DynamoDB: a token listed right after creation may be missing for a
 * moment; authentication never uses it.
 *
 * Concurrency: every item carries `version` (items written before versioning count as 1); updates are
 * writes conditioned on the version read (409 on a lost race, 404 when the item is gone); creates are
 * conditioned on the key being new.
 */
import type { CredentialRecord } from '#domain/credentials';
import { ConflictError, NotFoundError } from '#domain/errors';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import type { Collector, Tenant } from '#domain/tenant';
import type { TenantDataHolder } from '#ports/tenant-data';
import {
  ENTITY_ID_FIELD,
  ENTITY_KEY_PREFIX,
  type EntityKind,
  type EntityTypes,
  type ListFilter,
  type TenantStore,
} from '#ports/tenant-store';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export interface TableKeys extends ItemKey {
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
}

/** A stored item: its table keys beside the record's own attributes (`version` among them). */
export type TenantItem = TableKeys & Record<string, unknown>;

/** Why a conditional write or delete was refused: no item, or an item at another version. */
export type Refusal = 'missing' | 'conflict';

/**
 * One page of a partition's items whose sk starts with `prefix`, ascending, after `afterSk`: `limit`
 * items read, then those whose `groups` list lacks `inGroup` dropped (a DynamoDB Query with Limit and
 * FilterExpression).
 */
export interface PartitionQuery {
  readonly prefix: string;
  readonly limit: number;
  readonly afterSk?: string;
  readonly inGroup?: string;
}

/** One page of a gsi1 partition's items with gsi1sk > `after` (at least `prefix`), ascending. */
export interface IndexQuery {
  readonly prefix: string;
  readonly after?: string;
  readonly limit: number;
}

/** The credential that must stay active while another one changes. */
export interface ActiveCredential {
  readonly key: ItemKey;
  readonly tenantId: string;
}

/** The few table operations the model needs; DynamoDB and SQLite each implement them. */
export interface TenantItemTable {
  /** The item, read strongly consistent. */
  get(key: ItemKey): Promise<TenantItem | undefined>;
  /** Puts every item, atomically, each only if its key is new: false (nothing written) if one exists. */
  insertAll(items: readonly TenantItem[]): Promise<boolean>;
  /** Replaces the item only if the stored one is at `expectedVersion`; else why not. */
  replaceIfVersion(item: TenantItem, expectedVersion: number): Promise<Refusal | undefined>;
  /**
   * The same, atomically with a check that the credential at `active.key` exists, is not revoked and
   * belongs to `active.tenantId`: false (nothing written) when either condition fails.
   */
  replaceIfVersionWhileActive(
    item: TenantItem,
    expectedVersion: number,
    active: ActiveCredential,
  ): Promise<boolean>;
  /** Deletes the item (only at `expectedVersion` when given): the deleted item, or why not. */
  deleteIfVersion(key: ItemKey, expectedVersion: number | undefined): Promise<TenantItem | Refusal>;
  /** See PartitionQuery; `lastSk` when more may follow. */
  query(pk: string, options: PartitionQuery): Promise<{ items: TenantItem[]; lastSk?: string }>;
  /** See IndexQuery (eventually consistent on DynamoDB); `lastGsi1sk` when more may follow. */
  queryIndex(gsi1pk: string, options: IndexQuery): Promise<{ items: TenantItem[]; lastGsi1sk?: string }>;
  /** These attributes of every item of `pk` whose sk starts with `prefix`. */
  project(pk: string, prefix: string, attributes: readonly string[]): AsyncIterable<Record<string, unknown>>;
  /** Every item whose pk or gsi1pk is `key` (a tenant's whole footprint). */
  itemsUnder(key: string): AsyncIterable<TenantItem>;
  /** Deletes these keys (in batches where the engine needs them); how many. */
  deleteAll(keys: readonly ItemKey[]): Promise<number>;
}

export const TABLE_KEYS = {
  tenant: (tenantId: string): TableKeys => ({
    pk: `TENANT#${tenantId}`,
    sk: 'META',
    gsi1pk: 'TENANTS',
    gsi1sk: `TENANT#${tenantId}`,
  }),
  credential: (record: Pick<CredentialRecord, 'credentialId'> & Partial<CredentialRecord>): TableKeys => ({
    pk: `CRED#${record.credentialId}`,
    sk: 'CRED',
    ...(record.tenantId
      ? { gsi1pk: `TENANT#${record.tenantId}`, gsi1sk: `CRED#${record.credentialId}` }
      : {}),
  }),
};

export function entityKeys(kind: EntityKind, entity: object): TableKeys {
  const e = entity as Record<string, string>;
  return { pk: `TENANT#${e.tenantId}`, sk: `${ENTITY_KEY_PREFIX[kind]}${e[ENTITY_ID_FIELD[kind]]}` };
}

/** The record as first stored: version 1. */
export function withVersion<T extends object>(item: T): T {
  return { ...item, version: 1 };
}

/** The record without its table keys. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return rest as T;
}

const stored = (keys: TableKeys, record: object): TenantItem => ({ ...keys, ...record });

export class ItemTenantStore implements TenantStore, TenantDataHolder {
  readonly dataName = 'metadata';

  constructor(private readonly table: TenantItemTable) {}

  async createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void> {
    await this.insertAll([
      stored(TABLE_KEYS.tenant(tenant.tenantId), withVersion(tenant)),
      stored(TABLE_KEYS.credential(adminCredential), withVersion(adminCredential)),
    ]);
  }

  getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.get<Tenant>(TABLE_KEYS.tenant(tenantId));
  }

  listTenants(page: PageRequest): Promise<Page<Tenant>> {
    return this.pageByIndex<Tenant>('TENANTS', 'TENANT#', page);
  }

  updateTenant(tenant: Tenant, expectedVersion: number): Promise<Tenant> {
    return this.update(TABLE_KEYS.tenant(tenant.tenantId), tenant, expectedVersion);
  }

  async createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void> {
    await this.insertAll([
      stored(entityKeys('collector', collector), withVersion(collector)),
      stored(TABLE_KEYS.credential(ingestKey), withVersion(ingestKey)),
    ]);
  }

  async listCollectors(tenantId: string): Promise<Collector[]> {
    const items: Collector[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listEntities('collector', tenantId, { limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return this.get<CredentialRecord>(TABLE_KEYS.credential({ credentialId }));
  }

  async createCredential(record: CredentialRecord): Promise<void> {
    await this.insertAll([stored(TABLE_KEYS.credential(record), withVersion(record))]);
  }

  async updateCredential(
    record: CredentialRecord,
    expectedVersion: number,
    options: { readonly whileActive?: string } = {},
  ): Promise<CredentialRecord> {
    const keys = TABLE_KEYS.credential(record);
    if (!options.whileActive) return this.update(keys, record, expectedVersion);
    // One atomic write with a check of the other credential, so two crossed revocations (A while B,
    // B while A) cannot both succeed.
    const next = { ...record, version: expectedVersion + 1 };
    const other = TABLE_KEYS.credential({ credentialId: options.whileActive });
    const written = await this.table.replaceIfVersionWhileActive(stored(keys, next), expectedVersion, {
      key: { pk: other.pk, sk: other.sk },
      tenantId: record.tenantId,
    });
    if (!written)
      throw new ConflictError(
        `${keys.sk} changed since version ${expectedVersion}, or ${options.whileActive} is no longer active`,
      );
    return next;
  }

  listCredentials(tenantId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    return this.pageByIndex<CredentialRecord>(`TENANT#${tenantId}`, 'CRED#', page);
  }

  async createEntity<K extends EntityKind>(kind: K, entity: EntityTypes[K]): Promise<EntityTypes[K]> {
    const record = withVersion(entity);
    await this.insertAll([stored(entityKeys(kind, entity), record)]);
    return record;
  }

  getEntity<K extends EntityKind>(
    kind: K,
    tenantId: string,
    id: string,
  ): Promise<EntityTypes[K] | undefined> {
    return this.get<EntityTypes[K]>(entityKeys(kind, { tenantId, [ENTITY_ID_FIELD[kind]]: id }));
  }

  async listEntities<K extends EntityKind>(
    kind: K,
    tenantId: string,
    page: PageRequest,
    filter: ListFilter = {},
  ): Promise<Page<EntityTypes[K]>> {
    const prefix = ENTITY_KEY_PREFIX[kind];
    const result = await this.table.query(`TENANT#${tenantId}`, {
      prefix,
      limit: page.limit,
      ...(page.cursor ? { afterSk: decodeCursor(page.cursor, prefix) } : {}),
      ...(filter.group ? { inGroup: filter.group } : {}),
    });
    const items = result.items.map((i) => stripKeys<EntityTypes[K]>(i));
    return result.lastSk ? { items, nextCursor: encodeCursor(result.lastSk) } : { items };
  }

  updateEntity<K extends EntityKind>(
    kind: K,
    entity: EntityTypes[K],
    expectedVersion: number,
  ): Promise<EntityTypes[K]> {
    return this.update(entityKeys(kind, entity), entity, expectedVersion);
  }

  async deleteEntity<K extends EntityKind>(
    kind: K,
    tenantId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<EntityTypes[K]> {
    const { pk, sk } = entityKeys(kind, { tenantId, [ENTITY_ID_FIELD[kind]]: id });
    const result = await this.table.deleteIfVersion({ pk, sk }, expectedVersion);
    if (typeof result === 'object') return stripKeys<EntityTypes[K]>(result);
    throw refusalError(result, `${kind} ${id}`, expectedVersion);
  }

  async resourceDependencies(tenantId: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for await (const item of this.table.project(`TENANT#${tenantId}`, ENTITY_KEY_PREFIX.resource, [
      'resourceId',
      'dependsOn',
    ])) {
      out[item.resourceId as string] = (item.dependsOn as string[] | undefined) ?? [];
    }
    return out;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    yield* this.table.itemsUnder(`TENANT#${tenantId}`);
  }

  /** Removes everything of the tenant except its META item (kept as the offboarding tombstone). */
  async deleteTenant(tenantId: string): Promise<number> {
    const keys: ItemKey[] = [];
    for await (const item of this.table.itemsUnder(`TENANT#${tenantId}`)) {
      if (item.sk !== 'META') keys.push({ pk: item.pk, sk: item.sk });
    }
    return this.table.deleteAll(keys);
  }

  private async pageByIndex<T>(gsi1pk: string, prefix: string, page: PageRequest): Promise<Page<T>> {
    const result = await this.table.queryIndex(gsi1pk, {
      prefix,
      limit: page.limit,
      ...(page.cursor ? { after: decodeCursor(page.cursor, prefix) } : {}),
    });
    const items = result.items.map((i) => stripKeys<T>(i));
    return result.lastGsi1sk ? { items, nextCursor: encodeCursor(result.lastGsi1sk) } : { items };
  }

  private async get<T>(keys: TableKeys): Promise<T | undefined> {
    const item = await this.table.get({ pk: keys.pk, sk: keys.sk });
    return item ? stripKeys<T>(item) : undefined;
  }

  /** The conditional write: only if the stored version is `expectedVersion`. */
  private async update<T extends object>(keys: TableKeys, item: T, expectedVersion: number): Promise<T> {
    const next = { ...item, version: expectedVersion + 1 } as T;
    const refused = await this.table.replaceIfVersion(stored(keys, next), expectedVersion);
    if (refused) throw refusalError(refused, keys.sk, expectedVersion);
    return next;
  }

  private async insertAll(items: readonly TenantItem[]): Promise<void> {
    if (!(await this.table.insertAll(items))) throw new ConflictError('item already exists');
  }
}

function refusalError(refusal: Refusal, what: string, expectedVersion: number | undefined): Error {
  if (refusal === 'missing') return new NotFoundError(`${what} does not exist`);
  return new ConflictError(`${what} changed since version ${expectedVersion}; read it again`, 'if-match');
}
