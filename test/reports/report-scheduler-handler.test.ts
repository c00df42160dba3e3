/**
 * The scheduled report Lambda (functions/report-scheduler/handler.ts) as deployed: loaded with the
 * environment the CDK construct sets, on DynamoDB Local (tenants, schedules, alerts and the
 * notification ledger: the real engine) with S3, KMS and SNS mocked (aws-sdk-client-mock, the exact
 * requests asserted). It e-mails each owed period once with a link to this region's API that the
 * alerts API's adapters open; tenants homed elsewhere are left to their region; a failed send throws
 * (the scheduler's retries) and is sent by the next run.
 */
import { createHmac } from 'node:crypto';
import { GenerateMacCommand, KMSClient, KMSInvalidMacException, VerifyMacCommand } from '@aws-sdk/client-kms';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '#adapters/aws/dynamodb-alert-store';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { ALERT_ENV } from '#adapters/aws/eventbridge-alert-wiring';
import { REPORT_ENV } from '#adapters/aws/report-files-wiring';
import { ENV } from '#adapters/aws/wiring';
import { issueCredential } from '#domain/credentials';
import { previousPeriod } from '#domain/reports/schedule';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { clearedCriticalAlert } from './support/alerts';

const API = 'https://api.us-west-2.example.com/prod';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alert-email';
const LINK_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/link';
const BUCKET_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/bucket';
const MAC_SECRET = Buffer.alloc(32, 3);
const hmac = (m: Uint8Array) => createHmac('sha256', MAC_SECRET).update(m).digest();

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);
let dynamo: DynamoDbLocal;
let handler: (event: unknown, context: Context) => Promise<void>;
let tenants: DynamoDbTenantStore;
const context = { getRemainingTimeInMillis: () => 900_000, functionName: 'report-scheduler' } as Context;
const stored = new Map<string, Buffer>();

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  const table = await dynamo.createTable();
  Object.assign(process.env, {
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    [ENV.tableName]: table,
    [ENV.metricStore]: 'timestream',
    [ENV.timestreamDatabase]: 'metrics',
    [ENV.timestreamMagneticRetentionDays]: '365',
    [ALERT_ENV.emailTopicArn]: TOPIC,
    [REPORT_ENV.bucket]: 'reports-bucket',
    [REPORT_ENV.bucketKeyArn]: BUCKET_KEY,
    [REPORT_ENV.linkKeyArn]: LINK_KEY,
    // DynamoDB Local keeps a database per region: the test's support client is in us-west-2.
    REGION_ENDPOINTS: JSON.stringify({ 'us-west-2': { ingest: 'https://ingest.example.com', api: API } }),
  });
  s3.on(PutObjectCommand).callsFake((input) => {
    stored.set(input.Key, input.Body);
    return {};
  });
  s3.on(HeadObjectCommand).callsFake((input) => {
    if (!stored.has(input.Key)) throw Object.assign(new Error('NotFound'), { name: 'NotFound' });
    return {};
  });
  kms.on(GenerateMacCommand).callsFake((input) => ({ Mac: hmac(input.Message) }));
  kms.on(VerifyMacCommand).callsFake((input) => {
    if (Buffer.compare(hmac(input.Message), Buffer.from(input.Mac)) === 0) return { MacValid: true };
    throw new KMSInvalidMacException({ message: 'invalid', $metadata: {} });
  });
  ({ handler } = (await import('../../functions/report-scheduler/handler')) as unknown as {
    handler: typeof handler;
  });
  tenants = new DynamoDbTenantStore(dynamo.documentClient, table);
  const alerts = new DynamoDbAlertStore(dynamo.documentClient, table);
  const now = new Date();
  for (const [tenantId, region] of [
    ['acme', 'us-west-2'],
    ['elsewhere', 'eu-west-1'],
  ] as const) {
    await tenants.createTenant(
      { tenantId, name: `${tenantId} Inc`, status: 'active', createdAt: now.toISOString(), region },
      issueCredential('tenant', tenantId, now, { role: 'admin' }).record,
    );
    await tenants.createEntity('report-schedule', {
      tenantId,
      scheduleId: 'weekly-web',
      name: 'Web SLA',
      report: { resources: ['web-1'], availability: { kind: 'alerts' } },
      cadence: 'weekly',
      timeZone: 'Europe/London',
      recipients: { emails: ['ops@example.com'] },
      // Created ten days ago: one complete week (maybe two) is owed.
      createdAt: new Date(now.getTime() - 10 * 86_400_000).toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
    });
  }
  // A critical alert open for one hour in the previous week.
  const opened = previousPeriod('weekly', 'Europe/London', now.getTime()).from + 86_400_000;
  await alerts.putAlert(clearedCriticalAlert('acme', 'web-1', opened, opened + 3_600_000));
}, 120_000);

