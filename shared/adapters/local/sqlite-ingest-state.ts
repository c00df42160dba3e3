import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TenantDataHolder } from '#ports/tenant-data';
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

interface PendingWrite {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for one connection: the writes asked for in one turn of the event loop (concurrent
 * requests' rate-limit takes, idempotency records, usage counters) run in one transaction, each in
 * its own savepoint so a failing write is undone alone. One commit instead of one per write, and a
 * write is answered only once its commit is done.
 */
class GroupCommit {
  private pending: PendingWrite[] = [];

  constructor(private readonly db: DatabaseSync) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const sql = (text: string) => preparedStatement(this.db, text).run();
    try {
      sql('BEGIN IMMEDIATE');
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    const outcomes = batch.map((write) => {
      sql('SAVEPOINT group_write');
      try {
        const value = write.work();
        sql('RELEASE group_write');
        return { ok: true as const, value };
      } catch (error) {
        sql('ROLLBACK TO group_write');
        sql('RELEASE group_write');
        return { ok: false as const, error };
      }
    });
    try {
      sql('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) sql('ROLLBACK');
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}

const groupsByConnection = new WeakMap<DatabaseSync, GroupCommit>();

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

  /** Runs `work` (synchronous SQL) in the connection's next group commit. */
  protected inGroupCommit<T>(work: () => T): Promise<T> {
    let group = groupsByConnection.get(this.db);
    if (!group) {
      group = new GroupCommit(this.db);
      groupsByConnection.set(this.db, group);
    }
    return group.run(work);
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
