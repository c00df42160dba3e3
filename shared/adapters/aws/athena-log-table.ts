/**
 * The log lake's layout, shared by the adapter (shared/adapters/aws/athena-log-store.ts), the CDK
 * construct (infra/constructs/log-store.ts: Glue table, Firehose dynamic partitioning) and the test
 * engine that stands in for Firehose and Athena: one place, so the three cannot drift apart.
 *
 * Objects: `logs/tenant=<id>/event_hour=<yyyy-MM-dd-HH>/…parquet`. The hour is the record's own
 * timestamp (UTC), not its arrival, so a search's time range prunes to the hours it names; the
 * tenant is a partition projection of type `injected`, so Athena refuses a query without
 * `tenant = ?` (no query can read every tenant's data by accident).
 */

/** Glue/Hive types of the Parquet columns, in order (the partition keys are not among them). */
export const LOG_TABLE_COLUMNS = [
  { name: 'ts', type: 'bigint' },
  { name: 'id', type: 'string' },
  { name: 'severity', type: 'string' },
  { name: 'severity_number', type: 'int' },
  { name: 'message', type: 'string' },
  { name: 'resource', type: 'map<string,string>' },
  { name: 'attributes', type: 'map<string,string>' },
  { name: 'trace_id', type: 'string' },
  { name: 'span_id', type: 'string' },
] as const;

export const LOG_PARTITION_KEYS = [
  { name: 'tenant', type: 'string' },
  { name: 'event_hour', type: 'string' },
] as const;

/** Key prefix of the log objects in the bucket. */
export const LOG_OBJECT_PREFIX = 'logs/';
/** Where Firehose writes records it could not partition or convert (never searched). */
export const LOG_ERROR_PREFIX = 'errors/';

/** `event_hour` as Java's DateTimeFormatter writes it (partition projection) and as the adapter does. */
export const LOG_HOUR_FORMAT = 'yyyy-MM-dd-HH';

/** The record's partition hour, UTC: `2026-12-06-13`. */
export function logEventHour(timestampMs: number): string {
  return new Date(timestampMs).toISOString().slice(0, 13).replace('T', '-');
}

/** When an `event_hour` partition ends (ms), or NaN for anything that is not one. */
export function logHourEndMs(hour: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})$/.exec(hour);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) + 3_600_000;
}

/** Tenant ids are 32 hex digits (shared/domain/credentials.ts newId); these characters keep S3 keys and partitions plain. */
export const LOG_TENANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The S3 prefix that holds everything of one tenant (erasure deletes it). */
export const logTenantPrefix = (tenantId: string): string => `${LOG_OBJECT_PREFIX}tenant=${tenantId}/`;

/**
 * Firehose dynamic partitioning: the keys read from each (de-aggregated) JSON line, and the S3 prefix
 * they fill. The adapter writes `tenant` and `event_hour` into every line for this.
 */
export const FIREHOSE_PARTITION_QUERY = '{tenant: .tenant, event_hour: .event_hour}';
export const FIREHOSE_PREFIX = `${LOG_OBJECT_PREFIX}tenant=!{partitionKeyFromQuery:tenant}/event_hour=!{partitionKeyFromQuery:event_hour}/`;
export const FIREHOSE_ERROR_PREFIX = `${LOG_ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;

/** The stream's buffering interval (s): freshness of searches. */
export const FIREHOSE_BUFFER_SECONDS = 60;
/** How long the stream retries a failed S3 delivery of a partition (s). */
export const FIREHOSE_RETRY_SECONDS = 300;

/**
 * How long after ingest accepted a line it can still land in S3: 1.5× the buffering interval (with
 * dynamic partitioning, docs.aws.amazon.com/firehose/latest/dev/buffering.html), the S3 retry, and a
 * minute for an ingest request already past authentication when the tenant was suspended (the API's
 * 29 s and the 10 s authentication cache). Offboarding erases the prefix again after this.
 */
export const LOG_LATE_WRITES_SECONDS = Math.ceil(FIREHOSE_BUFFER_SECONDS * 1.5) + FIREHOSE_RETRY_SECONDS + 60;

/** How erasure works, and what it cannot reach, as offboarding reports it. */
export const LOG_ERASURE = {
  erasureMethod: `the tenant’s S3 prefix (every hour partition) is deleted, and again ${LOG_LATE_WRITES_SECONDS} s later for lines still in the Firehose buffer`,
  erasureLimitation:
    'results of the tenant’s searches stay under athena-results/ until they expire (1 day), and lines Firehose could not partition or convert stay under errors/ until the bucket’s retention expires them',
  lateWritesSeconds: LOG_LATE_WRITES_SECONDS,
} as const;
