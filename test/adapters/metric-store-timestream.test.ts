/**
 * The MetricStore contract on the Timestream adapter. Timestream has no local engine, so the SDK
 * clients are mocked (aws-sdk-client-mock) by a small fake database of tables (one per tenant, as the
 * adapter creates them: CreateTable/DescribeTable, ResourceNotFoundException for a write to a table
 * that does not exist) that keeps what WriteRecords sent (with Timestream's version rules) and
 * answers QueryCommand by evaluating the SQL the adapter sends. The fake understands exactly the
 * statement shape the adapter builds and refuses anything else, and the last block asserts the exact
 * WriteRecords input and SQL text, so the fake cannot drift from what the adapter really asks of
 * Timestream.
 */
import {
  type ColumnInfo,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ValidationException as QueryValidationException,
  type Row,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  ConflictException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DescribeTableCommandInput,
  type RejectedRecord,
  RejectedRecordsException,
  ResourceNotFoundException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { metricStoreContract } from './metric-store.contract';

const DATABASE = 'metrics_db';

interface StoredRecord {
  readonly dimensions: Record<string, string>;
  readonly measureName: string;
  readonly timeMs: number;
  /** The DOUBLE `value` measure, or the VARCHAR `special_value` one (NaN, ±Inf, stale markers). */
  readonly value: string | undefined;
  readonly special: string | undefined;
  readonly version: number;
}

/** Timestream's rendering of a timestamp column: `YYYY-MM-DD HH:MM:SS.fffffffff` in UTC. */
const renderTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000000`;

const SELECT = new RegExp(
  `^SELECT \\* FROM "${DATABASE}"\\."([a-zA-Z0-9_.-]+)" WHERE measure_name = '((?:[^']|'')*)' AND time BETWEEN from_milliseconds\\((\\d+)\\) AND from_milliseconds\\((\\d+)\\)((?: AND "(?:[^"]|"")+" = '(?:[^']|'')*')*)$`,
);
const FILTER = /^ AND "((?:[^"]|"")+)" = '((?:[^']|'')*)'/;
const unquote = (s: string, q: string) => s.replaceAll(q + q, q);

class FakeTimestreamDatabase {
  readonly tables = new Map<string, Map<string, StoredRecord>>();
  readonly statements: string[] = [];
  private readonly pageSize = 3;

  createTable(input: CreateTableCommandInput): object {
    if (input.DatabaseName !== DATABASE) throw new Error('unknown database');
    const name = input.TableName as string;
    if (this.tables.has(name))
      throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
    this.tables.set(name, new Map());
    return { Table: { TableName: name, TableStatus: 'ACTIVE' } };
  }

  describeTable(input: DescribeTableCommandInput): object {
    if (!this.tables.has(input.TableName as string))
      throw new ResourceNotFoundException({ message: 'no table', $metadata: {} });
    return { Table: { TableName: input.TableName, TableStatus: 'ACTIVE' } };
  }

  write(input: WriteRecordsCommandInput): object {
    if (input.DatabaseName !== DATABASE) throw new Error('unknown database');
    const table = this.tables.get(input.TableName as string);
    if (!table)
      throw new ResourceNotFoundException({
        message: `table ${input.TableName} does not exist`,
        $metadata: {},
      });
    const common = input.CommonAttributes ?? {};
    if (common.TimeUnit !== 'MILLISECONDS' || common.MeasureValueType !== 'MULTI')
      throw new Error('the fake models only multi-measure, millisecond records');
    const rejected: RejectedRecord[] = [];
    (input.Records ?? []).forEach((record, index) => {
      const dimensions: Record<string, string> = {};
      for (const d of [...(common.Dimensions ?? []), ...(record.Dimensions ?? [])])
        dimensions[d.Name as string] = d.Value as string;
      const measure = (name: string, type: string) => {
        const m = record.MeasureValues?.find((v) => v.Name === name);
        if (m && m.Type !== type) throw new Error(`measure ${name} must be ${type}`);
        // Timestream refuses NaN and ±Infinity in a DOUBLE.
        if (m && type === 'DOUBLE' && !Number.isFinite(Number(m.Value)))
          rejected.push({ RecordIndex: index, Reason: `Invalid measure value ${m.Value}` });
        return m?.Value;
      };
      const value = measure('value', 'DOUBLE');
      const special = measure('special_value', 'VARCHAR');
      if (rejected.at(-1)?.RecordIndex === index) return;
      const stored: StoredRecord = {
        dimensions,
        measureName: record.MeasureName as string,
        timeMs: Number(record.Time ?? common.Time),
        value,
        special,
        version: record.Version ?? common.Version ?? 0,
      };
      const key = JSON.stringify([Object.entries(dimensions).sort(), stored.measureName, stored.timeMs]);
      const existing = table.get(key);
      const same = existing?.value === value && existing?.special === special;
      if (existing && !same && existing.version >= stored.version) {
        rejected.push({ RecordIndex: index, Reason: 'A record with a higher or equal version exists.' });
        return;
      }
      if (!existing || existing.version <= stored.version) table.set(key, stored);
    });
    if (rejected.length > 0)
      throw new RejectedRecordsException({ message: 'rejected', $metadata: {}, RejectedRecords: rejected });
    return {};
  }

  query(input: QueryCommandInput): QueryCommandOutput {
    const sql = input.QueryString as string;
    this.statements.push(sql);
    const m = SELECT.exec(sql);
    if (!m)
      throw new QueryValidationException({ message: `the fake does not understand: ${sql}`, $metadata: {} });
    const [, tableName, measure, from, to, filterText] = m as unknown as string[];
    const table = this.tables.get(tableName as string);
    if (!table)
      throw new QueryValidationException({
        message: `line 1:15: Table '${DATABASE}.${tableName}' does not exist`,
        $metadata: {},
      });
    const filters: [string, string][] = [];
    let rest = filterText ?? '';
    while (rest.length > 0) {
      const f = FILTER.exec(rest) as RegExpExecArray;
      filters.push([unquote(f[1] as string, '"'), unquote(f[2] as string, "'")]);
      rest = rest.slice(f[0].length);
    }
    const all = [...table.values()];
    // `SELECT *` has one column per dimension ever written to the table, then the fixed ones.
    const dimensionColumns = [...new Set(all.flatMap((r) => Object.keys(r.dimensions)))].sort();
    // Timestream's SQL engine refuses a column the table has never had (no contract case relies on
    // it; it keeps the fake from answering a query the real service would refuse).
    for (const [name] of filters)
      if (!dimensionColumns.includes(name))
        throw new QueryValidationException({ message: `Column '${name}' does not exist`, $metadata: {} });
    const matching = all.filter(
      (r) =>
        r.measureName === unquote(measure as string, "'") &&
        r.timeMs >= Number(from) &&
        r.timeMs <= Number(to) &&
        filters.every(([name, value]) => r.dimensions[name] === value),
    );
    const columns: ColumnInfo[] = [
      ...dimensionColumns.map((Name) => ({ Name, Type: { ScalarType: 'VARCHAR' as const } })),
      { Name: 'measure_name', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
      { Name: 'value', Type: { ScalarType: 'DOUBLE' } },
      // A measure column exists once a record of the table had it.
      ...(all.some((r) => r.special !== undefined)
        ? [{ Name: 'special_value', Type: { ScalarType: 'VARCHAR' as const } }]
        : []),
    ];
    const scalar = (v: string | undefined) => (v === undefined ? { NullValue: true } : { ScalarValue: v });
    const rows: Row[] = matching.map((r) => ({
      Data: [
        ...dimensionColumns.map((name) =>
          r.dimensions[name] === undefined ? { NullValue: true } : { ScalarValue: r.dimensions[name] },
        ),
        { ScalarValue: r.measureName },
        { ScalarValue: renderTime(r.timeMs) },
        scalar(r.value),
        ...(columns.length > dimensionColumns.length + 3 ? [scalar(r.special)] : []),
      ],
    }));
    // Paginate like Timestream does, so the adapter's NextToken loop is exercised.
    const offset = Number(input.NextToken ?? 0);
    const next = offset + this.pageSize;
    return {
      QueryId: 'q',
      ColumnInfo: columns,
      Rows: rows.slice(offset, next),
      ...(next < rows.length ? { NextToken: String(next) } : {}),
      $metadata: {},
    };
  }
}

const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
afterAll(() => {
  writeMock.restore();
  queryMock.restore();
});

let version = 1;
/** A fresh fake database behind the mocked clients, and the adapter on them. */
function timestreamOnFake(): { store: TimestreamMetricStore; table: FakeTimestreamDatabase } {
  const table = new FakeTimestreamDatabase();
  writeMock.reset();
  queryMock.reset();
  writeMock.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => table.write(input));
  writeMock.on(CreateTableCommand).callsFake((input: CreateTableCommandInput) => table.createTable(input));
  writeMock
    .on(DescribeTableCommand)
    .callsFake((input: DescribeTableCommandInput) => table.describeTable(input));
  queryMock.on(QueryCommand).callsFake((input: QueryCommandInput) => table.query(input));
  const store = new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
    queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
    databaseName: DATABASE,
    magneticRetentionDays: 400,
    // Each write call a later version, as Date.now() gives in production.
    version: () => version++,
  });
  return { store, table };
}

metricStoreContract(
  'Timestream (aws-sdk-client-mock, SQL evaluated)',
  async () => timestreamOnFake().store,
  Date.now,
);

describe('Timestream requests behind the contract', () => {
  it('sends exactly this WriteRecords input and this SQL for a filtered query', async () => {
    const { store, table } = timestreamOnFake();
    version = 7;
    const t0 = 1_700_000_040_000;
    await store.write("o'brien", [
      {
        metric: 'http.server/duration',
        dimensions: { 'service.name': 'api', host: 'a' },
        timestampMs: t0,
        value: 0.5,
      },
      {
        metric: 'http.server/duration',
        dimensions: { 'service.name': 'api', host: 'b' },
        timestampMs: t0,
        value: 2,
      },
    ]);
    // The tenant's first write finds no table: it is created, then the same request is sent again.
    expect(writeMock.commandCalls(CreateTableCommand).map((c) => c.args[0].input)).toEqual([
      {
        DatabaseName: DATABASE,
        TableName: 'tenant_o_27brien',
        RetentionProperties: {
          MemoryStoreRetentionPeriodInHours: 24,
          MagneticStoreRetentionPeriodInDays: 400,
        },
        MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      },
    ]);
    // Dimensions every record shares travel once, as common attributes (Timestream meters them once).
    const written = {
      DatabaseName: DATABASE,
      TableName: 'tenant_o_27brien',
      CommonAttributes: {
        Dimensions: [{ Name: 'service.name', Value: 'api', DimensionValueType: 'VARCHAR' }],
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
        Version: 7,
      },
      Records: [
        {
          Dimensions: [{ Name: 'host', Value: 'a', DimensionValueType: 'VARCHAR' }],
          MeasureName: 'http.server/duration',
          MeasureValues: [{ Name: 'value', Value: '0.5', Type: 'DOUBLE' }],
          Time: String(t0),
        },
        {
          Dimensions: [{ Name: 'host', Value: 'b', DimensionValueType: 'VARCHAR' }],
          MeasureName: 'http.server/duration',
          MeasureValues: [{ Name: 'value', Value: '2', Type: 'DOUBLE' }],
          Time: String(t0),
        },
      ],
    };
    expect(writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input)).toEqual([
      written,
      written,
    ]);
    const result = await store.query("o'brien", {
      metric: 'http.server/duration',
      fromMs: t0,
      toMs: t0 + 60_000,
      stepSeconds: 60,
      aggregation: 'p95',
      filters: { host: 'a', 'service.name': 'api' },
    });
    expect(result).toEqual([
      {
        metric: 'http.server/duration',
        dimensions: { host: 'a', 'service.name': 'api' },
        points: [[t0, 0.5]],
      },
    ]);
    expect(table.statements).toEqual([
      `SELECT * FROM "metrics_db"."tenant_o_27brien" WHERE measure_name = 'http.server/duration' AND time BETWEEN from_milliseconds(${t0}) AND from_milliseconds(${t0 + 60_000}) AND "host" = 'a' AND "service.name" = 'api'`,
    ]);
    // Aggregation happens in the domain: the same raw SELECT whatever the step and aggregation.
    expect(queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input.QueryString)).toEqual(
      table.statements,
    );
  });

  it("keeps each tenant in its own table: a query names only the caller's, and another tenant's dimension is not a column of it", async () => {
    const { store, table } = timestreamOnFake();
    const t0 = 1_700_000_040_000;
    await store.write('a', [{ metric: 'cpu', dimensions: { rack: 'r1' }, timestampMs: t0, value: 1 }]);
    await store.write('b', [{ metric: 'cpu', dimensions: { host: 'h1' }, timestampMs: t0, value: 2 }]);
    expect([...table.tables.keys()]).toEqual(['tenant_a', 'tenant_b']);
    const query = { metric: 'cpu', fromMs: t0, toMs: t0 + 1, aggregation: 'avg' as const };
    expect(await store.query('b', { ...query, filters: { rack: 'r1' } })).toEqual([]);
    expect(await store.query('b', { ...query, filters: {} })).toEqual([
      { metric: 'cpu', dimensions: { host: 'h1' }, points: [[t0, 2]] },
    ]);
    expect(await store.query('c', { ...query, filters: {} })).toEqual([]);
    expect(table.statements.map((sql) => /FROM ("[^"]+"\."[^"]+")/.exec(sql)?.[1])).toEqual([
      '"metrics_db"."tenant_b"',
      '"metrics_db"."tenant_b"',
      '"metrics_db"."tenant_c"',
    ]);
  });

  it('follows NextToken pages and reads every row', async () => {
    const { store } = timestreamOnFake();
    const t0 = 1_700_000_040_000;
    const samples = Array.from({ length: 8 }, (_, i) => ({
      metric: 'cpu',
      dimensions: { host: 'a' },
      timestampMs: t0 + i,
      value: i,
    }));
    await store.write('t', samples);
    const result = await store.query('t', {
      metric: 'cpu',
      fromMs: t0,
      toMs: t0 + 10,
      aggregation: 'avg',
      filters: {},
    });
    expect(result[0]?.points).toHaveLength(8);
    const calls = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input.NextToken);
    expect(calls).toEqual([undefined, '3', '6']);
  });
});
