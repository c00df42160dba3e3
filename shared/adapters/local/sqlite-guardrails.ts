import type { TenantDataHolder } from '#ports/tenant-data';
import { openDatabase } from './sqlite';
import { SqliteHaTracker } from './sqlite-ha-tracker';
import { SqliteIdempotencyStore } from './sqlite-idempotency';
import { SqliteTenantLimitsStore } from './sqlite-limits';
import { SqliteQueryLeases } from './sqlite-query-leases';
import { SqliteRateLimiter } from './sqlite-rate-limiter';
import { SqliteSeriesRegistry } from './sqlite-series-registry';
import { SqliteUsageLedger } from './sqlite-usage-ledger';

/**
 * The local twins of the guardrail stores, all in one SQLite file (DATA_DIR/guardrails.sqlite) over
 * one connection. A second call on the same file is a second instance sharing the state, as two
 * Lambda instances share the DynamoDB table.
 */
export function sqliteGuardrailStores(path: string) {
  const db = openDatabase(path);
  const stores = {
    limits: new SqliteTenantLimitsStore(db),
    rate: new SqliteRateLimiter(db),
    series: new SqliteSeriesRegistry(db),
    ha: new SqliteHaTracker(db),
    idempotency: new SqliteIdempotencyStore(db),
    usage: new SqliteUsageLedger(db),
    /** The query API's per-tenant concurrency (not an ingest guardrail, but the same kind of state). */
    queryLeases: new SqliteQueryLeases(db),
  };
  const all = Object.values(stores);
  return {
    ...stores,
    /** For offboarding: every store holds tenant data. */
    holders: all as TenantDataHolder[],
    close: () => {
      for (const store of all) store.close();
      db.close();
    },
  };
}
