import type { DatabaseSync } from 'node:sqlite';
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
import { entityKeys, TABLE_KEYS, type TableKeys, withVersion } from '../items/tenant-store-items';
import { inTransaction, openDatabase } from './sqlite';

interface Row {
  pk: string;
  sk: string;
  item: string;
}

/**
 * The local twin of the DynamoDB tenant store: the same items under the same (pk, sk) and gsi1 keys
 * (see dynamodb-tenant-store.ts for the layout), held in SQLite so they survive restarts. Optimistic
 * concurrency is the same conditional write: `UPDATE … WHERE version = expected`, atomic in SQLite.
 */
export class SqliteTenantStore implements TenantStore, TenantDataHolder {
  readonly dataName = 'metadata';
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
    `);
    const columns = (this.db.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    // Data directories survive restarts: add the index columns to a table made before they existed.
    if (!columns.includes('gsi1pk')) this.db.exec('ALTER TABLE items ADD COLUMN gsi1pk TEXT');
    if (!columns.includes('gsi1sk')) this.db.exec('ALTER TABLE items ADD COLUMN gsi1sk TEXT');
    this.db.exec('CREATE INDEX IF NOT EXISTS gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL');
  }

  async createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void> {
    inTransaction(this.db, () => {
      this.insert(TABLE_KEYS.tenant(tenant.tenantId), withVersion(tenant));
      this.insert(TABLE_KEYS.credential(adminCredential), withVersion(adminCredential));
    });
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.get<Tenant>(TABLE_KEYS.tenant(tenantId));
  }

  async listTenants(page: PageRequest): Promise<Page<Tenant>> {
    return this.pageByIndex<Tenant>('TENANTS', 'TENANT#', page);
  }

  async updateTenant(tenant: Tenant, expectedVersion: number): Promise<Tenant> {
    return this.update(TABLE_KEYS.tenant(tenant.tenantId), tenant, expectedVersion);
  }

  async createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void> {
    inTransaction(this.db, () => {
      this.insert(entityKeys('collector', collector), withVersion(collector));
      this.insert(TABLE_KEYS.credential(ingestKey), withVersion(ingestKey));
    });
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

  async getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return this.get<CredentialRecord>(TABLE_KEYS.credential({ credentialId } as CredentialRecord));
  }

  async createCredential(record: CredentialRecord): Promise<void> {
    this.insert(TABLE_KEYS.credential(record), withVersion(record));
  }

  async updateCredential(
    record: CredentialRecord,
    expectedVersion: number,
    options: { readonly whileActive?: string } = {},
  ): Promise<CredentialRecord> {
    const { whileActive } = options;
    if (!whileActive) return this.update(TABLE_KEYS.credential(record), record, expectedVersion);
    return inTransaction(this.db, () => {
      const other = this.get<CredentialRecord>(TABLE_KEYS.credential({ credentialId: whileActive }));
      if (!other || other.revokedAt || other.tenantId !== record.tenantId)
        throw new ConflictError(`${whileActive} is no longer active`);
      return this.update(TABLE_KEYS.credential(record), record, expectedVersion);
    });
  }

  async listCredentials(tenantId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    return this.pageByIndex<CredentialRecord>(`TENANT#${tenantId}`, 'CRED#', page);
  }

  async createEntity<K extends EntityKind>(kind: K, entity: EntityTypes[K]): Promise<EntityTypes[K]> {
    const stored = withVersion(entity);
    this.insert(entityKeys(kind, entity), stored);
    return stored;
  }

  async getEntity<K extends EntityKind>(
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
    const after = page.cursor ? decodeCursor(page.cursor, prefix) : prefix;
    // Like a DynamoDB Query with Limit and a FilterExpression: read `limit` keys, then filter.
    const rows = this.db
      .prepare('SELECT pk, sk, item FROM items WHERE pk = ? AND sk > ? AND sk < ? ORDER BY sk LIMIT ?')
      .all(`TENANT#${tenantId}`, after, `${prefix}\uffff`, page.limit) as unknown as Row[];
    const items = rows
      .map((r) => JSON.parse(r.item) as EntityTypes[K])
      .filter(
        (item) => !filter.group || ((item as { groups?: string[] }).groups ?? []).includes(filter.group),
      );
    const last = rows.at(-1);
    return rows.length === page.limit && last ? { items, nextCursor: encodeCursor(last.sk) } : { items };
  }

  async updateEntity<K extends EntityKind>(
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
    const keys = entityKeys(kind, { tenantId, [ENTITY_ID_FIELD[kind]]: id });
    return inTransaction(this.db, () => {
      const current = this.get<EntityTypes[K]>(keys);
      if (!current) throw new NotFoundError(`${kind} ${id} does not exist`);
      if (expectedVersion !== undefined && versionOf(current) !== expectedVersion)
        throw new ConflictError(`${kind} ${id} changed since version ${expectedVersion}`, 'if-match');
      this.db.prepare('DELETE FROM items WHERE pk = ? AND sk = ?').run(keys.pk, keys.sk);
      return current;
    });
  }

  async resourceDependencies(tenantId: string): Promise<Record<string, string[]>> {
    const rows = this.db
      .prepare("SELECT item FROM items WHERE pk = ? AND sk > 'RESOURCE#' AND sk < 'RESOURCE#\uffff'")
      .all(`TENANT#${tenantId}`) as { item: string }[];
    const out: Record<string, string[]> = {};
    for (const row of rows) {
      const r = JSON.parse(row.item) as { resourceId: string; dependsOn?: string[] };
      out[r.resourceId] = r.dependsOn ?? [];
    }
    return out;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for (const row of this.tenantRows(tenantId)) yield { pk: row.pk, sk: row.sk, ...JSON.parse(row.item) };
  }

  /** Removes everything of the tenant except its META item (kept as the offboarding tombstone). */
  async deleteTenant(tenantId: string): Promise<number> {
    return inTransaction(this.db, () => {
      let removed = 0;
      for (const row of this.tenantRows(tenantId)) {
        if (row.sk === 'META') continue;
        removed += Number(
          this.db.prepare('DELETE FROM items WHERE pk = ? AND sk = ?').run(row.pk, row.sk).changes,
        );
      }
      return removed;
    });
  }

  /** Every row of the tenant, the raw table view (for tests that scan what is stored). */
  rawItems(): Row[] {
    return this.db.prepare('SELECT pk, sk, item FROM items').all() as unknown as Row[];
  }

  close(): void {
    this.db.close();
  }

  private tenantRows(tenantId: string): Row[] {
    return this.db
      .prepare('SELECT pk, sk, item FROM items WHERE pk = ? OR gsi1pk = ? ORDER BY pk, sk')
      .all(`TENANT#${tenantId}`, `TENANT#${tenantId}`) as unknown as Row[];
  }

  private pageByIndex<T>(gsi1pk: string, prefix: string, page: PageRequest): Page<T> {
    const after = page.cursor ? decodeCursor(page.cursor, prefix) : prefix;
    const rows = this.db
      .prepare(
        'SELECT gsi1sk, item FROM items WHERE gsi1pk = ? AND gsi1sk > ? AND gsi1sk < ? ORDER BY gsi1sk LIMIT ?',
      )
      .all(gsi1pk, after, `${prefix}\uffff`, page.limit) as { gsi1sk: string; item: string }[];
    const items = rows.map((r) => JSON.parse(r.item) as T);
    const last = rows.at(-1);
    return rows.length === page.limit && last ? { items, nextCursor: encodeCursor(last.gsi1sk) } : { items };
  }

  private get<T>(keys: { pk: string; sk: string }): T | undefined {
    const row = this.db.prepare('SELECT item FROM items WHERE pk = ? AND sk = ?').get(keys.pk, keys.sk) as
      | { item: string }
      | undefined;
    return row ? (JSON.parse(row.item) as T) : undefined;
  }

  /** Insert-only, like a DynamoDB put with attribute_not_exists(pk). */
  private insert(keys: TableKeys, item: object): void {
    const result = this.db
      .prepare(
        'INSERT INTO items (pk, sk, gsi1pk, gsi1sk, item) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(keys.pk, keys.sk, keys.gsi1pk ?? null, keys.gsi1sk ?? null, JSON.stringify(item));
    if (result.changes === 0) throw new ConflictError(`${keys.pk} ${keys.sk} already exists`);
  }

  /** The conditional write: only if the stored version is `expectedVersion`. */
  private update<T extends object>(keys: TableKeys, item: T, expectedVersion: number): T {
    const stored = { ...item, version: expectedVersion + 1 } as T;
    const result = this.db
      .prepare(
        "UPDATE items SET item = ?, gsi1pk = ?, gsi1sk = ? WHERE pk = ? AND sk = ? AND coalesce(json_extract(item, '$.version'), 1) = ?",
      )
      .run(
        JSON.stringify(stored),
        keys.gsi1pk ?? null,
        keys.gsi1sk ?? null,
        keys.pk,
        keys.sk,
        expectedVersion,
      );
    if (result.changes === 1) return stored;
    if (!this.get(keys)) throw new NotFoundError(`${keys.sk} does not exist`);
    throw new ConflictError(`changed since version ${expectedVersion}; read it again`, 'if-match');
  }
}

function versionOf(item: unknown): number {
  return (item as { version?: number }).version ?? 1;
}
