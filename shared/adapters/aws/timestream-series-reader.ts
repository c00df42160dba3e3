/**
 * The PromQL read path of the Timestream store (SeriesReaderSource). Each selector becomes one SQL
 * statement on the tenant's own table: the time range and every matcher that cannot match an absent
 * label pushed into the WHERE clause (the metric name as `measure_name`, `=` as equality, `=~` as
 * REGEXP_LIKE with Prometheus' anchoring), strings and names quoted, every matcher checked again on
 * the rows' labels. `LIMIT` is what the query's sample budget has left (plus one, to tell "exactly
 * the limit" from "over it"), and each page is charged as it arrives, so an over-limit query stops
 * paging at the page that crossed the limit.
 *
 * Listing (series, label names and values) reads no samples: DESCRIBE gives the table's dimension
 * columns, then one `SELECT DISTINCT measure_name, <dimensions>` over the range.
 */
import {
  type ColumnInfo,
  QueryCommand,
  type QueryCommandOutput,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { compileMatcher, type LabelMatcher, type Labels, METRIC_NAME_LABEL } from '#domain/label-matchers';
import { type Dimensions, RESERVED_DIMENSION_NAMES, seriesKey } from '#domain/metrics';
import type { QueryBudget } from '#domain/query-limits';
import { planSelector, seriesLabelsOf } from '#domain/selector-plan';
import type {
  RawSeries,
  SeriesReaderSource,
  SeriesSelection,
  TenantSeriesReader,
} from '#ports/series-source';
import { sortByLabels } from '#promql/series';
import { type BackoffPolicy, DEFAULT_BACKOFF, sleep } from './retry';
import {
  isMissingTableOrColumn,
  NON_DIMENSION_COLUMNS,
  rowToSample,
  sqlIdentifier,
  sqlString,
} from './timestream-metric-store';
import { withRetries } from './timestream-tables';

export interface TimestreamReadOptions {
  readonly client: TimestreamQueryClient;
  /** `"database"."table"` of the tenant. */
  readonly table: string;
  readonly backoff: BackoffPolicy;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A regular expression as Timestream's REGEXP_LIKE (Java patterns) must see it: anchored, `.` matching newlines. */
export const anchoredPattern = (regex: string): string => `(?s)^(?:${regex})$`;

/** The SQL condition of one matcher, or undefined when it stays a check on the rows only. */
export function matcherCondition(matcher: LabelMatcher): string | undefined {
  const column = matcher.name === METRIC_NAME_LABEL ? 'measure_name' : sqlIdentifier(matcher.name);
  // Only measure_name is never absent: elsewhere a matcher that matches '' must also match rows
  // without the column, which SQL on an absent column cannot say (the statement would fail).
  if (matcher.name !== METRIC_NAME_LABEL) {
    if (RESERVED_DIMENSION_NAMES.has(matcher.name) || compileMatcher(matcher)('')) return undefined;
  }
  switch (matcher.op) {
    case '=':
      return `${column} = ${sqlString(matcher.value)}`;
    case '!=':
      return `${column} <> ${sqlString(matcher.value)}`;
    case '=~':
      return `REGEXP_LIKE(${column}, ${sqlString(anchoredPattern(matcher.value))})`;
    case '!~':
      return `NOT REGEXP_LIKE(${column}, ${sqlString(anchoredPattern(matcher.value))})`;
  }
}

function whereClause(selection: SeriesSelection): string {
  const conditions = [
    `time BETWEEN from_milliseconds(${Math.trunc(selection.startMs)}) AND from_milliseconds(${Math.trunc(selection.endMs)})`,
  ];
  for (const matcher of selection.matchers) {
    const condition = matcherCondition(matcher);
    if (condition) conditions.push(condition);
  }
  return conditions.join(' AND ');
}

/** The raw rows of one selector, at most `limit` of them. */
export const selectSql = (table: string, selection: SeriesSelection, limit: number): string =>
  `SELECT * FROM ${table} WHERE ${whereClause(selection)} LIMIT ${limit}`;

/** The distinct series of one selector over the table's dimension columns. */
export const listSql = (table: string, selection: SeriesSelection, dimensions: readonly string[]): string =>
  `SELECT DISTINCT ${['measure_name', ...dimensions.map(sqlIdentifier)].join(', ')} FROM ${table} WHERE ${whereClause(selection)}`;

export function timestreamSeriesReader(
  options: TimestreamReadOptions,
  budget: QueryBudget,
): TenantSeriesReader {
  const { client, table, backoff, sleep } = options;
  /** Every page of a statement; a missing table or column means no rows. */
  async function* pages(sql: string): AsyncGenerator<QueryCommandOutput> {
    let nextToken: string | undefined;
    try {
      do {
        budget.checkDeadline();
        const page = await withRetries(
          () => client.send(new QueryCommand({ QueryString: sql, NextToken: nextToken })),
          backoff,
          sleep,
        );
        yield page;
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      if (isMissingTableOrColumn(error)) return;
      throw error;
    }
  }

  const select = async (selection: SeriesSelection): Promise<RawSeries[]> => {
    const plan = planSelector(selection.matchers);
    const bySeries = new Map<string, CollectedSeries>();
    for await (const page of pages(selectSql(table, selection, budget.samplesLeft + 1))) {
      const columns = page.ColumnInfo ?? [];
      const rows = page.Rows ?? [];
      budget.chargeSamples(rows.length);
      for (const row of rows) {
        const sample = rowToSample(columns, row);
        const key = seriesKey(sample.metric, sample.dimensions);
        let series = bySeries.get(key);
        if (!series) {
          const labels = seriesLabelsOf(sample.metric, sample.dimensions);
          if (!plan.matches(labels)) continue;
          budget.chargeSeries();
          series = { labels, timestamps: [], values: [], stale: [] };
          bySeries.set(key, series);
        }
        series.timestamps.push(sample.timestampMs);
        series.values.push(sample.value);
        series.stale.push(sample.stale === true ? 1 : 0);
      }
    }
    return [...bySeries.values()].map(sortedSeries);
  };

  return {
    select,
    // Rows come in no order, so a selector's rows are collected before its first series is known
    // whole; the stream then hands series over in label order, dropping each once handed over.
    stream: async function* (selection) {
      const series = sortByLabels(await select(selection), (s) => s.labels);
      for (let i = 0; i < series.length; i++) {
        const next = series[i]!;
        series[i] = undefined as unknown as RawSeries;
        yield next;
      }
    },
    listSeries: async (selection) => {
      const plan = planSelector(selection.matchers);
      const dimensions = await dimensionColumns(pages, table);
      if (dimensions === undefined) return [];
      // A pushed-down matcher on a column the table does not have can match nothing.
      for (const m of selection.matchers)
        if (m.name !== METRIC_NAME_LABEL && matcherCondition(m) && !dimensions.includes(m.name)) return [];
      const found: Labels[] = [];
      for await (const page of pages(listSql(table, selection, dimensions))) {
        const columns = page.ColumnInfo ?? [];
        for (const row of page.Rows ?? []) {
          const labels = labelsOfRow(columns, row.Data ?? []);
          if (!plan.matches(labels)) continue;
          budget.chargeSeries();
          found.push(labels);
        }
      }
      return found;
    },
  };
}

/** The table's dimension columns (DESCRIBE), undefined when the tenant has no table yet. */
async function dimensionColumns(
  pages: (sql: string) => AsyncGenerator<QueryCommandOutput>,
  table: string,
): Promise<string[] | undefined> {
  let described = false;
  const dimensions: string[] = [];
  for await (const page of pages(`DESCRIBE ${table}`)) {
    described = true;
    const columns = (page.ColumnInfo ?? []).map((c) => c.Name);
    const nameAt = columns.indexOf('Column');
    const kindAt = columns.indexOf('Timestream attribute type');
    for (const row of page.Rows ?? []) {
      const name = row.Data?.[nameAt]?.ScalarValue;
      const kind = row.Data?.[kindAt]?.ScalarValue;
      if (name && kind === 'DIMENSION' && !NON_DIMENSION_COLUMNS.has(name)) dimensions.push(name);
    }
  }
  return described ? dimensions.sort() : undefined;
}

function labelsOfRow(
  columns: readonly ColumnInfo[],
  data: readonly { ScalarValue?: string; NullValue?: boolean }[],
): Labels {
  let metric = '';
  const dimensions: Record<string, string> = {};
  data.forEach((datum, i) => {
    const name = columns[i]?.Name;
    if (name === undefined || datum.NullValue || datum.ScalarValue === undefined) return;
    if (name === 'measure_name') metric = datum.ScalarValue;
    else dimensions[name] = datum.ScalarValue;
  });
  return seriesLabelsOf(metric, dimensions as Dimensions);
}

interface CollectedSeries {
  labels: Labels;
  timestamps: number[];
  values: number[];
  stale: number[];
}

/** Rows arrive in no particular order: by time, one point per timestamp. */
function sortedSeries(series: CollectedSeries): RawSeries {
  const order = series.timestamps
    .map((_, i) => i)
    .sort((a, b) => (series.timestamps[a] as number) - (series.timestamps[b] as number));
  const timestamps: number[] = [];
  const values: number[] = [];
  const stale: number[] = [];
  for (const i of order) {
    const t = series.timestamps[i] as number;
    if (timestamps.length > 0 && timestamps[timestamps.length - 1] === t) {
      values[values.length - 1] = series.values[i] as number;
      stale[stale.length - 1] = series.stale[i] as number;
    } else {
      timestamps.push(t);
      values.push(series.values[i] as number);
      stale.push(series.stale[i] as number);
    }
  }
  return {
    labels: series.labels,
    timestampsMs: Float64Array.from(timestamps),
    values: Float64Array.from(values),
    ...(stale.includes(1) ? { stale: Uint8Array.from(stale) } : {}),
  };
}

/** The Timestream store as the PromQL API reads it: each tenant's own table, one reader per query. */
export function timestreamSeriesSource(
  store: { tableSql(tenantId: string): string },
  client: TimestreamQueryClient,
  backoff: BackoffPolicy = DEFAULT_BACKOFF,
  pause: (ms: number) => Promise<void> = sleep,
): SeriesReaderSource {
  return {
    seriesReader: (tenantId, budget) =>
      timestreamSeriesReader({ client, table: store.tableSql(tenantId), backoff, sleep: pause }, budget),
  };
}
