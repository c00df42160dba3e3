import type { DatabaseSync } from 'node:sqlite';
import type { TenantDataHolder } from '../../ports/tenant-data';
import { openDatabase } from './sqlite';

/**
 * Base of the local ingest-state twins (rate limiter, series registry, HA tracker, idempotency,
 * usage ledger). Each owns one table with a `tenant_id` column in a shared SQLite file; several
 * instances opened on the same file share the state, as Lambda instances share DynamoDB.
 */
export abstract class SqliteTenantTable implements TenantDataHolder {
  abstract readonly dataName: string;
  protected readonly db: DatabaseSync;

  constructor(
    path: string,
    protected readonly table: string,
    schema: string,
  ) {
    this.db = openDatabase(path);
    this.db.exec(schema);
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const rows = this.db.prepare(`SELECT * FROM ${this.table} WHERE tenant_id = ?`).all(tenantId);
    for (const row of rows) yield { ...row };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    return Number(this.db.prepare(`DELETE FROM ${this.table} WHERE tenant_id = ?`).run(tenantId).changes);
  }

  close(): void {
    this.db.close();
  }
}
