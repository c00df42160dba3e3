import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TimestreamMetricStore, timestreamTimeToMs } from '../../shared/adapters/aws/timestream-metric-store';
import { UnavailableError } from '../../shared/domain/errors';
import type { Sample } from '../../shared/domain/metrics';

const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
afterEach(() => {
  writeMock.reset();
  queryMock.reset();
});

const sleeps: number[] = [];
function store() {
  sleeps.length = 0;
  return new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
    queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
    databaseName: 'metrics_db',
    tableName: 'samples',
    version: () => 42,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
  });
}

const sample = (i: number): Sample => ({
  metric: i % 2 === 0 ? 'cpu' : 'mem',
  dimensions: { host: `h${i % 3}`, dc: 'x' },
  timestampMs: 1_700_000_000_000 + i,
  value: i + 0.5,
});

describe('TimestreamMetricStore.write', () => {
  it('sends one WriteRecords per 100 samples with the tenant, shared dimensions and time unit as common attributes', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    const samples = Array.from({ length: 250 }, (_, i) => sample(i));
    const result = await store().write('tenant-a', samples);
    expect(result).toEqual({ accepted: 250, rejected: [] });
    const calls = writeMock.commandCalls(WriteRecordsCommand);
    expect(calls.map((c) => c.args[0].input.Records?.length)).toEqual([100, 100, 50]);
    expect(calls[0]!.args[0].input).toEqual({
      DatabaseName: 'metrics_db',
      TableName: 'samples',
      CommonAttributes: {
        // dc=x is on every sample: sent (and metered) once per request, not once per record.
        Dimensions: [
          { Name: 'tenant_id', Value: 'tenant-a', DimensionValueType: 'VARCHAR' },
          { Name: 'dc', Value: 'x', DimensionValueType: 'VARCHAR' },
        ],
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

  it('selects one tenant and metric in the range with escaped filters, pages, and groups rows into series', async () => {
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
        `SELECT * FROM "metrics_db"."samples" WHERE tenant_id = 'ten''ant' AND measure_name = 'cpu' ` +
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
