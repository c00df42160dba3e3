import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TenantDataHolder } from '../../ports/tenant-data';
import { openDatabase } from './sqlite';

/**
 * A SQLite file to open, or a connection already open on it. The guardrail stores share one
 * connection: separate connections to one file each re-read the pages the others changed before
 * every transaction, which cost more than the transactions themselves.
 */
export type SqliteFile = string | DatabaseSync;

const statementsByConnection = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** A prepared statement, compiled once per connection (compiling costs more than running most of ours). */
export function preparedStatement(db: DatabaseSync, sql: string): StatementSync {
  let statements = statementsByConnection.get(db);
  if (!statements) {
    statements = new Map();
    statementsByConnection.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/**
 * Base of the local ingest-state twins (rate limiter, series registry, HA tracker, idempotency,
 * usage ledger). Each owns one table with a `tenant_id` column in a shared SQLite file; several
 * instances opened on the same file share the state, as Lambda instances share DynamoDB.
 */
export abstract class SqliteTenantTable implements TenantDataHolder {
  abstract readonly dataName: string;
  protected readonly db: DatabaseSync;
  private readonly ownsConnection: boolean;

  constructor(
    file: SqliteFile,
    protected readonly table: string,
    schema: string,
  ) {
    this.ownsConnection = typeof file === 'string';
    this.db = typeof file === 'string' ? openDatabase(file) : file;
    this.db.exec(schema);
  }

  protected statement(sql: string): StatementSync {
    return preparedStatement(this.db, sql);
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const rows = this.db.prepare(`SELECT * FROM ${this.table} WHERE tenant_id = ?`).all(tenantId);
    for (const row of rows) yield { ...row };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    return Number(this.db.prepare(`DELETE FROM ${this.table} WHERE tenant_id = ?`).run(tenantId).changes);
  }

  /** Closes the connection if this store opened it (a shared one is closed by its opener). */
  close(): void {
    if (this.ownsConnection) this.db.close();
  }
}
