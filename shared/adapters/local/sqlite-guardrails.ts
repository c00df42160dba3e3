import type { TenantDataHolder } from '../../ports/tenant-data';
import { SqliteHaTracker } from './sqlite-ha-tracker';
import { SqliteIdempotencyStore } from './sqlite-idempotency';
import { SqliteTenantLimitsStore } from './sqlite-limits';
import { SqliteRateLimiter } from './sqlite-rate-limiter';
import { SqliteSeriesRegistry } from './sqlite-series-registry';
import { SqliteUsageLedger } from './sqlite-usage-ledger';

/** The local twins of the guardrail stores, all in one SQLite file (DATA_DIR/guardrails.sqlite). */
export function sqliteGuardrailStores(path: string) {
  const stores = {
    limits: new SqliteTenantLimitsStore(path),
    rate: new SqliteRateLimiter(path),
    series: new SqliteSeriesRegistry(path),
    ha: new SqliteHaTracker(path),
    idempotency: new SqliteIdempotencyStore(path),
    usage: new SqliteUsageLedger(path),
  };
  const all = Object.values(stores);
  return {
    ...stores,
    /** For offboarding: every store holds tenant data. */
    holders: all as TenantDataHolder[],
    close: () => {
      for (const store of all) store.close();
    },
  };
}
