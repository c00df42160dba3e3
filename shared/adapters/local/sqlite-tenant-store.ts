import type { DatabaseSync } from 'node:sqlite';
import type { CredentialRecord } from '../../domain/credentials';
import { ConflictError } from '../../domain/errors';
import type { Collector, Tenant } from '../../domain/tenant';
import type { TenantStore } from '../../ports/tenant-store';
import { inTransaction, openDatabase } from './sqlite';

/**
 * The local twin of the DynamoDB tenant store: items keyed by (pk, sk) like the single table, held
 * in SQLite so they survive restarts. Same key scheme, same contract tests.
 */
export class SqliteTenantStore implements TenantStore {
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
  }

  async createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void> {
    inTransaction(this.db, () => {
      this.insert(`TENANT#${tenant.tenantId}`, 'META', tenant);
      this.insert(`CRED#${adminCredential.credentialId}`, 'CRED', adminCredential);
    });
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.get<Tenant>(`TENANT#${tenantId}`, 'META');
  }

  async createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void> {
    inTransaction(this.db, () => {
      this.insert(`TENANT#${collector.tenantId}`, `COLLECTOR#${collector.collectorId}`, collector);
      this.insert(`CRED#${ingestKey.credentialId}`, 'CRED', ingestKey);
    });
  }

  async listCollectors(tenantId: string): Promise<Collector[]> {
    const rows = this.db
      .prepare("SELECT item FROM items WHERE pk = ? AND sk >= 'COLLECTOR#' AND sk < 'COLLECTOR$' ORDER BY sk")
      .all(`TENANT#${tenantId}`) as { item: string }[];
    return rows.map((r) => JSON.parse(r.item) as Collector);
  }

  async getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return this.get<CredentialRecord>(`CRED#${credentialId}`, 'CRED');
  }

  close(): void {
    this.db.close();
  }

  private get<T>(pk: string, sk: string): T | undefined {
    const row = this.db.prepare('SELECT item FROM items WHERE pk = ? AND sk = ?').get(pk, sk) as
      | { item: string }
      | undefined;
    return row ? (JSON.parse(row.item) as T) : undefined;
  }

  /** Insert-only, like a DynamoDB put with attribute_not_exists(pk). */
  private insert(pk: string, sk: string, item: object): void {
    const result = this.db
      .prepare('INSERT INTO items (pk, sk, item) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(pk, sk, JSON.stringify(item));
    if (result.changes === 0) throw new ConflictError(`${pk} ${sk} already exists`);
  }
}
