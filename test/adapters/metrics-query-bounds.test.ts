/**
 * /v1/metrics/query costs bounded work in every store: ranges over 32 days are refused before any
 * store is asked (test/domain/query.test.ts), and a read stops asking its store for more once it has
 * read more points than METRICS_QUERY_LIMITS allows.
 */
import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AmpMetricStore } from '#adapters/aws/amp-metric-store';
import { unsignedRequests } from '#adapters/aws/amp-sigv4';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { parseMetricQuery } from '#domain/query';

const queryMock = mockClient(TimestreamQueryClient);
afterEach(() => queryMock.reset());

const DAY = 86_400_000;
const to = 1_700_000_000_000;
const thirtyDays = parseMetricQuery({ metric: 'cpu', from: String(to - 30 * DAY), to: String(to) });

describe('AMP: raw-sample windows', () => {
  it('a 30-day read stops requesting windows once past the sample limit', async () => {
    const requests: string[] = [];
    const fakeFetch = (async (_url: URL, init: RequestInit) => {
      requests.push(new TextDecoder().decode(init.body as Uint8Array));
      const params = new URLSearchParams(new TextDecoder().decode(init.body as Uint8Array));
      const end = Number(params.get('time')) * 1000;
      // 1,000 points in each 6-hour window.
      const values = Array.from({ length: 1_000 }, (_, i) => [(end - i * 15_000) / 1000, '1']);
      return new Response(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [{ metric: { __name__: 'cpu', tenant_id: 't', host: 'a' }, values }],
          },
        }),
      );
    }) as unknown as typeof fetch;
    const store = new AmpMetricStore({
      workspaceUrl: 'https://aps.example/workspaces/ws',
      sign: unsignedRequests,
      fetch: fakeFetch,
      queryLimits: { maxSeries: 10, maxSamples: 5_500 },
    });
    await expect(store.query('t', thirtyDays)).rejects.toMatchObject({ limit: 'max_samples', status: 422 });
    // 120 windows in 30 days; the limit is crossed in the second batch of 4 windows in flight.
    expect(requests).toHaveLength(8);
  });
});

describe('Timestream: SELECT pages', () => {
  it('stops asking for pages once past the sample limit', async () => {
    const row = {
      Data: [{ ScalarValue: 'cpu' }, { ScalarValue: '2023-11-14 22:13:20.000000000' }, { ScalarValue: '1' }],
    };
    queryMock.on(QueryCommand).resolves({
      ColumnInfo: [
        { Name: 'measure_name', Type: {} },
        { Name: 'time', Type: {} },
        { Name: 'value', Type: {} },
      ],
      Rows: Array.from({ length: 1_000 }, () => row),
      NextToken: 'next',
    });
    const store = new TimestreamMetricStore({
      writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
      queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
      databaseName: 'metrics_db',
      magneticRetentionDays: 400,
      queryLimits: { maxSeries: 10, maxSamples: 2_500 },
    });
    await expect(store.query('t', thirtyDays)).rejects.toMatchObject({ limit: 'max_samples' });
    expect(queryMock.commandCalls(QueryCommand)).toHaveLength(3);
  });
});
