import {
  QueryCommand,
  ValidationException as QueryValidationException,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  ConflictException,
  CreateTableCommand,
  DescribeTableCommand,
  RejectedRecordsException,
  ResourceNotFoundException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { billedUnits, meteredBytes } from '#adapters/aws/timestream-metering';
import {
  refusalReason,
  TimestreamMetricStore,
  type TimestreamMetricStoreOptions,
  timestreamTimeToMs,
} from '#adapters/aws/timestream-metric-store';
import { MAGNETIC_REJECTIONS_PREFIX, tenantTableName } from '#adapters/aws/timestream-tables';
import { UnavailableError } from '#domain/errors';
import { LIMITS, type Sample } from '#domain/metrics';

const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
afterEach(() => {
  writeMock.reset();
  queryMock.reset();
});

const sleeps: number[] = [];
function store(options: Partial<TimestreamMetricStoreOptions> = {}) {
  sleeps.length = 0;
  return new TimestreamMetricStore({
    ...options,
    writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
    queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
    databaseName: 'metrics_db',
    magneticRetentionDays: 400,
    version: () => 42,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    tableBackoff: { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 1_000 },
  });
}

const sample = (i: number): Sample => ({
  metric: i % 2 === 0 ? 'cpu' : 'mem',
  dimensions: { host: `h${i % 3}`, dc: 'x' },
  timestampMs: 1_700_000_000_000 + i,
  value: i + 0.5,
});

describe('TimestreamMetricStore.write', () => {
  it("sends one WriteRecords per 100 samples to the tenant's table, shared dimensions and time unit as common attributes", async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    const samples = Array.from({ length: 250 }, (_, i) => sample(i));
    const result = await store().write('tenant-a', samples);
    expect(result).toEqual({ accepted: 250, rejected: [] });
    const calls = writeMock.commandCalls(WriteRecordsCommand);
    expect(calls.map((c) => c.args[0].input.Records?.length)).toEqual([100, 100, 50]);
    expect(calls[0]!.args[0].input).toEqual({
      DatabaseName: 'metrics_db',
      // The tenant's own table: no tenant dimension on any record.
      TableName: 'tenant_tenant-a',
      CommonAttributes: {
        // dc=x is on every sample: sent (and metered) once per request, not once per record.
        Dimensions: [{ Name: 'dc', Value: 'x', DimensionValueType: 'VARCHAR' }],
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
        Version: 42,
      },
      Records: expect.any(Array),
    });
    // A multi-measure record: measure_name is the metric, one DOUBLE column, its own sorted dimensions.
    expect(calls[2]!.args[0].input.Records![1]).toEqual({
      Dimensions: [{ Name: 'host', Value: 'h0', DimensionValueType: 'VARCHAR' }],
      MeasureName: 'mem',
      MeasureValues: [{ Name: 'value', Value: '201.5', Type: 'DOUBLE' }],
      Time: String(1_700_000_000_000 + 201),
    });
  });

  it('reports rejected records against the original sample index and keeps the rest accepted', async () => {
    writeMock
      .on(WriteRecordsCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new RejectedRecordsException({
          $metadata: {},
          message: 'rejected',
          RejectedRecords: [
            {
              RecordIndex: 3,
              Reason: 'The record timestamp is outside the time range of the data ingestion window.',
            },
            {
              RecordIndex: 7,
              Reason: 'A record with the same time and dimensions exists with a higher version.',
            },
          ],
        }),
      );
    const result = await store().write(
      't',
      Array.from({ length: 120 }, (_, i) => sample(i)),
    );
    expect(result.accepted).toBe(118);
    expect(result.rejected).toEqual([
      { index: 103, reason: 'The record timestamp is outside the time range of the data ingestion window.' },
      { index: 107, reason: 'A record with the same time and dimensions exists with a higher version.' },
    ]);
  });

  it('retries throttling with jittered backoff and then succeeds', async () => {
    const throttled = new ThrottlingException({ $metadata: {}, message: 'slow down', Message: 'slow down' });
    writeMock.on(WriteRecordsCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({});
    const s = store();
    await expect(s.write('t', [sample(1)])).resolves.toEqual({ accepted: 1, rejected: [] });
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(10);
    expect(sleeps[1]).toBeLessThanOrEqual(20);
  });

  it('gives up after the last attempt with a retryable UnavailableError', async () => {
    writeMock
      .on(WriteRecordsCommand)
      .rejects(new ThrottlingException({ $metadata: {}, message: 'slow down', Message: 'slow down' }));
    await expect(store().write('t', [sample(1)])).rejects.toBeInstanceOf(UnavailableError);
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(3);
  });

  it('does not retry a validation error', async () => {
    writeMock
      .on(WriteRecordsCommand)
      .rejects(new ValidationException({ $metadata: {}, message: 'bad', Message: 'bad' }));
    await expect(store().write('t', [sample(1)])).rejects.toBeInstanceOf(ValidationException);
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(1);
  });
});

describe('TimestreamMetricStore.query', () => {
  const columns = [
    { Name: 'dc', Type: { ScalarType: 'VARCHAR' } },
    { Name: 'host', Type: { ScalarType: 'VARCHAR' } },
    { Name: 'tenant_id', Type: { ScalarType: 'VARCHAR' } },
    { Name: 'measure_name', Type: { ScalarType: 'VARCHAR' } },
    { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
    { Name: 'value', Type: { ScalarType: 'DOUBLE' } },
  ] as const;
  const row = (host: string | null, time: string, value: string) => ({
    Data: [
      { ScalarValue: 'x' },
      host === null ? { NullValue: true } : { ScalarValue: host },
      { ScalarValue: 't' },
      { ScalarValue: 'cpu' },
      { ScalarValue: time },
      { ScalarValue: value },
    ],
  });

  it("selects one metric in the range from the tenant's table with escaped filters, pages, and groups rows into series", async () => {
    queryMock
      .on(QueryCommand)
      .resolvesOnce({
        ColumnInfo: [...columns],
        Rows: [
          row('a', '2023-11-14 22:13:20.000000000', '1'),
          row(null, '2023-11-14 22:13:21.500000000', '5'),
        ],
        NextToken: 'page2',
      })
      .resolvesOnce({ ColumnInfo: [...columns], Rows: [row('a', '2023-11-14 22:13:22.000000000', '3')] });
    const series = await store().query("ten'ant", {
      metric: 'cpu',
      fromMs: 1_700_000_000_000,
      toMs: 1_700_000_010_000,
      aggregation: 'avg',
      filters: { dc: "x'; DROP" },
    });
    const calls = queryMock.commandCalls(QueryCommand);
    expect(calls[0]!.args[0].input).toEqual({
      QueryString:
        `SELECT * FROM "metrics_db"."tenant_ten_27ant" WHERE measure_name = 'cpu' ` +
        'AND time BETWEEN from_milliseconds(1700000000000) AND from_milliseconds(1700000010000) ' +
        `AND "dc" = 'x''; DROP'`,
      NextToken: undefined,
    });
    expect(calls[1]!.args[0].input.NextToken).toBe('page2');
    // The filter is checked again on the rows: none of these has dc = "x'; DROP".
    expect(series).toEqual([]);
  });

  it('returns rows as series when they match', async () => {
    queryMock.on(QueryCommand).resolves({
      ColumnInfo: [...columns],
      Rows: [row('a', '2023-11-14 22:13:22.000000000', '3'), row('a', '2023-11-14 22:13:20.000000000', '1')],
    });
    const series = await store().query('t', {
      metric: 'cpu',
      fromMs: 1_700_000_000_000,
      toMs: 1_700_000_010_000,
      aggregation: 'avg',
      filters: {},
    });
    expect(series).toEqual([
      {
        metric: 'cpu',
        dimensions: { dc: 'x', host: 'a' },
        points: [
          [1_700_000_000_000, 1],
          [1_700_000_002_000, 3],
        ],
      },
    ]);
  });

  it('parses Timestream timestamps with nanoseconds', () => {
    expect(timestreamTimeToMs('2023-11-14 22:13:20.123456789')).toBe(1_700_000_000_123);
    expect(timestreamTimeToMs('2023-11-14 22:13:20')).toBe(1_700_000_000_000);
    expect(() => timestreamTimeToMs('yesterday')).toThrow();
  });
});

describe('tenant tables', () => {
  it('names a table per tenant, escaping reversibly and case-safely, within Timestream rules', () => {
    expect(tenantTableName('0123456789abcdef0123456789abcdef')).toBe(
      'tenant_0123456789abcdef0123456789abcdef',
    );
    expect(tenantTableName("o'brien")).toBe('tenant_o_27brien');
    // `_` is the escape itself, and capitals are escaped: no two ids share a name, even case-folded.
    expect(tenantTableName('a_b')).toBe('tenant_a_5fb');
    expect(tenantTableName('Ab')).toBe('tenant__41b');
    expect(tenantTableName('ab')).not.toBe(tenantTableName('Ab').toLowerCase());
    expect(tenantTableName('é')).toBe('tenant__c3_a9');
    expect(() => tenantTableName('')).toThrow(/no valid Timestream table name/);
    expect(() => tenantTableName('x'.repeat(250))).toThrow(/no valid Timestream table name/);
  });

  const createTableInput = (table: string) => ({
    DatabaseName: 'metrics_db',
    TableName: table,
    RetentionProperties: {
      MemoryStoreRetentionPeriodInHours: LIMITS.memoryStoreRetentionHours,
      MagneticStoreRetentionPeriodInDays: 400,
    },
    MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
  });
  const notFound = () =>
    new ResourceNotFoundException({ $metadata: {}, message: 'The table does not exist.', Message: 'nf' });

  it("creates the tenant's table on the first write that finds none, then writes; later writes go straight in", async () => {
    writeMock.on(WriteRecordsCommand).rejectsOnce(notFound()).resolves({});
    writeMock.on(CreateTableCommand).resolves({ Table: { TableName: 'tenant_t1', TableStatus: 'ACTIVE' } });
    const s = store();
    await expect(s.write('t1', [sample(1)])).resolves.toEqual({ accepted: 1, rejected: [] });
    expect(writeMock.commandCalls(CreateTableCommand).map((c) => c.args[0].input)).toEqual([
      createTableInput('tenant_t1'),
    ]);
    expect(writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input.TableName)).toEqual([
      'tenant_t1',
      'tenant_t1',
    ]);
    await s.write('t1', [sample(2)]);
    expect(writeMock.commandCalls(CreateTableCommand)).toHaveLength(1);
    expect(writeMock.commandCalls(DescribeTableCommand)).toHaveLength(0);
  });

  it('creates tables that report records refused on magnetic-store writes to S3 (SSE-KMS), under a prefix per table', async () => {
    writeMock.on(WriteRecordsCommand).rejectsOnce(notFound()).resolves({});
    writeMock.on(CreateTableCommand).resolves({ Table: { TableName: 'tenant_t1', TableStatus: 'ACTIVE' } });
    const keyArn = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    await store({
      rejectedDataLocation: {
        bucketName: 'magnetic-rejections-bucket',
        kmsKeyId: keyArn,
        objectKeyPrefix: MAGNETIC_REJECTIONS_PREFIX,
      },
    }).write('t1', [sample(1)]);
    expect(writeMock.commandCalls(CreateTableCommand).map((c) => c.args[0].input)).toEqual([
      {
        ...createTableInput('tenant_t1'),
        MagneticStoreWriteProperties: {
          EnableMagneticStoreWrites: true,
          MagneticStoreRejectedDataLocation: {
            S3Configuration: {
              BucketName: 'magnetic-rejections-bucket',
              ObjectKeyPrefix: 'magnetic-rejections/tenant_t1/',
              EncryptionOption: 'SSE_KMS',
              KmsKeyId: keyArn,
            },
          },
        },
      },
    ]);
  });

  it('takes ConflictException as "someone created it" and waits for it to be active', async () => {
    writeMock.on(WriteRecordsCommand).rejectsOnce(notFound()).resolves({});
    writeMock
      .on(CreateTableCommand)
      .rejects(new ConflictException({ $metadata: {}, message: 'exists', Message: 'exists' }));
    writeMock
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableStatus: 'RESTORING' } })
      .resolves({ Table: { TableStatus: 'ACTIVE' } });
    await expect(store().write('t2', [sample(1)])).resolves.toEqual({ accepted: 1, rejected: [] });
    expect(writeMock.commandCalls(DescribeTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'metrics_db', TableName: 'tenant_t2' },
      { DatabaseName: 'metrics_db', TableName: 'tenant_t2' },
    ]);
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(2);
  });

  it('answers a retryable 503, not a write, while the existing table is being dropped (offboarding)', async () => {
    writeMock.on(WriteRecordsCommand).rejects(notFound());
    writeMock
      .on(CreateTableCommand)
      .rejects(new ConflictException({ $metadata: {}, message: 'exists', Message: 'exists' }));
    writeMock.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'DELETING' } });
    await expect(store().write('t5', [sample(1)])).rejects.toThrow(/being deleted/);
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(1);
  });

  it('creates once for concurrent first writes, and backs off a throttled CreateTable (1 CRUD call/s)', async () => {
    writeMock.on(WriteRecordsCommand).rejectsOnce(notFound()).rejectsOnce(notFound()).resolves({});
    writeMock
      .on(CreateTableCommand)
      .rejectsOnce(
        new ThrottlingException({ $metadata: {}, message: 'Rate exceeded', Message: 'Rate exceeded' }),
      )
      .resolves({ Table: { TableStatus: 'ACTIVE' } });
    const s = store();
    const results = await Promise.all([s.write('t3', [sample(1)]), s.write('t3', [sample(2)])]);
    expect(results).toEqual([
      { accepted: 1, rejected: [] },
      { accepted: 1, rejected: [] },
    ]);
    expect(writeMock.commandCalls(CreateTableCommand)).toHaveLength(2);
    // The throttled CreateTable waited within the table backoff (250 ms base), not the write's 10 ms.
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeLessThanOrEqual(250);
  });

  it('answers a retryable 503 when the table never becomes writable', async () => {
    writeMock.on(WriteRecordsCommand).rejects(notFound());
    writeMock.on(CreateTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    writeMock.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    await expect(store().write('t4', [sample(1)])).rejects.toBeInstanceOf(UnavailableError);
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(4);
  });

  it("maps Timestream's per-table limit rejections to per-point refusals naming the tenant's limit", async () => {
    const dimensionReason = 'Maximum number of dimensions exceeded for the table. Limit: 128';
    const measureReason = 'The table has exceeded the maximum number of unique measure names (8192).';
    writeMock.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        $metadata: {},
        message: 'rejected',
        RejectedRecords: [
          { RecordIndex: 0, Reason: dimensionReason },
          { RecordIndex: 2, Reason: measureReason },
        ],
      }),
    );
    const result = await store().write('noisy', [sample(0), sample(1), sample(2)]);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 0, reason: refusalReason(dimensionReason) },
      { index: 2, reason: refusalReason(measureReason) },
    ]);
    expect(result.rejected[0]!.reason).toMatch(
      /^err-tenant-timestream-max-dimension-names: this tenant's metric table .* \(128\).*Timestream: Maximum number/,
    );
    expect(result.rejected[1]!.reason).toMatch(
      /^err-tenant-timestream-max-measure-names: this tenant's metric table .* \(8192\)/,
    );
    // Other reasons pass through as Timestream gives them.
    const version =
      'A record with a higher version exists; a higher version is required to update the measure value.';
    expect(refusalReason(version)).toBe(version);
  });
});

