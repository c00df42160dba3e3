import { ConflictError } from '#domain/errors';
import type { StoredLimitOverrides, TenantLimitOverrides } from '#domain/guardrails/limits';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import { inTransaction } from './sqlite';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Local twin of DynamoDbTenantLimitsStore: one row per tenant, versioned. */
export class SqliteTenantLimitsStore extends SqliteTenantTable implements TenantLimitsStore {
  readonly dataName = 'limits';

  constructor(file: SqliteFile) {
    super(
      file,
      'tenant_limits',
      `CREATE TABLE IF NOT EXISTS tenant_limits (
        tenant_id TEXT PRIMARY KEY, overrides TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL
      ) WITHOUT ROWID;`,
    );
  }

  async get(tenantId: string): Promise<StoredLimitOverrides | undefined> {
    const row = this.statement(
      'SELECT overrides, version, updated_at FROM tenant_limits WHERE tenant_id = ?',
    ).get(tenantId) as { overrides: string; version: number; updated_at: string } | undefined;
    return (
      row && {
        tenantId,
        overrides: JSON.parse(row.overrides) as TenantLimitOverrides,
        version: Number(row.version),
        updatedAt: row.updated_at,
      }
    );
  }

  async put(
    tenantId: string,
    overrides: TenantLimitOverrides,
    expectedVersion: number,
    updatedAt: string,
  ): Promise<StoredLimitOverrides> {
    return inTransaction(this.db, () => {
      const row = this.statement('SELECT version FROM tenant_limits WHERE tenant_id = ?').get(tenantId) as
        | { version: number }
        | undefined;
      const current = row ? Number(row.version) : 0;
      if (current !== expectedVersion)
        throw new ConflictError(
          `limits changed since version ${expectedVersion} (now ${current})`,
          'if-match',
        );
      const version = expectedVersion + 1;
      this.statement(
        `INSERT INTO tenant_limits (tenant_id, overrides, version, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (tenant_id) DO UPDATE SET overrides = excluded.overrides, version = excluded.version, updated_at = excluded.updated_at`,
      ).run(tenantId, JSON.stringify(overrides), version, updatedAt);
      return { tenantId, overrides, version, updatedAt };
    });
  }
}
