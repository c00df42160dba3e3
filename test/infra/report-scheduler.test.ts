/**
 * The report-scheduler construct in a stack of its own (bundling off): the hourly schedule through
 * its own scheduler role, the reports bucket (own KMS key, public access blocked, TLS only, no
 * versioning, 100-day expiry), the HMAC link key, and least privilege: the scheduler puts objects
 * and signs links, the reader (the alerts API) reads objects and verifies links, nothing more; cdk-nag
 * AwsSolutions clean (addPlatformChecks fails the synth on any unacknowledged finding).
 */
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPORT_ENV } from '#adapters/aws/report-files-wiring';
import { addPlatformChecks } from '../../infra/acknowledgements';
import { MetricStore } from '../../infra/constructs/metric-store';
import { PlatformFunction } from '../../infra/constructs/platform-function';
import { ReportScheduler } from '../../infra/constructs/report-scheduler';

let template: Template;
let stack: Stack;
let reports: ReportScheduler;
let reader: PlatformFunction;
let eraser: PlatformFunction;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new Stack(app, 'Reports-eu-west-1', { env: { account: '123456789012', region: 'eu-west-1' } });
  const logKey = new Key(stack, 'LogKey', { enableKeyRotation: true });
  const messagingKey = new Key(stack, 'MessagingKey', { enableKeyRotation: true });
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const metricStore = new MetricStore(stack, 'MetricStore', {
    kind: 'timestream',
    key: new Key(stack, 'StoreKey', { enableKeyRotation: true }),
    logKey,
    logRetentionDays: 30,
    magneticRetentionDays: 365,
  });
  const emailTopic = new Topic(stack, 'EmailTopic', { masterKey: messagingKey, enforceSSL: true });
  const deadLetterQueue = new Queue(stack, 'TargetDlq', {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: messagingKey,
    enforceSSL: true,
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: "The test stack's stand-in for the alerting targets' dead-letter queue: itself a DLQ.",
  });
  const newFunction = (id: string, props: ConstructorParameters<typeof PlatformFunction>[2]) =>
    new PlatformFunction(stack, id, props);
  reader = newFunction('Alerts', {
    entry: 'functions/alerts/handler.ts',
    serviceName: 'alerts',
    logKey,
    logRetentionDays: 30,
  });
  reports = new ReportScheduler(stack, 'Reports', {
    table,
    metricStore,
    emailTopic,
    reader,
    messagingKey,
    deadLetterQueue,
    newFunction: (id, props) => newFunction(id, { ...props, logKey, logRetentionDays: 30 }),
  });
  eraser = newFunction('Offboarding', {
    entry: 'functions/offboarding/handler.ts',
    serviceName: 'offboarding',
    logKey,
    logRetentionDays: 30,
  });
  reports.bindEraser(eraser);
  addPlatformChecks(app);
  app.synth();
  template = Template.fromStack(stack);
});

const ref = (c: { node: { defaultChild?: unknown } }) =>
  stack.resolve((c.node.defaultChild as CfnElement).logicalId) as string;

/** Every statement of the policies attached to a function's role. */
function statementsOf(fn: PlatformFunction): Statement[] {
  const role = ref(fn.fn.role as never);
  return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }))
    .flatMap((p) => (stack.resolve(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement)
    .map((s) => ({ ...s, Action: [s.Action].flat() as string[] }));
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => s.Action as string[]).sort();
const on = (statements: Statement[], logicalId: string) =>
  actionsOf(statements.filter((s) => JSON.stringify(s.Resource).includes(`"${logicalId}"`)));

describe('ReportScheduler construct', () => {
  it('runs hourly through its own scheduler role, retrying twice into the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [ref(reports.scheduler.fn), 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
      }),
    });
  });

  it('keeps PDFs in a private, KMS-encrypted, TLS-only, unversioned bucket that expires them after 100 days', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[ref(reports.bucket)]?.Properties;
    expect(bucket).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [ref(reports.bucketKey), 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ ExpirationInDays: 100, Status: 'Enabled' })],
      },
    });
    expect(bucket?.VersioningConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ref(reports.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
    });
  });

  it('lets the scheduler put PDFs and sign links, and nothing else on the bucket or keys', () => {
    const statements = statementsOf(reports.scheduler);
    expect(on(statements, ref(reports.bucket))).toEqual(['s3:PutObject']);
    expect(on(statements, ref(reports.bucketKey))).toEqual(['kms:GenerateDataKey']);
    expect(on(statements, ref(reports.linkKey))).toEqual(['kms:GenerateMac']);
    expect(actionsOf(statements)).toContain('sns:Publish');
    expect(
      actionsOf(statements).filter((a) => /Delete|s3:Get/.test(a) && !a.startsWith('dynamodb:')),
    ).toEqual([]);
    // Resource "*" only for X-Ray (and Timestream's endpoint discovery): IAM gives them no resource type.
    for (const s of statements.filter((s) => JSON.stringify(s.Resource) === '"*"'))
      for (const action of s.Action as string[])
        expect(action).toMatch(
          /^(xray:PutTraceSegments|xray:PutTelemetryRecords|timestream:DescribeEndpoints)$/,
        );
    const variables =
      template.findResources('AWS::Lambda::Function')[ref(reports.scheduler.fn)]?.Properties.Environment
        .Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([REPORT_ENV.bucket, REPORT_ENV.bucketKeyArn, REPORT_ENV.linkKeyArn]),
    );
  });

  it('lets the reader (alerts API) read PDFs and verify links only', () => {
    const statements = statementsOf(reader);
    expect(on(statements, ref(reports.bucket))).toEqual(['s3:GetObject']);
    expect(on(statements, ref(reports.bucketKey))).toEqual(['kms:Decrypt']);
    expect(on(statements, ref(reports.linkKey))).toEqual(['kms:VerifyMac']);
    const variables =
      template.findResources('AWS::Lambda::Function')[ref(reader.fn)]?.Properties.Environment.Variables;
    expect(variables[REPORT_ENV.linkKeyArn]).toEqual({ 'Fn::GetAtt': [ref(reports.linkKey), 'Arn'] });
  });

  it('lets the offboarding worker list, read and delete PDFs (export, erasure), never put or sign', () => {
    const statements = statementsOf(eraser);
    expect(on(statements, ref(reports.bucket))).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket']);
    expect(on(statements, ref(reports.bucketKey))).toEqual(['kms:Decrypt']);
    expect(on(statements, ref(reports.linkKey))).toEqual([]);
  });
});
