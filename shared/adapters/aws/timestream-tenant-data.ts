import {
  QueryCommand,
  type QueryCommandOutput,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { jsonSampleValue } from '#domain/special-values';
import type { TenantDataHolder } from '#ports/tenant-data';
import {
  decodeSpecial,
  isMissingTableOrColumn,
  SPECIAL_COLUMN,
  sqlIdentifier,
  TENANT_DIMENSION,
  timestreamTimeToMs,
  VALUE_COLUMN,
} from './timestream-metric-store';
import type { TimestreamTenantTables } from './timestream-tables';

/**
 * Offboarding for Timestream for LiveAnalytics, where every tenant has its own table
 * (timestream-tables.ts). Export reads every row of that table, paged. Erasure drops the table:
 * Timestream has no DELETE of records, but DeleteTable removes the table and every point in it,
 * memory and magnetic store alike, irreversibly. So there is no erasure limitation to report.
 */
export class TimestreamTenantData implements TenantDataHolder {
  readonly dataName = 'metrics';
  readonly erasureMethod =
    "DeleteTable of the tenant's own Timestream table: every point, in memory and magnetic store, erased (not recoverable)";

  constructor(
    private readonly client: TimestreamQueryClient,
    private readonly tables: TimestreamTenantTables,
  ) {}

  private tableSql(tenantId: string): string {
    return `${sqlIdentifier(this.tables.databaseName)}.${sqlIdentifier(this.tables.tableName(tenantId))}`;
  }

  selectSql(tenantId: string): string {
    return `SELECT * FROM ${this.tableSql(tenantId)} ORDER BY time`;
  }

  countSql(tenantId: string): string {
    return `SELECT COUNT(*) AS points FROM ${this.tableSql(tenantId)}`;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    let nextToken: string | undefined;
    do {
      let page: QueryCommandOutput;
      try {
        page = await this.client.send(
          new QueryCommand({
            QueryString: this.selectSql(tenantId),
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (error) {
        // No table: the tenant never wrote a point, or it was dropped.
        if (isMissingTableOrColumn(error)) return;
        throw error;
      }
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
          else if (name === SPECIAL_COLUMN) {
            const { value: decoded, stale } = decodeSpecial(value);
            Object.assign(out, jsonSampleValue(decoded, stale));
          } else if (name !== TENANT_DIMENSION) dimensions[name] = value;
        });
        yield out;
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }

  /** Counts the tenant's points, then drops its table; 0 when it never had one. */
  async deleteTenant(tenantId: string): Promise<number> {
    let points: number;
    try {
      const counted = await this.client.send(new QueryCommand({ QueryString: this.countSql(tenantId) }));
      points = Number(counted.Rows?.[0]?.Data?.[0]?.ScalarValue ?? 0);
    } catch (error) {
      if (isMissingTableOrColumn(error)) return 0;
      throw error;
    }
    return (await this.tables.drop(tenantId)) ? points : 0;
  }
}
