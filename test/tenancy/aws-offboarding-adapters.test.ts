import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  type ColumnInfo,
  QueryCommand,
  TimestreamQueryClient,
  ValidationException,
} from '@aws-sdk/client-timestream-query';
import {
  DeleteTableCommand,
  ResourceNotFoundException,
  TimestreamWriteClient,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, S3ArchiveStore } from '#adapters/aws/s3-archive-store';
import { TimestreamTenantTables } from '#adapters/aws/timestream-tables';
import { TimestreamTenantData } from '#adapters/aws/timestream-tenant-data';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential } from '#domain/credentials';
import type { KeyService } from '#ports/key-service';
import type { OffboardingMessage } from '#ports/offboarding-queue';
import type { TenantDataHolder } from '#ports/tenant-data';
import { runOffboardingPart, startOffboarding } from '../../functions/offboarding/job';

const archiveId = `${'a'.repeat(32)}-1764241200000`;

describe('S3ArchiveStore', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
  const key = `offboarding/${archiveId}.jsonl.gz`;

  it('streams the archive as a multipart upload: SSE-KMS, parts ≥ 5 MiB but the last, each with its SHA-256', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
      ETag: `"etag-${input.PartNumber}"`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const store = new S3ArchiveStore(
      new S3Client({ region: 'us-west-2' }),
      'exports-bucket',
      undefined,
      MIN_PART_BYTES,
    );
    const sink = await store.open(archiveId);
    // 12 MiB in 1 MiB chunks, then 100 bytes: parts of 5 MiB, 5 MiB and 2 MiB + 100 bytes.
    const chunks = Array.from({ length: 12 }, (_, i) => Buffer.alloc(1024 * 1024, i));
    chunks.push(Buffer.alloc(100, 255));
    for (const chunk of chunks) await sink.write(chunk);
    expect(await sink.close()).toEqual({ location: `s3://exports-bucket/${key}` });

    expect(s3.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'exports-bucket',
        Key: key,
        ContentType: 'application/gzip',
        ServerSideEncryption: 'aws:kms',
        ChecksumAlgorithm: 'SHA256',
      },
    ]);
    const whole = Buffer.concat(chunks);
    const expectedParts = [
      whole.subarray(0, 5 * 1024 * 1024),
      whole.subarray(5 * 1024 * 1024, 10 * 1024 * 1024),
      whole.subarray(10 * 1024 * 1024),
    ];
    const uploads = s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    expect(uploads.map((u) => ({ ...u, Body: undefined }))).toEqual(
      expectedParts.map((part, i) => ({
        Bucket: 'exports-bucket',
        Key: key,
        UploadId: 'up-1',
        PartNumber: i + 1,
        Body: undefined,
        ChecksumSHA256: sha256(part),
      })),
    );
    expect(uploads.map((u) => (u.Body as Buffer).length)).toEqual([
      5 * 1024 * 1024,
      5 * 1024 * 1024,
      2 * 1024 * 1024 + 100,
    ]);
    for (const [i, u] of uploads.entries())
      expect(Buffer.compare(u.Body as Buffer, expectedParts[i]!)).toBe(0);
    expect(s3.commandCalls(CompleteMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'exports-bucket',
        Key: key,
        UploadId: 'up-1',
        MultipartUpload: {
          Parts: expectedParts.map((part, i) => ({
            ETag: `"etag-${i + 1}"`,
            PartNumber: i + 1,
            ChecksumSHA256: sha256(part),
          })),
        },
      },
    ]);
  });

  it('aborts the upload when the export fails, and refuses parts under 5 MiB', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3ArchiveStore(new S3Client({ region: 'us-west-2' }), 'exports-bucket');
    const sink = await store.open(archiveId);
    await sink.write(Buffer.from('partial'));
    await sink.abort();
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'exports-bucket', Key: key, UploadId: 'up-2' },
    ]);
    expect(s3.commandCalls(UploadPartCommand)).toHaveLength(0);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(() => new S3ArchiveStore(new S3Client({}), 'b', undefined, MIN_PART_BYTES - 1)).toThrow(
      /at least/,
    );
  });

  it('hands out a 15-minute presigned GET for an archive that exists', async () => {
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
  const tsWrite = mockClient(TimestreamWriteClient);
  afterEach(() => {
    ts.reset();
    tsWrite.reset();
  });
  const holder = () =>
    new TimestreamTenantData(
      new TimestreamQueryClient({ region: 'us-west-2' }),
      new TimestreamTenantTables({
        client: new TimestreamWriteClient({ region: 'us-west-2' }),
        databaseName: 'db',
        magneticRetentionDays: 365,
        sleep: async () => {},
      }),
    );
  const missingTable = () =>
    new ValidationException({ $metadata: {}, message: "line 1:15: Table 'db.tenant_t_271' does not exist" });

  it("exports every row of the tenant's own table across pages, then drops that table", async () => {
    const columns = [
      { Name: 'host' },
      { Name: 'tenant_id' },
      { Name: 'measure_name' },
      { Name: 'time' },
      { Name: 'value' },
    ] as ColumnInfo[];
    const selectAll = `SELECT * FROM "db"."tenant_t_271" ORDER BY time`;
    ts.on(QueryCommand, { QueryString: selectAll })
      .resolvesOnce({
        ColumnInfo: columns,
        Rows: [
          {
            Data: [
              { ScalarValue: 'h1' },
              { NullValue: true },
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
            // A point without dimensions carries the tenant id as a stand-in: not exported as one.
            Data: [
              { NullValue: true },
              { ScalarValue: "t'1" },
              { ScalarValue: 'mem' },
              { ScalarValue: '2026-01-01 00:00:01.000000000' },
              { ScalarValue: '2' },
            ],
          },
        ],
      });
    ts.on(QueryCommand, { QueryString: `SELECT COUNT(*) AS points FROM "db"."tenant_t_271"` }).resolves({
      ColumnInfo: [{ Name: 'points', Type: { ScalarType: 'BIGINT' } }],
      Rows: [{ Data: [{ ScalarValue: '2' }] }],
    });
    tsWrite.on(DeleteTableCommand).resolves({});
    const data = holder();
    const rows: unknown[] = [];
    for await (const row of data.exportTenant("t'1")) rows.push(row);
    expect(rows).toEqual([
      {
        metric: 'cpu',
        timestampMs: Date.parse('2026-01-01T00:00:00Z'),
        value: 1.5,
        dimensions: { host: 'h1' },
      },
      { metric: 'mem', timestampMs: Date.parse('2026-01-01T00:00:01Z'), value: 2, dimensions: {} },
    ]);
    expect(await data.deleteTenant("t'1")).toBe(2);
    expect(ts.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      { QueryString: selectAll },
      { QueryString: selectAll, NextToken: 'next' },
      { QueryString: `SELECT COUNT(*) AS points FROM "db"."tenant_t_271"` },
    ]);
    expect(tsWrite.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'db', TableName: 'tenant_t_271' },
    ]);
    // Real erasure: no limitation to report, and the receipt names how it was erased.
    expect((data as TenantDataHolder).erasureLimitation).toBeUndefined();
    expect(data.erasureMethod).toMatch(/DeleteTable of the tenant's own Timestream table/);
  });

  it('exports special values from the special_value measure as strings, stale markers flagged', async () => {
    const row = (second: number, value: string | null, special: string | null) => ({
      Data: [
        { ScalarValue: 'cpu' },
        { ScalarValue: `2026-01-01 00:00:0${second}.000000000` },
        value === null ? { NullValue: true } : { ScalarValue: value },
        special === null ? { NullValue: true } : { ScalarValue: special },
      ],
    });
    ts.on(QueryCommand).resolves({
      ColumnInfo: [
        { Name: 'measure_name' },
        { Name: 'time' },
        { Name: 'value' },
        { Name: 'special_value' },
      ] as ColumnInfo[],
      Rows: [row(0, '1', null), row(1, null, 'NaN'), row(2, null, '-Inf'), row(3, null, 'stale')],
    });
    const rows: unknown[] = [];
    for await (const r of holder().exportTenant('t')) rows.push(r);
    const at = (second: number) => ({
      metric: 'cpu',
      timestampMs: Date.parse(`2026-01-01T00:00:0${second}Z`),
      dimensions: {},
    });
    expect(rows).toEqual([
      { ...at(0), value: 1 },
      { ...at(1), value: 'NaN' },
      { ...at(2), value: '-Inf' },
      { ...at(3), value: 'NaN', stale: true },
    ]);
  });

  it('exports nothing and deletes nothing for a tenant that never wrote (no table)', async () => {
    ts.on(QueryCommand).rejects(missingTable());
    tsWrite.on(DeleteTableCommand).rejects(new ResourceNotFoundException({ $metadata: {}, message: 'nf' }));
    const data = holder();
    const rows: unknown[] = [];
    for await (const row of data.exportTenant("t'1")) rows.push(row);
    expect(rows).toEqual([]);
    expect(await data.deleteTenant("t'1")).toBe(0);
    expect(tsWrite.commandCalls(DeleteTableCommand)).toHaveLength(0);
  });

  it('offboarding with it: the receipt reports the points removed and how, with no "age out" limitation', async () => {
    let dropped = false;
    ts.on(QueryCommand).callsFake((input: { QueryString: string }) => {
      if (dropped) throw missingTable();
      if (input.QueryString.startsWith('SELECT COUNT(*)'))
        return { Rows: [{ Data: [{ ScalarValue: '1' }] }] };
      return {
        ColumnInfo: [{ Name: 'measure_name' }, { Name: 'time' }, { Name: 'value' }] as ColumnInfo[],
        Rows: [
          {
            Data: [
              { ScalarValue: 'cpu' },
              { ScalarValue: '2026-01-01 00:00:00.000000000' },
              { ScalarValue: '3' },
            ],
          },
        ],
      };
    });
    tsWrite.on(DeleteTableCommand).callsFake(() => {
      dropped = true;
      return {};
    });
    const tenants = new SqliteTenantStore(':memory:');
    const tenantId = 'a'.repeat(32);
    await tenants.createTenant(
      { tenantId, name: 'leaving', status: 'active', createdAt: '2026-01-01T00:00:00.000Z' },
      issueCredential('tenant', tenantId, new Date(), { role: 'admin', name: 'admin' }).record,
    );
    const common = {
      tenants,
      audit: { append: async () => {} },
      clock: { now: () => new Date('2026-02-01T00:00:00Z') },
      region: 'us-west-2',
    };
    const queued: OffboardingMessage[] = [];
    await startOffboarding(
      { ...common, regions: ['us-west-2'], queue: { enqueue: async (m) => void queued.push(m) } },
      tenantId,
    );
    const job = await runOffboardingPart(
      {
        ...common,
        global: [],
        regional: [holder()],
        keys: {} as KeyService,
        archives: {
          open: async () => ({
            write: async () => {},
            close: async () => ({ location: 'memory' }),
            abort: async () => {},
          }),
          download: async () => undefined,
        },
      },
      queued[0]!,
    );
    const part = job!.parts['us-west-2']!;
    expect(part.archive.records).toEqual({ metrics: 1 });
    expect(part.removed).toEqual({ metrics: 1 });
    expect(part.methods).toEqual({ metrics: expect.stringMatching(/^DeleteTable of the tenant's own/) });
    expect(part.limitations.join('\n')).not.toMatch(/metrics:|retention|age out/);
    expect(part.remaining).toEqual({ metrics: 0 });
    expect(job!.state).toBe('succeeded');
  });
});
