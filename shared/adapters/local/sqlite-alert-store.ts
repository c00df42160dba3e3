import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  ItemAlertStore,
  type ItemKey,
  type ItemPage,
  type ItemTable,
  type MarkCondition,
  type TableItem,
} from '#adapters/items/alert-store-items';
import { inTransaction, openDatabase } from './sqlite';

type Row = {
  pk: string;
  sk: string;
  gsi1pk: string | null;
  gsi1sk: string | null;
  item: string;
  version: number | null;
  expires_at: number | null;
  mark: string | null;
};
const toItem = (r: Row): TableItem => ({
  pk: r.pk,
  sk: r.sk,
  ...(r.gsi1pk === null ? {} : { gsi1pk: r.gsi1pk, gsi1sk: r.gsi1sk as string }),
  item: r.item,
  ...(r.version === null ? {} : { version: r.version }),
  ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
  ...(r.mark === null ? {} : { mark: r.mark }),
});

/** The local twin of DynamoDB's table operations, on SQLite: same keys, same index, same paging. */
export class SqliteItemTable implements ItemTable {
  private readonly statements: Record<string, StatementSync>;

  constructor(private readonly db: DatabaseSync) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS alert_items (
        pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT, gsi1sk TEXT, item TEXT NOT NULL,
        version INTEGER, expires_at INTEGER, mark TEXT, PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS alert_items_gsi1 ON alert_items (gsi1pk, gsi1sk, pk, sk);
    `);
    // A data directory from before versioning: add the column (its states count as version 0).
    const columns = db.prepare('PRAGMA table_info(alert_items)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'version'))
      db.exec('ALTER TABLE alert_items ADD COLUMN version INTEGER');
    if (!columns.some((c) => c.name === 'expires_at'))
      db.exec('ALTER TABLE alert_items ADD COLUMN expires_at INTEGER');
    if (!columns.some((c) => c.name === 'mark')) db.exec('ALTER TABLE alert_items ADD COLUMN mark TEXT');
    // DynamoDB's TTL deletes expired items in the background; here they go at start-up.
    db.prepare('DELETE FROM alert_items WHERE expires_at IS NOT NULL AND expires_at < ?').run(
      Math.floor(Date.now() / 1000),
    );
    this.statements = {
      get: db.prepare('SELECT * FROM alert_items WHERE pk = ? AND sk = ?'),
      put: db.prepare(
        'INSERT OR REPLACE INTO alert_items (pk, sk, gsi1pk, gsi1sk, item, version, mark, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      delete: db.prepare('DELETE FROM alert_items WHERE pk = ? AND sk = ?'),
    };
  }

  async get(pk: string, sk: string) {
    const row = this.statements['get']!.get(pk, sk) as Row | undefined;
    return row && toItem(row);
  }

  async write(puts: readonly TableItem[], deletes: readonly ItemKey[]) {
    inTransaction(this.db, () => this.writeAll(puts, deletes));
  }

  async writeIfMarked(puts: readonly TableItem[], deletes: readonly ItemKey[], condition: MarkCondition) {
    // Check and write in one synchronous transaction: atomic for every connection to the file.
    return inTransaction(this.db, () => {
      const row = this.statements['get']!.get(condition.pk, condition.sk) as Row | undefined;
      if (!row || (row.mark !== null && row.mark !== condition.mark)) return false;
      this.writeAll(puts, deletes);
      return true;
    });
  }

  private writeAll(puts: readonly TableItem[], deletes: readonly ItemKey[]) {
    for (const i of puts)
      this.statements['put']!.run(
        i.pk,
        i.sk,
        i.gsi1pk ?? null,
        i.gsi1sk ?? null,
        i.item,
        i.version ?? null,
        i.mark ?? null,
        i.expiresAt ?? null,
      );
    for (const k of deletes) this.statements['delete']!.run(k.pk, k.sk);
  }

  async putIfVersion(item: TableItem, expected: number | undefined): Promise<boolean> {
    // Synchronous check-and-write in one transaction: atomic for every connection to the file.
    return inTransaction(this.db, () => {
      const row = this.statements['get']!.get(item.pk, item.sk) as Row | undefined;
      if (expected === undefined ? row !== undefined : !row || (row.version ?? 0) !== expected) return false;
      this.writeAll([{ ...item, version: (expected ?? 0) + 1 }], []);
      return true;
    });
  }

  async query(
    pk: string,
    options: { prefix: string; limit?: number; after?: ItemKey; reverse?: boolean },
  ): Promise<ItemPage> {
    const limit = options.limit ?? 1000;
    // One lower and one upper bound: SQLite's range search uses a single bound on each side, so a
    // second `sk < ?` would be checked row by row from the end of the prefix (a scan of half the table).
    let lower = options.prefix;
    let upper = `${options.prefix}\uffff`;
    let lowerOp = '>=';
    if (options.after && options.reverse && options.after.sk < upper) upper = options.after.sk;
    if (options.after && !options.reverse && options.after.sk >= lower) {
      lower = options.after.sk;
      lowerOp = '>';
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM alert_items WHERE pk = ? AND sk ${lowerOp} ? AND sk < ?
         ORDER BY sk ${options.reverse ? 'DESC' : 'ASC'} LIMIT ?`,
      )
      .all(pk, lower, upper, limit + 1) as Row[];
    const items = rows.slice(0, limit).map(toItem);
    const last = rows.length > limit ? items.at(-1) : undefined;
    return { items, ...(last ? { last: { pk: last.pk, sk: last.sk } } : {}) };
  }

  async queryIndex(
    gsi1pk: string,
    options: { upTo?: string; limit: number; after?: ItemKey & { gsi1pk?: string; gsi1sk?: string } },
  ): Promise<ItemPage> {
    const after = options.after;
    const rows = this.db
      .prepare(
        `SELECT * FROM alert_items WHERE gsi1pk = ?${options.upTo ? ' AND gsi1sk <= ?' : ''}
         ${after ? ' AND (gsi1sk, pk, sk) > (?, ?, ?)' : ''} ORDER BY gsi1sk, pk, sk LIMIT ?`,
      )
      .all(
        gsi1pk,
        ...(options.upTo ? [options.upTo] : []),
        ...(after ? [after.gsi1sk ?? '', after.pk, after.sk] : []),
        options.limit + 1,
      ) as Row[];
    const items = rows.slice(0, options.limit).map(toItem);
    const last = rows.length > options.limit ? items.at(-1) : undefined;
    return {
      items,
      ...(last ? { last: { pk: last.pk, sk: last.sk, gsi1pk, gsi1sk: last.gsi1sk as string } } : {}),
    };
  }
}

/** The local alert store: the DynamoDB item model on SQLite, so it survives restarts. */
export class SqliteAlertStore extends ItemAlertStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    const db = openDatabase(path);
    super(new SqliteItemTable(db));
    this.db = db;
  }

  close(): void {
    this.db.close();
  }
}
