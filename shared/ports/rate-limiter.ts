import type { BucketDecision, BucketSpec } from '#domain/guardrails/token-bucket';

/** `log-bytes`: the tenant's log ingestion, in bytes (shared/domain/logs/record.ts logRecordBytes). */
export type BucketName = 'samples' | 'requests' | 'log-bytes';

/**
 * Token buckets shared by every function instance (DynamoDB conditional writes in AWS, one SQLite
 * file locally): a tenant's rate is global, not per instance. Implementations follow
 * shared/domain/guardrails/token-bucket.ts exactly; both pass test/guardrails/state-stores.contract.ts.
 */
export interface RateLimiter {
  /** Takes `cost` units from the tenant's bucket, or refuses and says when it would pass. */
  take(
    tenantId: string,
    bucket: BucketName,
    cost: number,
    spec: BucketSpec,
    nowMs: number,
  ): Promise<BucketDecision>;
  /** The stored theoretical arrival time, for usage reports (undefined: full bucket). */
  peek(tenantId: string, bucket: BucketName): Promise<number | undefined>;
}
