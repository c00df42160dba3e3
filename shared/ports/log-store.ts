import type { LogQuery } from '#domain/logs/query';
import type { LogRecord, StoredLogRecord } from '#domain/logs/record';
import type { TenantDataHolder } from './tenant-data';

/** One page of a search: newest first, [fromMs, toMs). */
export interface LogSearch {
  readonly fromMs: number;
  readonly toMs: number;
  readonly query: LogQuery;
  /** Records to return at most. */
  readonly limit: number;
  /** From a previous page's nextCursor: the search continues below where that page stopped. */
  readonly cursor?: string;
  /** Records a store may examine for this page (the bounded scan); it stops there and says so. */
  readonly maxScan: number;
}

export interface LogSearchPage {
  readonly records: StoredLogRecord[];
  /** Present when there may be more (older) matches: pass it back as `cursor`. */
  readonly nextCursor?: string;
  /** Records examined. */
  readonly scanned: number;
  /** The page stopped at maxScan before `limit` matches: nextCursor resumes the scan. */
  readonly scanLimited: boolean;
}

export interface LogHistogramRequest {
  readonly fromMs: number;
  readonly toMs: number;
  readonly query: LogQuery;
  readonly intervalMs: number;
  readonly maxScan: number;
}

export interface LogHistogram {
  /** One per interval from fromMs, oldest first, zero-filled. */
  readonly buckets: { readonly startMs: number; readonly count: number }[];
  /** Counting stopped at maxScan (the newest intervals are complete, the oldest may be short). */
  readonly scanLimited: boolean;
}

/**
 * Where a tenant's log records live (local: SQLite FTS5, shared/adapters/local/sqlite-log-store.ts;
 * AWS: docs/logs.md). Both pass test/logs/log-store.contract.ts. Every call names the tenant; a
 * store never returns another tenant's record. Offboarding exports and erases through TenantDataHolder.
 */
export interface LogStore extends TenantDataHolder {
  /** Stores the records; a retry of the same request is deduplicated by the ingest guard, not here. */
  append(tenantId: string, records: readonly LogRecord[]): Promise<{ readonly stored: number }>;
  search(tenantId: string, search: LogSearch): Promise<LogSearchPage>;
  histogram(tenantId: string, request: LogHistogramRequest): Promise<LogHistogram>;
  /**
   * Retention: removes the tenant's records older than `beforeMs` (AWS: whole hour partitions that
   * end by then), doing at most `budget` units of work (objects deleted; rows locally). `done` is
   * false when some are left for the next run.
   */
  expireBefore(tenantId: string, beforeMs: number, budget: number): Promise<LogExpiry>;
}

export interface LogExpiry {
  /** Objects (AWS) or records (local) removed. */
  readonly removed: number;
  readonly done: boolean;
}