afterAll(async () => {
  s3.restore();
  kms.restore();
  sns.restore();
  await dynamo?.stop();
});

const publishes = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

describe('report scheduler Lambda', () => {
  it("e-mails this region's tenants each owed week once, with a link the alerts API opens", async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await handler({}, context);
    const sent = publishes();
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(2);
    for (const message of sent) {
      expect(message).toMatchObject({
        TopicArn: TOPIC,
        Subject: 'SLA report: Web SLA',
        MessageAttributes: {
          recipient: { DataType: 'String', StringValue: 'ops@example.com' },
          tenantId: { DataType: 'String', StringValue: 'acme' },
        },
      });
    }
    // The newest week: the alert's hour is out of 168 h (or 167/169 across a clock change).
    const last = sent.at(-1)?.Message as string;
    expect(last).toMatch(/web-1: 99\.4\d\d %/);
    // Every PDF was put under the tenant's prefix, SSE-KMS with the bucket key.
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(sent.length);
    for (const put of puts)
      expect(put).toMatchObject({
        Bucket: 'reports-bucket',
        Key: expect.stringMatching(/^acme\/reports\/weekly-web\/\d{4}-\d\d-\d\d\.pdf$/),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: BUCKET_KEY,
        ContentType: 'application/pdf',
      });
    expect(kms.commandCalls(GenerateMacCommand).every((c) => c.args[0].input.KeyId === LINK_KEY)).toBe(true);

    // The link leads to this region's API; the alerts function's adapters open it to the PDF just put.
    const link = /PDF \(the link expires\): (\S+)/.exec(last)?.[1] as string;
    expect(link.startsWith(`${API}/v1/report-files/`)).toBe(true);
    const { awsReportFiles } = await import('#adapters/aws/report-files-wiring');
    const reports = awsReportFiles();
    const target = await reports.links.open(link.slice(`${API}/v1/report-files/`.length), Date.now());
    expect(target.tenantId).toBe('acme');
    expect(stored.get(`acme/${target.key}`)?.subarray(0, 5).toString()).toBe('%PDF-');
    const access = await reports.files.fetch(target.tenantId, target.key);
    expect(access?.kind).toBe('redirect');
    expect(new URL((access as { url: string }).url).searchParams.get('X-Amz-Expires')).toBe('300');

    // The next hour's run sends nothing again (the ledger in DynamoDB).
    await handler({}, context);
    expect(publishes()).toHaveLength(sent.length);
  });

  it('throws when a send fails, and the next run sends it', async () => {
    sns.reset();
    await tenants.createEntity('report-schedule', {
      tenantId: 'acme',
      scheduleId: 'weekly-api',
      name: 'API SLA',
      report: { resources: ['api-1'], availability: { kind: 'alerts' } },
      cadence: 'weekly',
      timeZone: 'UTC',
      recipients: { emails: ['cto@example.com'] },
      createdAt: new Date(Date.now() - 8 * 86_400_000).toISOString(),
      updatedAt: new Date().toISOString(),
      version: 1,
    });
    sns.on(PublishCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttling' }));
    const apiSends = () => publishes().filter((p) => p.Subject === 'SLA report: API SLA');
    await expect(handler({}, context)).rejects.toThrow(/scheduled report deliveries failed/);
    // One attempt per owed week (one or two, by weekday), each released for the retry.
    const attempted = apiSends().length;
    expect(attempted).toBeGreaterThanOrEqual(1);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await handler({}, context);
    expect(apiSends()).toHaveLength(2 * attempted);
    await handler({}, context);
    expect(apiSends()).toHaveLength(2 * attempted);
  });
});
