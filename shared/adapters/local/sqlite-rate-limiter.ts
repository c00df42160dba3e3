import { takeTokens } from '#domain/guardrails/token-bucket';
import type { BucketName, RateLimiter } from '#ports/rate-limiter';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Local twin of DynamoDbRateLimiter: the bucket's TAT in one row, read and written in one transaction. */
export class SqliteRateLimiter extends SqliteTenantTable implements RateLimiter {
  readonly dataName = 'rate-limits';

  constructor(file: SqliteFile) {
    super(
      file,
      'rate_buckets',
      `CREATE TABLE IF NOT EXISTS rate_buckets (
        tenant_id TEXT NOT NULL, bucket TEXT NOT NULL, tat_ms REAL NOT NULL,
        PRIMARY KEY (tenant_id, bucket)) WITHOUT ROWID;`,
    );
  }

  async take(
    tenantId: string,
    bucket: BucketName,
    cost: number,
    spec: Parameters<RateLimiter['take']>[3],
    nowMs: number,
  ) {
    return this.inGroupCommit(() => {
      const stored = this.read(tenantId, bucket);
      const decision = takeTokens(stored, nowMs, cost, spec);
      if (decision.allowed && spec.ratePerSecond > 0) {
        this.statement(
          'INSERT INTO rate_buckets (tenant_id, bucket, tat_ms) VALUES (?, ?, ?) ON CONFLICT (tenant_id, bucket) DO UPDATE SET tat_ms = excluded.tat_ms',
        ).run(tenantId, bucket, decision.tatMs);
      }
      return decision;
    });
  }

  async peek(tenantId: string, bucket: BucketName): Promise<number | undefined> {
    return this.read(tenantId, bucket);
  }

  private read(tenantId: string, bucket: BucketName): number | undefined {
    const row = this.statement('SELECT tat_ms FROM rate_buckets WHERE tenant_id = ? AND bucket = ?').get(
      tenantId,
      bucket,
    ) as { tat_ms: number } | undefined;
    return row?.tat_ms;
  }
}
