import { QueryCommand, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { TenantDataHolder } from '../../ports/tenant-data';
import {
  sqlIdentifier,
  sqlString,
  TENANT_DIMENSION,
  timestreamTimeToMs,
  VALUE_COLUMN,
} from './timestream-metric-store';

/**
 * Offboarding for Timestream for LiveAnalytics. Export works (every row of the tenant, paged). Erasure
 * does not: Timestream has no DELETE — records leave only when the table's memory and magnetic store
 * retention expire them. So deleteTenant removes nothing and says so (erasureLimitation, reported in
 * the offboarding receipt). Meanwhile nothing can read them: the tenant's credentials are gone with its
 * metadata, every query is scoped to the caller's tenant, and the rows hold metric values and
 * dimensions only (no customer-confidential fields, so there is nothing to crypto-shred; the table is
 * encrypted with the platform's KMS key, not a per-tenant one). Where on-demand erasure is a contract
 * term, the answer is a per-tenant table (dropped at offboarding) or the AMP store with its admin API.
 */
export class TimestreamTenantData implements TenantDataHolder {
  readonly dataName = 'metrics';
  readonly erasureLimitation: string;

  constructor(
    private readonly client: TimestreamQueryClient,
    private readonly databaseName: string,
    private readonly tableName: string,
    retentionDescription = "the table's magnetic-store retention",
  ) {
    this.erasureLimitation =
      'Timestream for LiveAnalytics cannot delete records: the exported points stay in the shared table, ' +
      `unreadable to anyone (no credential of the tenant remains), until ${retentionDescription} expires them.`;
  }

  selectSql(tenantId: string): string {
    const table = `${sqlIdentifier(this.databaseName)}.${sqlIdentifier(this.tableName)}`;
    return `SELECT * FROM ${table} WHERE ${TENANT_DIMENSION} = ${sqlString(tenantId)} ORDER BY time`;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          QueryString: this.selectSql(tenantId),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      const columns = (page.ColumnInfo ?? []).map((c) => c.Name ?? '');
      for (const row of page.Rows ?? []) {
        const dimensions: Record<string, string> = {};
        const out: Record<string, unknown> = { dimensions };
        (row.Data ?? []).forEach((datum, i) => {
          const name = columns[i];
          const value = datum.ScalarValue;
          if (!name || value === undefined || datum.NullValue) return;
          if (name === 'time') out.timestampMs = timestreamTimeToMs(value);
          else if (name === 'measure_name') out.metric = value;
          else if (name === VALUE_COLUMN) out.value = Number(value);
          else if (name !== TENANT_DIMENSION) dimensions[name] = value;
        });
        yield out;
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }

  /** Timestream cannot delete: nothing is removed (see erasureLimitation). */
  async deleteTenant(_tenantId: string): Promise<number> {
    return 0;
  }
}