describe('cost-aware packing', () => {
  const t0 = 1_700_000_000_000;
  const resource = { 'service.name': 'checkout', 'service.instance.id': 'checkout-7d9f8-abcde' };
  const sumDims = { 'otel.temporality': 'cumulative', 'otel.monotonic': 'true' };
  // An OTLP-like request: gauges and sums interleaved; only sums carry the two otel.* dimensions.
  const mixed: Sample[] = Array.from({ length: 24 }, (_, i) => {
    const route = { 'http.route': `/api/v1/r${Math.floor(i / 2)}` };
    return i % 2 === 0
      ? {
          metric: 'http.server.active_requests',
          dimensions: { ...resource, ...route },
          timestampMs: t0,
          value: i,
        }
      : {
          metric: 'http.server.request.count',
          dimensions: { ...resource, ...route, ...sumDims },
          timestampMs: t0,
          value: i,
        };
  });
  const varchar = (Name: string, Value: string) => ({ Name, Value, DimensionValueType: 'VARCHAR' as const });
  const recordOf = (i: number) => ({
    Dimensions: [varchar('http.route', `/api/v1/r${Math.floor(i / 2)}`)],
    MeasureName: i % 2 === 0 ? 'http.server.active_requests' : 'http.server.request.count',
    MeasureValues: [{ Name: 'value', Value: String(i), Type: 'DOUBLE' as const }],
    Time: String(t0),
  });
  const evens = Array.from({ length: 12 }, (_, k) => 2 * k);
  const odds = evens.map((i) => i + 1);

  it('splits a mixed gauge/sum batch by dimension names when that bills fewer KiB, hoisting what each call shares', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    expect(await store().write('otel', mixed)).toEqual({ accepted: 24, rejected: [] });
    const inputs = writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
    const common = (Dimensions: object[]) => ({
      Dimensions,
      MeasureValueType: 'MULTI',
      TimeUnit: 'MILLISECONDS',
      Version: 42,
    });
    expect(inputs).toEqual([
      {
        DatabaseName: 'metrics_db',
        TableName: 'tenant_otel',
        CommonAttributes: common([
          varchar('service.instance.id', 'checkout-7d9f8-abcde'),
          varchar('service.name', 'checkout'),
        ]),
        Records: evens.map(recordOf),
      },
      {
        DatabaseName: 'metrics_db',
        TableName: 'tenant_otel',
        CommonAttributes: common([
          varchar('otel.monotonic', 'true'),
          varchar('otel.temporality', 'cumulative'),
          varchar('service.instance.id', 'checkout-7d9f8-abcde'),
          varchar('service.name', 'checkout'),
        ]),
        Records: odds.map(recordOf),
      },
    ]);
    // 1 + 1 KiB, where the interleaved single call would bill 3 (only the resource shared).
    expect(inputs.map((input) => billedUnits(input))).toEqual([1, 1]);
    const single: WriteRecordsCommandInput = {
      DatabaseName: 'metrics_db',
      TableName: 'tenant_otel',
      CommonAttributes: {
        Dimensions: [
          varchar('service.instance.id', 'checkout-7d9f8-abcde'),
          varchar('service.name', 'checkout'),
        ],
      },
      Records: mixed.map((s) => ({
        ...recordOf(mixed.indexOf(s)),
        Dimensions: Object.keys(s.dimensions)
          .filter((n) => !(n in resource))
          .sort()
          .map((n) => varchar(n, s.dimensions[n]!)),
      })),
    };
    expect(billedUnits(single)).toBe(3);
  });

  it('keeps the order when grouping would not bill less (one call, everything shared hoisted)', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    await store().write('t', mixed.slice(0, 4));
    const inputs = writeMock.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.Records!.map((r) => r.MeasureName)).toEqual(mixed.slice(0, 4).map((s) => s.metric));
  });

  it('maps rejected records of each call back to the samples they came from', async () => {
    const reject = (indices: number[]) =>
      new RejectedRecordsException({
        $metadata: {},
        message: 'rejected',
        RejectedRecords: indices.map((RecordIndex) => ({ RecordIndex, Reason: `record ${RecordIndex}` })),
      });
    // First call: the gauges (samples 0, 2, 4 …); second: the sums (samples 1, 3, 5 …).
    writeMock
      .on(WriteRecordsCommand)
      .rejectsOnce(reject([0, 11]))
      .rejectsOnce(reject([1, 5]));
    const result = await store().write('otel', mixed);
    expect(result.accepted).toBe(20);
    expect(result.rejected).toEqual([
      { index: 0, reason: 'record 0' },
      { index: 3, reason: 'record 1' },
      { index: 11, reason: 'record 5' },
      { index: 22, reason: 'record 11' },
    ]);
    // The rejected index names the very sample: the sums call's record 5 is sample 11.
    const sums = writeMock.commandCalls(WriteRecordsCommand)[1]!.args[0].input.Records!;
    expect(sums[5]!.MeasureValues![0]!.Value).toBe(String(mixed[11]!.value));
  });

  it('gives a sample without dimensions the tenant id as its one dimension (Timestream needs one)', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    await store().write('t9', [{ metric: 'up', dimensions: {}, timestampMs: t0, value: 1 }]);
    const input = writeMock.commandCalls(WriteRecordsCommand)[0]!.args[0].input;
    expect(input.CommonAttributes!.Dimensions).toEqual([varchar('tenant_id', 't9')]);
    expect(input.Records![0]!.Dimensions).toEqual([]);
  });
});

