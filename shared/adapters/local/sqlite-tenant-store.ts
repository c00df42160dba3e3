import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  type ActiveCredential,
  type IndexQuery,
  type ItemKey,
  ItemTenantStore,
  type PartitionQuery,
  type Refusal,
  type TenantItem,
  type TenantItemTable,
} from '#adapters/items/tenant-store-items';
import { inTransaction, openDatabase } from './sqlite';

interface Row {
  pk: string;
  sk: string;
  gsi1pk: string | null;
  gsi1sk: string | null;
  item: string;
}

const toItem = (r: Row): TenantItem => ({
  pk: r.pk,
  sk: r.sk,
  ...(r.gsi1pk === null ? {} : { gsi1pk: r.gsi1pk, gsi1sk: r.gsi1sk as string }),
  ...(JSON.parse(r.item) as Record<string, unknown>),
});

/** The key columns and the record's JSON, as stored. */
function toColumns(item: TenantItem): [string, string, string | null, string | null, string] {
  const { pk, sk, gsi1pk, gsi1sk, ...record } = item;
  return [pk, sk, gsi1pk ?? null, gsi1sk ?? null, JSON.stringify(record)];
}

/** Items written before versioning count as version 1. */
const versionOf = (item: TenantItem) => (item.version as number | undefined) ?? 1;

/** Thrown inside a transaction to roll it back when a key already exists. */
class KeyExists extends Error {}

/**
 * The local twin of DynamoDB's tenant table operations, on SQLite: a table items(pk, sk, item, gsi1pk,
 * gsi1sk) holding the same items under the same keys and index (the record's attributes as JSON in
 * `item`). Conditional writes are `UPDATE … WHERE version = expected` or a check and a write in one
 * transaction: atomic for every connection to the file.
 */
export class SqliteTenantItemTable implements TenantItemTable {
  private readonly statements: Record<'get' | 'insert' | 'update' | 'delete', StatementSync>;

