import { QueryCommand, TimestreamQueryClient, ValidationException } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listSql,
  matcherCondition,
  selectSql,
  timestreamSeriesSource,
} from '#adapters/aws/timestream-series-reader';
import type { LabelMatcher } from '#domain/label-matchers';
import { QueryBudget } from '#domain/query-limits';

const queryMock = mockClient(TimestreamQueryClient);
afterEach(() => queryMock.reset());

const TABLE = '"metrics_db"."tenant_t1"';
const source = timestreamSeriesSource(
  { tableSql: (tenantId) => `"metrics_db"."tenant_${tenantId}"` },
  new TimestreamQueryClient({ region: 'us-west-2' }),
  { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  async () => undefined,
);
const budget = (maxSeries = 100, maxSamples = 1_000) => new QueryBudget({ maxSeries, maxSamples });
const m = (name: string, op: LabelMatcher['op'], value: string): LabelMatcher => ({ name, op, value });

const columns = ['host', 'measure_name', 'time', 'value'].map((Name) => ({ Name, Type: {} }));
const row = (host: string, metric: string, time: string, value: string) => ({
  Data: [{ ScalarValue: host }, { ScalarValue: metric }, { ScalarValue: time }, { ScalarValue: value }],
});
const from = 1_700_000_000_000;
const to = 1_700_000_600_000;
const range = `time BETWEEN from_milliseconds(${from}) AND from_milliseconds(${to})`;

describe('Timestream SelectSeries', () => {
  it('pushes the range and the matchers into one statement on the tenant table, quoting every string and name', async () => {
    queryMock.on(QueryCommand).resolves({ ColumnInfo: columns, Rows: [] });
    await source.seriesReader('t1', budget()).select({
      matchers: [
        m('__name__', '=', 'http_requests_total'),
        m('job', '=~', "api|w'eb"),
        m('path"x', '=', "/a'; DROP TABLE x"),
        m('code', '!=', '500'),
        m('env', '=~', '.*'),
        m('zone', '!~', 'eu.*'),
      ],
      startMs: from,
      endMs: to,
    });
    expect(queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueryString:
          `SELECT * FROM ${TABLE} WHERE ${range} AND measure_name = 'http_requests_total' ` +
          `AND REGEXP_LIKE("job", '(?s)^(?:api|w''eb)$') AND "path""x" = '/a''; DROP TABLE x' LIMIT 1001`,
        NextToken: undefined,
      },
    ]);
  });

  it('keeps matchers that match an absent label, and reserved names, out of the SQL', () => {
    expect(matcherCondition(m('code', '!=', '500'))).toBeUndefined();
    expect(matcherCondition(m('code', '=', ''))).toBeUndefined();
    expect(matcherCondition(m('code', '=~', 'x|'))).toBeUndefined();
    expect(matcherCondition(m('value', '=', '1'))).toBeUndefined();
    expect(matcherCondition(m('__name__', '!~', 'go_.*'))).toBe(
      `NOT REGEXP_LIKE(measure_name, '(?s)^(?:go_.*)$')`,
    );
    expect(selectSql(TABLE, { matchers: [], startMs: from, endMs: to }, 5)).toBe(
      `SELECT * FROM ${TABLE} WHERE ${range} LIMIT 5`,
    );
  });

  it('pages, groups rows into series sorted by time, and checks every matcher on the rows', async () => {
    queryMock
      .on(QueryCommand)
      .resolvesOnce({
        ColumnInfo: columns,
        Rows: [
          row('a', 'up', '2023-11-14 22:13:40.000000000', '1'),
          row('b', 'up', '2023-11-14 22:13:20.000000000', '0'),
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({ ColumnInfo: columns, Rows: [row('a', 'up', '2023-11-14 22:13:20.000000000', '2')] });
    const series = await source
      .seriesReader('t1', budget())
      .select({ matchers: [m('__name__', '=', 'up'), m('host', '!=', 'b')], startMs: from, endMs: to });
    expect(series).toEqual([
      {
        labels: { __name__: 'up', host: 'a' },
        timestampsMs: Float64Array.from([1_700_000_000_000, 1_700_000_020_000]),
        values: Float64Array.from([2, 1]),
      },
    ]);
    expect(queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input.NextToken)).toEqual([
      undefined,
      'p2',
    ]);
  });

  it('streams the series in label order, whatever order the rows came in', async () => {
    queryMock.on(QueryCommand).resolves({
      ColumnInfo: columns,
      Rows: [
        row('c', 'up', '2023-11-14 22:13:20.000000000', '3'),
        row('a', 'up', '2023-11-14 22:13:20.000000000', '1'),
        row('b', 'up', '2023-11-14 22:13:20.000000000', '2'),
      ],
    });
    const streamed: string[] = [];
    for await (const s of source
      .seriesReader('t1', budget())
      .stream({ matchers: [m('__name__', '=', 'up')], startMs: from, endMs: to }))
      streamed.push(`${s.labels.host}=${s.values[0]}`);
    expect(streamed).toEqual(['a=1', 'b=2', 'c=3']);
    // One statement, as select sends.
    expect(queryMock.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('reads NaN and stale markers from the special_value column', async () => {
    const cols = ['measure_name', 'time', 'special_value'].map((Name) => ({ Name, Type: {} }));
    const special = (time: string, text: string) => ({
      Data: [{ ScalarValue: 'up' }, { ScalarValue: time }, { ScalarValue: text }],
    });
    queryMock.on(QueryCommand).resolves({
      ColumnInfo: cols,
      Rows: [
        special('2023-11-14 22:13:35.000000000', 'stale'),
        special('2023-11-14 22:13:20.000000000', 'NaN'),
      ],
    });
    const [series] = await source
      .seriesReader('t1', budget())
      .select({ matchers: [m('__name__', '=', 'up')], startMs: from, endMs: to });
    expect(Array.from(series!.timestampsMs)).toEqual([1_700_000_000_000, 1_700_000_015_000]);
    expect(Array.from(series!.stale ?? [])).toEqual([0, 1]);
    expect(Number.isNaN(series!.values[0])).toBe(true);
  });

  it('asks for no more rows than the budget has left and stops paging once it is exceeded', async () => {
    const page = {
      ColumnInfo: columns,
      Rows: Array.from({ length: 6 }, (_, i) => row('a', 'up', `2023-11-14 22:13:2${i}.000000000`, '1')),
      NextToken: 'more',
    };
    queryMock.on(QueryCommand).resolves(page);
    const limited = budget(100, 10);
    const reader = source.seriesReader('t1', limited);
    await expect(
      reader.select({ matchers: [m('__name__', '=', 'up')], startMs: from, endMs: to }),
    ).rejects.toMatchObject({
      limit: 'max_samples',
    });
    const calls = queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.QueryString).toMatch(/ LIMIT 11$/);
  });

  it('answers no series when the table or a pushed-down column does not exist', async () => {
    queryMock
      .on(QueryCommand)
      .rejects(new ValidationException({ message: `line 1:8: Column 'job' does not exist`, $metadata: {} }));
    expect(
      await source
        .seriesReader('t1', budget())
        .select({ matchers: [m('job', '=', 'x')], startMs: from, endMs: to }),
    ).toEqual([]);
  });
});

describe('Timestream series listing', () => {
  it('describes the table, then selects the distinct series of its dimension columns, no samples', async () => {
    queryMock
      .on(QueryCommand, { QueryString: `DESCRIBE ${TABLE}` })
      .resolves({
        ColumnInfo: [
          { Name: 'Column', Type: {} },
          { Name: 'Type', Type: {} },
          { Name: 'Timestream attribute type', Type: {} },
        ],
        Rows: [
          ['host', 'varchar', 'DIMENSION'],
          ['tenant_id', 'varchar', 'DIMENSION'],
          ['dc', 'varchar', 'DIMENSION'],
          ['measure_name', 'varchar', 'MEASURE_NAME'],
          ['time', 'timestamp', 'TIMESTAMP'],
          ['value', 'double', 'MULTI'],
        ].map((r) => ({ Data: r.map((ScalarValue) => ({ ScalarValue })) })),
      })
      .on(QueryCommand, {
        QueryString: listSql(TABLE, { matchers: [m('__name__', '=~', 'up|cpu')], startMs: from, endMs: to }, [
          'dc',
          'host',
        ]),
      })
      .resolves({
        ColumnInfo: [
          { Name: 'measure_name', Type: {} },
          { Name: 'dc', Type: {} },
          { Name: 'host', Type: {} },
        ],
        Rows: [
          { Data: [{ ScalarValue: 'up' }, { NullValue: true }, { ScalarValue: 'a' }] },
          { Data: [{ ScalarValue: 'cpu' }, { ScalarValue: 'x' }, { ScalarValue: 'b' }] },
        ],
      });
    const listed = await source
      .seriesReader('t1', budget())
      .listSeries({ matchers: [m('__name__', '=~', 'up|cpu')], startMs: from, endMs: to });
    expect(listed).toEqual([
      { __name__: 'up', host: 'a' },
      { __name__: 'cpu', dc: 'x', host: 'b' },
    ]);
    expect(queryMock.commandCalls(QueryCommand).map((c) => c.args[0].input.QueryString)).toEqual([
      `DESCRIBE ${TABLE}`,
      `SELECT DISTINCT measure_name, "dc", "host" FROM ${TABLE} WHERE ${range} AND REGEXP_LIKE(measure_name, '(?s)^(?:up|cpu)$')`,
    ]);
  });
});