describe('queries of a tenant without a table', () => {
  it('answer no series when the table or a filtered column does not exist', async () => {
    queryMock
      .on(QueryCommand)
      .rejectsOnce(
        new QueryValidationException({
          $metadata: {},
          message: "line 1:15: Table 'metrics_db.tenant_new' does not exist",
        }),
      )
      .rejectsOnce(
        new QueryValidationException({ $metadata: {}, message: "line 1:60: Column 'rack' does not exist" }),
      )
      .rejectsOnce(new QueryValidationException({ $metadata: {}, message: 'line 1:1: mismatched input' }));
    const q = { metric: 'cpu', fromMs: 0, toMs: 1, aggregation: 'avg' as const, filters: { rack: 'r1' } };
    await expect(store().query('new', q)).resolves.toEqual([]);
    await expect(store().query('new', q)).resolves.toEqual([]);
    await expect(store().query('new', q)).rejects.toThrow(/mismatched input/);
  });
});

describe('special values (Timestream cannot write NaN or ±Infinity into a DOUBLE)', () => {
  const t0 = 1_700_000_000_000;
  const cpu = (i: number, value: number, extra: Partial<Sample> = {}): Sample => ({
    metric: 'cpu',
    dimensions: { host: 'a' },
    timestampMs: t0 + i,
    value,
    ...extra,
  });

  it('writes NaN, ±Inf and stale markers as a VARCHAR special_value measure, ordinary values (and -0) as the DOUBLE', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    const samples = [
      cpu(0, 1.5),
      cpu(1, Number.NaN),
      cpu(2, Number.POSITIVE_INFINITY),
      cpu(3, Number.NEGATIVE_INFINITY),
      cpu(4, Number.NaN, { stale: true }),
      cpu(5, -0),
      cpu(6, Number.MAX_VALUE),
      cpu(7, Number.MIN_VALUE),
    ];
    expect(await store().write('t', samples)).toEqual({ accepted: 8, rejected: [] });
    const measures = (name: string, value: string, type: 'DOUBLE' | 'VARCHAR') => [
      { Name: name, Value: value, Type: type },
    ];
    const records = writeMock.commandCalls(WriteRecordsCommand)[0]?.args[0].input.Records;
    expect(records?.map((r) => r.MeasureValues)).toEqual([
      measures('value', '1.5', 'DOUBLE'),
      measures('special_value', 'NaN', 'VARCHAR'),
      measures('special_value', '+Inf', 'VARCHAR'),
      measures('special_value', '-Inf', 'VARCHAR'),
      measures('special_value', 'stale', 'VARCHAR'),
      measures('value', '-0', 'DOUBLE'),
      measures('value', '1.7976931348623157e+308', 'DOUBLE'),
      measures('value', '5e-324', 'DOUBLE'),
    ]);
    expect(records?.[1]).toEqual({
      Dimensions: [],
      MeasureName: 'cpu',
      MeasureValues: [{ Name: 'special_value', Value: 'NaN', Type: 'VARCHAR' }],
      Time: String(t0 + 1),
    });
  });

  it('bills an ordinary sample exactly as before and a special one no more than 5 bytes more', () => {
    const record = (MeasureValues: { Name: string; Value: string; Type: 'DOUBLE' | 'VARCHAR' }[]) => ({
      Records: [{ MeasureName: 'cpu', MeasureValues, Time: '0' }],
    });
    const bytes = (r: ReturnType<typeof record>) => meteredBytes(r);
    // 'value' (5) + a DOUBLE (8) + 'cpu' (3) + the timestamp (8).
    expect(bytes(record([{ Name: 'value', Value: '1.5', Type: 'DOUBLE' }]))).toBe(24);
    // 'special_value' (13) + the text ('NaN' 3, '+Inf'/'-Inf' 4, 'stale' 5) instead of 13 bytes.
    expect(bytes(record([{ Name: 'special_value', Value: 'NaN', Type: 'VARCHAR' }]))).toBe(27);
    expect(bytes(record([{ Name: 'special_value', Value: 'stale', Type: 'VARCHAR' }]))).toBe(29);
  });

  it('decodes special_value rows of a query back to NaN and ±Inf, and leaves stale markers out of the values', async () => {
    const columns = [
      { Name: 'host', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'measure_name', Type: { ScalarType: 'VARCHAR' } },
      { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
      { Name: 'value', Type: { ScalarType: 'DOUBLE' } },
      { Name: 'special_value', Type: { ScalarType: 'VARCHAR' } },
    ] as const;
    const row = (second: number, value: string | null, special: string | null) => ({
      Data: [
        { ScalarValue: 'a' },
        { ScalarValue: 'cpu' },
        { ScalarValue: `2023-11-14 22:13:2${second}.000000000` },
        value === null ? { NullValue: true } : { ScalarValue: value },
        special === null ? { NullValue: true } : { ScalarValue: special },
      ],
    });
    queryMock.on(QueryCommand).resolves({
      ColumnInfo: [...columns],
      Rows: [
        row(0, '2', null),
        row(1, null, 'NaN'),
        row(2, null, '+Inf'),
        row(3, null, '-Inf'),
        row(4, null, 'stale'),
        row(5, '-0.0', null),
      ],
    });
    const series = await store().query('t', {
      metric: 'cpu',
      fromMs: t0,
      toMs: t0 + 10_000,
      aggregation: 'avg',
      filters: {},
    });
    expect(series).toEqual([
      {
        metric: 'cpu',
        dimensions: { host: 'a' },
        points: [
          [t0, 2],
          [t0 + 1000, Number.NaN],
          [t0 + 2000, Number.POSITIVE_INFINITY],
          [t0 + 3000, Number.NEGATIVE_INFINITY],
          [t0 + 5000, -0],
        ],
      },
    ]);
  });
});
