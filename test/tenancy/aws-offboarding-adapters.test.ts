import { type GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type ColumnInfo, QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../shared/adapters/aws/s3-archive-store';
import { TimestreamTenantData } from '../../shared/adapters/aws/timestream-tenant-data';

const archiveId = `${'a'.repeat(32)}-1764241200000`;

describe('S3ArchiveStore', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  it('puts the archive SSE-KMS encrypted and hands out a 15-minute presigned GET', async () => {
    s3.on(PutObjectCommand).resolves({});
    s3.on(HeadObjectCommand).resolves({});
    const signed: unknown[] = [];
    const store = new S3ArchiveStore(new S3Client({ region: 'us-west-2' }), 'exports-bucket', (async (
      _client: unknown,
      command: GetObjectCommand,
      options: unknown,
    ) => {
      signed.push({ input: command.input, options });
      return 'https://signed.example/url';
    }) as never);
    const body = Buffer.from('archive');
    expect(await store.put(archiveId, body)).toEqual({
      location: `s3://exports-bucket/offboarding/${archiveId}.jsonl.gz`,
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'exports-bucket',
      Key: `offboarding/${archiveId}.jsonl.gz`,
      Body: body,
      ContentType: 'application/gzip',
      ServerSideEncryption: 'aws:kms',
    });
    expect(await store.download(archiveId)).toEqual({ kind: 'redirect', url: 'https://signed.example/url' });
    expect(signed).toEqual([
      {
        input: { Bucket: 'exports-bucket', Key: `offboarding/${archiveId}.jsonl.gz` },
        options: { expiresIn: 900 },
      },
    ]);
    expect(await store.download('../../etc/passwd')).toBeUndefined();
  });

  it('answers undefined for an archive that does not exist', async () => {
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('nf'), { name: 'NotFound' }));
    const store = new S3ArchiveStore(new S3Client({ region: 'us-west-2' }), 'b');
    expect(await store.download(archiveId)).toBeUndefined();
  });
});

describe('TimestreamTenantData', () => {
  const ts = mockClient(TimestreamQueryClient);
  afterEach(() => ts.reset());

  it('exports every row of the tenant across pages and reports that it cannot delete', async () => {
    const columns = [
      { Name: 'tenant_id' },
      { Name: 'host' },
      { Name: 'measure_name' },
      { Name: 'time' },
      { Name: 'value' },
    ] as ColumnInfo[];
    ts.on(QueryCommand)
      .resolvesOnce({
        ColumnInfo: columns,
        Rows: [
          {
            Data: [
              { ScalarValue: "t'1" },
              { ScalarValue: 'h1' },
              { ScalarValue: 'cpu' },
              { ScalarValue: '2026-01-01 00:00:00.000000000' },
              { ScalarValue: '1.5' },
            ],
          },
        ],
        NextToken: 'next',
      })
      .resolvesOnce({
        ColumnInfo: columns,
        Rows: [
          {
            Data: [
              { ScalarValue: "t'1" },
              { NullValue: true },
              { ScalarValue: 'mem' },
              { ScalarValue: '2026-01-01 00:00:01.000000000' },
              { ScalarValue: '2' },
            ],
          },
        ],
      });
    const holder = new TimestreamTenantData(
      new TimestreamQueryClient({ region: 'us-west-2' }),
      'db',
      'metrics',
      '365 days',
    );
    const rows: unknown[] = [];
    for await (const row of holder.exportTenant("t'1")) rows.push(row);
    expect(rows).toEqual([
      {
        metric: 'cpu',
        timestampMs: Date.parse('2026-01-01T00:00:00Z'),
        value: 1.5,
        dimensions: { host: 'h1' },
      },
      { metric: 'mem', timestampMs: Date.parse('2026-01-01T00:00:01Z'), value: 2, dimensions: {} },
    ]);
    const calls = ts.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueryString: `SELECT * FROM "db"."metrics" WHERE tenant_id = 't''1' ORDER BY time` },
      {
        QueryString: `SELECT * FROM "db"."metrics" WHERE tenant_id = 't''1' ORDER BY time`,
        NextToken: 'next',
      },
    ]);
    expect(await holder.deleteTenant("t'1")).toBe(0);
    expect(holder.erasureLimitation).toContain('cannot delete');
    expect(holder.erasureLimitation).toContain('365 days');
  });
});