  constructor(private readonly db: DatabaseSync) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
    `);
    const columns = (db.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name);
    // Data directories survive restarts: add the index columns to a table made before they existed.
    if (!columns.includes('gsi1pk')) db.exec('ALTER TABLE items ADD COLUMN gsi1pk TEXT');
    if (!columns.includes('gsi1sk')) db.exec('ALTER TABLE items ADD COLUMN gsi1sk TEXT');
    db.exec('CREATE INDEX IF NOT EXISTS gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL');
    this.statements = {
      get: db.prepare('SELECT pk, sk, gsi1pk, gsi1sk, item FROM items WHERE pk = ? AND sk = ?'),
      insert: db.prepare(
        'INSERT INTO items (pk, sk, gsi1pk, gsi1sk, item) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      update: db.prepare(
        "UPDATE items SET gsi1pk = ?, gsi1sk = ?, item = ? WHERE pk = ? AND sk = ? AND coalesce(json_extract(item, '$.version'), 1) = ?",
      ),
      delete: db.prepare('DELETE FROM items WHERE pk = ? AND sk = ?'),
    };
  }

  async get(key: ItemKey): Promise<TenantItem | undefined> {
    return this.read(key);
  }

  async insertAll(items: readonly TenantItem[]): Promise<boolean> {
    try {
      inTransaction(this.db, () => {
        for (const item of items)
          if (this.statements.insert.run(...toColumns(item)).changes === 0) throw new KeyExists();
      });
      return true;
    } catch (error) {
      if (error instanceof KeyExists) return false;
      throw error;
    }
  }

  async replaceIfVersion(item: TenantItem, expectedVersion: number): Promise<Refusal | undefined> {
    return inTransaction(this.db, () => this.replace(item, expectedVersion));
  }

  async replaceIfVersionWhileActive(
    item: TenantItem,
    expectedVersion: number,
    active: ActiveCredential,
  ): Promise<boolean> {
    return inTransaction(this.db, () => {
      const other = this.read(active.key);
      if (!other || other.revokedAt !== undefined || other.tenantId !== active.tenantId) return false;
      return this.replace(item, expectedVersion) === undefined;
    });
  }

  async deleteIfVersion(key: ItemKey, expectedVersion: number | undefined): Promise<TenantItem | Refusal> {
    return inTransaction(this.db, () => {
      const current = this.read(key);
      if (!current) return 'missing';
      if (expectedVersion !== undefined && versionOf(current) !== expectedVersion) return 'conflict';
      this.statements.delete.run(key.pk, key.sk);
      return current;
    });
  }

  async query(pk: string, options: PartitionQuery): Promise<{ items: TenantItem[]; lastSk?: string }> {
    // Like a DynamoDB Query with Limit and a FilterExpression: read `limit` keys, then filter.
    const rows = this.db
      .prepare('SELECT * FROM items WHERE pk = ? AND sk > ? AND sk < ? ORDER BY sk LIMIT ?')
      .all(
        pk,
        options.afterSk ?? options.prefix,
        `${options.prefix}\uffff`,
        options.limit,
      ) as unknown as Row[];
    const group = options.inGroup;
    const items = rows
      .map(toItem)
      .filter((item) => group === undefined || ((item.groups as string[] | undefined) ?? []).includes(group));
    const last = rows.length === options.limit ? rows.at(-1) : undefined;
    return { items, ...(last ? { lastSk: last.sk } : {}) };
  }

  async queryIndex(
    gsi1pk: string,
    options: IndexQuery,
  ): Promise<{ items: TenantItem[]; lastGsi1sk?: string }> {
    const rows = this.db
      .prepare('SELECT * FROM items WHERE gsi1pk = ? AND gsi1sk > ? AND gsi1sk < ? ORDER BY gsi1sk LIMIT ?')
      .all(
        gsi1pk,
        options.after ?? options.prefix,
        `${options.prefix}\uffff`,
        options.limit,
      ) as unknown as Row[];
    const last = rows.length === options.limit ? rows.at(-1) : undefined;
    return { items: rows.map(toItem), ...(last ? { lastGsi1sk: last.gsi1sk as string } : {}) };
  }

  async *project(
    pk: string,
    prefix: string,
    attributes: readonly string[],
  ): AsyncIterable<Record<string, unknown>> {
    const rows = this.db
      .prepare('SELECT * FROM items WHERE pk = ? AND sk >= ? AND sk < ? ORDER BY sk')
      .all(pk, prefix, `${prefix}\uffff`) as unknown as Row[];
    for (const row of rows) {
      const item = toItem(row);
      yield Object.fromEntries(attributes.filter((a) => a in item).map((a) => [a, item[a]]));
    }
  }

  async *itemsUnder(key: string): AsyncIterable<TenantItem> {
    const rows = this.db
      .prepare('SELECT * FROM items WHERE pk = ? OR gsi1pk = ? ORDER BY pk, sk')
      .all(key, key) as unknown as Row[];
    yield* rows.map(toItem);
  }

  async deleteAll(keys: readonly ItemKey[]): Promise<number> {
    return inTransaction(this.db, () => {
      let removed = 0;
      for (const { pk, sk } of keys) removed += Number(this.statements.delete.run(pk, sk).changes);
      return removed;
    });
  }

  /** Every row as stored (for tests that scan what is stored). */
  rawRows(): Pick<Row, 'pk' | 'sk' | 'item'>[] {
    return this.db.prepare('SELECT pk, sk, item FROM items').all() as unknown as Row[];
  }

  private read(key: ItemKey): TenantItem | undefined {
    const row = this.statements.get.get(key.pk, key.sk) as Row | undefined;
    return row && toItem(row);
  }

  /** The conditional write; the caller holds the transaction. */
  private replace(item: TenantItem, expectedVersion: number): Refusal | undefined {
    const [pk, sk, gsi1pk, gsi1sk, json] = toColumns(item);
    if (this.statements.update.run(gsi1pk, gsi1sk, json, pk, sk, expectedVersion).changes === 1)
      return undefined;
    return this.read(item) ? 'conflict' : 'missing';
  }
}

/** The local tenant store: the DynamoDB item model on SQLite, so it survives restarts. */
export class SqliteTenantStore extends ItemTenantStore {
  private readonly db: DatabaseSync;
  private readonly rows: SqliteTenantItemTable;

  constructor(path: string) {
    const db = openDatabase(path);
    const table = new SqliteTenantItemTable(db);
    super(table);
    this.db = db;
    this.rows = table;
  }

  /** Every row of the table, the raw stored view (for tests that scan what is stored). */
  rawItems(): { pk: string; sk: string; item: string }[] {
    return this.rows.rawRows();
  }

  close(): void {
    this.db.close();
  }
}
