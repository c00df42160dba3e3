import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERT_ENV } from '#adapters/aws/eventbridge-alert-wiring';
import { ENV } from '#adapters/aws/wiring';
import { REGION_ENV } from '#domain/region';
import { ROUTES } from '#http/routes';
import { ACTIONS_WITHOUT_RESOURCE_TYPES, starStatementIsJustified } from '../../infra/acknowledgements';
import { DEFAULT_CONFIG } from '../../infra/config';
import { REPO_ROOT } from '../../infra/constructs/platform-function';
import { REPORT_FILE_EXPIRY_DAYS } from '../../infra/constructs/report-scheduler';
import { WEBSITE_PROBE_FUNCTION_NAME } from '../../infra/constructs/website-checks';
import { type CfnTemplate, deadLetterQueueIds } from '../../infra/evidence/checks';
import { HTTP_FUNCTIONS } from '../../infra/functions';
import { STACK_PREFIX } from '../../infra/platform';
import { type SynthedPlatform, synthPlatform, TEST_CONFIG } from './support';

const REGIONS = TEST_CONFIG.regions.map((r) => r.region);
const TIMESTREAM_REGIONS = ['us-west-2', 'us-east-1', 'eu-west-1', 'ap-southeast-2'];

let synthed: SynthedPlatform;
beforeAll(() => {
  synthed = synthPlatform();
});

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function statementsOf(region: string, roleLogicalIdPrefix?: string): Statement[] {
  const policies = synthed.regional(region).findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => {
      if (!roleLogicalIdPrefix) return true;
      const roles = (p.Properties as { Roles: { Ref: string }[] }).Roles.map((r) => r.Ref);
      return roles.some((r) => r.startsWith(roleLogicalIdPrefix));
    })
    .flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

function logicalId(region: string, construct: { node: { defaultChild?: unknown } }): string {
  const stack = synthed.platform.regional.get(region)!;
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/**
 * The admin role's statements but those on its own on-failure queue (its notice fan-out runs are
 * asynchronous self-invocations; Lambda sends a failed one there).
 */
function adminStatementsBesideFailureQueue(region: string): Statement[] {
  const stack = synthed.platform.regional.get(region)!;
  const admin = stack.functions.admin;
  const failureQueue = stack.getLogicalId(admin.failureQueue!.node.defaultChild as never);
  return statementsOf(region, logicalId(region, admin.fn.role!)).filter(
    (s) => !JSON.stringify(s.Resource).includes(failureQueue),
  );
}

/** The ARN pattern of the tables of a region's Timestream metrics database, as the grants name it. */
function timestreamTablesArn(region: string) {
  const stack = synthed.platform.regional.get(region)!;
  const database = stack.getLogicalId(stack.metricStore.timestreamDatabase!);
  return {
    'Fn::Join': [
      '',
      [
        `arn:aws:timestream:${region}:`,
        { Ref: 'AWS::AccountId' },
        ':database/',
        { Ref: database },
        '/table/*',
      ],
    ],
  };
}

describe('stacks', () => {
  it('synthesizes one regional stack per configured region plus the global part and the console', () => {
    const ids = synthed.assembly.stacks.map((s) => s.stackName).sort();
    expect(ids).toEqual(
      [
        ...REGIONS.map((r) => `${STACK_PREFIX}-${r}`),
        `${STACK_PREFIX}-ConsoleIdentity`,
        `${STACK_PREFIX}-ConsoleSite`,
        `${STACK_PREFIX}-GlobalKeys`,
        `${STACK_PREFIX}-GlobalTable`,
        ...REGIONS.filter((r) => r !== 'us-west-2').map((r) => `${STACK_PREFIX}-Keys-${r}`),
      ].sort(),
    );
    for (const region of REGIONS)
      expect(synthed.assembly.getStackByName(`${STACK_PREFIX}-${region}`).environment.region).toBe(region);
  });

  it('passes references through props (no hand-written Fn.importValue in infra/)', () => {
    const sources = readdirSync(resolve(REPO_ROOT, 'infra'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(resolve(REPO_ROOT, 'infra', f), 'utf8'));
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) expect(source).not.toMatch(/Fn\.importValue\(/);
  });

  it("keeps every stack under CloudFormation's 500 resources, with room to grow", () => {
    for (const stack of synthed.assembly.stacks) {
      const count = Object.keys((stack.template as { Resources: object }).Resources).length;
      expect(count, stack.stackName).toBeLessThan(450);
    }
  });

  it('gives tables, functions, topics and queues no fixed physical names', () => {
    for (const stack of synthed.assembly.stacks) {
      const resources = (stack.template as { Resources: Record<string, { Type: string; Properties?: Json }> })
        .Resources;
      for (const resource of Object.values(resources)) {
        const props = resource.Properties ?? {};
        if (resource.Type === 'AWS::DynamoDB::GlobalTable') expect(props.TableName).toBeUndefined();
        // The website probe alone is named: every region's checks function invokes it by ARN.
        if (resource.Type === 'AWS::Lambda::Function' && props.FunctionName !== WEBSITE_PROBE_FUNCTION_NAME)
          expect(props.FunctionName).toBeUndefined();
        if (resource.Type === 'AWS::SNS::Topic') expect(props.TopicName).toBeUndefined();
        // The offboarding queue alone is named: the admin API of every region addresses it by name.
        if (resource.Type === 'AWS::SQS::Queue' && props.QueueName !== 'obs-platform-offboarding')
          expect(props.QueueName).toBeUndefined();
      }
    }
  });
});

describe('metric store per region', () => {
  it('puts eu-west-2 on Amazon Managed Service for Prometheus with a customer-managed key and logging', () => {
    const t = synthed.regional('eu-west-2');
    t.resourceCountIs('AWS::Timestream::Database', 0);
    t.hasResourceProperties('AWS::APS::Workspace', {
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysMetricStoreKey'), 'Arn'] },
      LoggingConfiguration: { LogGroupArn: Match.anyValue() },
      WorkspaceConfiguration: { RetentionPeriodInDays: TEST_CONFIG.magneticRetentionDays },
    });
  });

  it('keeps Timestream where it exists: a database with a CMK, tables per tenant created by the functions with its retention', () => {
    for (const region of TIMESTREAM_REGIONS) {
      const stack = synthed.platform.regional.get(region)!;
      const t = synthed.regional(region);
      t.resourceCountIs('AWS::APS::Workspace', 0);
      t.hasResourceProperties('AWS::Timestream::Database', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysMetricStoreKey'), 'Arn'] },
      });
      // No shared table: each tenant's is created at runtime (memory retention is LIMITS' on both sides).
      t.resourceCountIs('AWS::Timestream::Table', 0);
      const ingest = t.findResources('AWS::Lambda::Function')[logicalId(region, stack.functions.ingest.fn)]!;
      const env = (ingest.Properties as { Environment: { Variables: Json } }).Environment.Variables;
      expect(env[ENV.timestreamMagneticRetentionDays]).toBe(String(TEST_CONFIG.magneticRetentionDays));
      expect(env[ENV.timestreamDatabase]).toEqual({
        Ref: stack.getLogicalId(stack.metricStore.timestreamDatabase!),
      });
    }
  });

  it('grants Timestream actions on the tables of the metrics database only, each function what it needs', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const tablesArn = timestreamTablesArn(region);
    const timestream = statementsOf(region).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('timestream:') && a !== 'timestream:DescribeEndpoints'),
    );
    expect(timestream.length).toBeGreaterThan(0);
    for (const s of timestream) expect(s.Resource).toEqual(tablesArn);
    const actions = (fn: { fn: { role?: unknown } }) =>
      actionsOf(statementsOf(region, logicalId(region, fn.fn.role as never))).filter(
        (a) => a.startsWith('timestream:') && a !== 'timestream:DescribeEndpoints',
      );
    const tableCrud = ['timestream:CreateTable', 'timestream:DescribeTable', 'timestream:DeleteTable'];
    expect(actions(stack.functions.ingest).sort()).toEqual(
      ['timestream:CreateTable', 'timestream:DescribeTable', 'timestream:WriteRecords'].sort(),
    );
    expect(actions(stack.ingestSpill.replay).sort()).toEqual(
      ['timestream:CreateTable', 'timestream:DescribeTable', 'timestream:WriteRecords'].sort(),
    );
    expect(actions(stack.functions.api)).toEqual(['timestream:Select']);
    expect(actions(stack.functions.alerts)).toEqual(['timestream:Select']);
    // Offboarding's erasure is the worker's (it drops the tenant's table); the admin API reads nothing.
    expect(actions(stack.offboarding.worker).sort()).toEqual(['timestream:DeleteTable', 'timestream:Select']);
    // The admin API reads every tenant's series for the anonymised benchmarks; it writes none.
    expect(actions(stack.functions.admin)).toEqual(['timestream:Select']);
    for (const fn of Object.values(stack.functions))
      if (fn !== stack.functions.ingest) expect(actions(fn).filter((a) => tableCrud.includes(a))).toEqual([]);
  });

  it('runs offboarding parts from a named, CMK-encrypted queue with a DLQ; the admin API may only send to it', () => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const template = synthed.regional(region);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'obs-platform-offboarding',
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(region, stack.offboarding.worker.fn) },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const send = adminStatementsBesideFailureQueue(region).filter((s) =>
      actionsOf([s]).includes('sqs:SendMessage'),
    );
    expect(send).toHaveLength(1);
    expect(JSON.stringify(send[0]!.Resource)).toContain(':eu-west-1:');
    expect((send[0]!.Resource as unknown[]).length).toBe(REGIONS.length);
    // The queue key: this account's principals, through SQS in this region only.
    const keyPolicies = Object.values(template.findResources('AWS::KMS::Key')).map((k) =>
      JSON.stringify((k as { Properties: { KeyPolicy: unknown } }).Properties.KeyPolicy),
    );
    expect(keyPolicies.some((p) => p.includes('"kms:ViaService":"sqs.eu-west-2.amazonaws.com"'))).toBe(true);
    const worker = actionsOf(statementsOf(region, logicalId(region, stack.offboarding.worker.fn.role!)));
    expect(worker).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 's3:PutObject', 's3:Abort*']));
  });

  it('lets the offboarding worker remove (never add) subscriptions on the region’s e-mail topic only', () => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const topicRef = { Ref: logicalId(region, stack.alerting.emailTopic) };
    const sns = statementsOf(region, logicalId(region, stack.offboarding.worker.fn.role!)).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('sns:')),
    );
    expect(sns).toEqual([
      { Effect: 'Allow', Action: ['sns:ListSubscriptionsByTopic', 'sns:Unsubscribe'], Resource: topicRef },
    ]);
    synthed.regional(region).hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Description: "Offboarding worker: exports and erases this region's share of a tenant",
      Environment: { Variables: Match.objectLike({ [ALERT_ENV.emailTopicArn]: topicRef }) },
    });
  });

  it('gives Timestream tables a magnetic-rejection bucket: KMS, private, TLS only, watched, writable by table creators only', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const t = synthed.regional(region);
    const bucket = stack.metricStore.magneticRejections!;
    const bucketId = logicalId(region, bucket);
    expect(t.findResources('AWS::S3::Bucket')[bucketId]?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^KeysMetricStoreKey/), 'Arn'] },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      MetricsConfigurations: [{ Id: 'MagneticRejections', Prefix: 'magnetic-rejections/' }],
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const env = (fn: { fn: unknown }) =>
      (
        t.findResources('AWS::Lambda::Function')[logicalId(region, fn.fn as never)]!.Properties as {
          Environment: { Variables: Json };
        }
      ).Environment.Variables;
    for (const fn of [stack.functions.ingest, stack.ingestSpill.replay]) {
      expect(env(fn)[ENV.timestreamRejectedBucket]).toEqual({ Ref: bucketId });
      expect(env(fn)[ENV.timestreamRejectedKeyArn]).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^KeysMetricStoreKey/), 'Arn'],
      });
    }
    // Only the functions that create tables may put reports, under the prefix only; none may read them.
    const s3 = (fn: { fn: { role?: unknown } }) =>
      statementsOf(region, logicalId(region, fn.fn.role as never)).filter((st) =>
        actionsOf([st]).some((a) => a.startsWith('s3:') && JSON.stringify(st.Resource).includes(bucketId)),
      );
    for (const fn of [stack.functions.ingest, stack.ingestSpill.replay]) {
      const statements = s3(fn);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/magnetic-rejections/*']] },
        }),
      );
      expect(actionsOf(statements).sort()).toEqual([
        's3:GetBucketAcl',
        's3:GetBucketLocation',
        's3:PutObject',
      ]);
    }
    for (const fn of [stack.functions.api, stack.functions.alerts, stack.functions.admin])
      expect(s3(fn)).toEqual([]);
    // AMP regions have no such bucket.
    expect(synthed.platform.regional.get('eu-west-2')!.metricStore.magneticRejections).toBeUndefined();
  });

  it('pages at the first Timestream magnetic-rejection report and the first sample the spill replay dead-letters', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const t = synthed.regional(region);
    const onCall = [{ Ref: logicalId(region, stack.ops.onCallTopic) }];
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: 'PutRequests',
      Dimensions: Match.arrayWith([
        { Name: 'BucketName', Value: { Ref: logicalId(region, stack.metricStore.magneticRejections!) } },
        { Name: 'FilterId', Value: 'MagneticRejections' },
      ]),
      Threshold: 0,
      EvaluationPeriods: 1,
      AlarmActions: onCall,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SpillReplayDeadLetteredSamples',
      Dimensions: [{ Name: 'service', Value: 'replay' }],
      Threshold: 0,
      EvaluationPeriods: 1,
      AlarmActions: onCall,
    });
  });

  it('lets the spill replay write dead letters only (DEADLETTER# partitions) and park refused-for-now samples again', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const replay = statementsOf(region, logicalId(region, stack.ingestSpill.replay.fn.role as never));
    const writes = replay.filter((st) =>
      actionsOf([st]).some((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)),
    );
    expect(writes).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEADLETTER#*'] } },
      }),
    ]);
    expect(actionsOf(replay)).toContain('sqs:SendMessage');
  });

  it('grants aps:RemoteWrite / aps:QueryMetrics on the workspace ARN only', () => {
    const stack = synthed.platform.regional.get('eu-west-2')!;
    const workspace = stack.getLogicalId(stack.metricStore.workspace!);
    const aps = statementsOf('eu-west-2').filter((s) => actionsOf([s]).some((a) => a.startsWith('aps:')));
    expect(aps.length).toBeGreaterThan(0);
    for (const s of aps) expect(s.Resource).toEqual({ 'Fn::GetAtt': [workspace, 'Arn'] });
    const ingest = statementsOf('eu-west-2', logicalId('eu-west-2', stack.functions.ingest.fn.role!));
    expect(actionsOf(ingest)).toContain('aps:RemoteWrite');
    expect(actionsOf(ingest)).not.toContain('aps:QueryMetrics');
    const api = statementsOf('eu-west-2', logicalId('eu-west-2', stack.functions.api.fn.role!));
    expect(actionsOf(api)).toContain('aps:QueryMetrics');
    expect(actionsOf(api)).not.toContain('aps:RemoteWrite');
  });

  it('puts every region on AMP by default (what a new account can deploy): no Timestream, no W3697 acknowledged', () => {
    const amp = synthPlatform({ ...DEFAULT_CONFIG, onCallEmail: 'oncall@example.com' }, { nag: false });
    for (const region of REGIONS) {
      amp.regional(region).resourceCountIs('AWS::APS::Workspace', 1);
      amp.regional(region).resourceCountIs('AWS::Timestream::Database', 0);
      const stack = amp.platform.regional.get(region)!;
      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => (c.node.metadata ?? []).map((m) => JSON.stringify(m.data)))
        .filter((d) => d.includes('W3697'));
      expect(acknowledged, region).toEqual([]);
    }
  }, 180_000);

  it('refuses to synthesize Timestream in eu-west-2, naming the constraint', () => {
    const config = {
      ...TEST_CONFIG,
      regions: TEST_CONFIG.regions.map((r) => ({ ...r, metricStore: 'timestream' as const })),
    };
    expect(() => synthPlatform(config, { nag: false })).toThrow(
      /eu-west-2.*Timestream for LiveAnalytics \(AWS::Timestream::Database\) does not exist in eu-west-2/s,
    );
  });
});

describe('functions', () => {
  it('run nodejs24.x on ARM64 with active tracing, their own encrypted log group and the ENV names', () => {
    for (const region of REGIONS) {
      const stack = synthed.platform.regional.get(region)!;
      const t = synthed.regional(region);
      for (const [name, fn] of Object.entries(stack.functions)) {
        const resource = t.findResources('AWS::Lambda::Function')[logicalId(region, fn.fn)]!;
        const props = resource.Properties as Json;
        expect(props.Runtime, name).toBe('nodejs24.x');
        expect(props.Architectures).toEqual(['arm64']);
        expect(props.TracingConfig).toEqual({ Mode: 'Active' });
        // Responses and errors carry secrets: never trace metadata (shared/http/tracing.ts).
        const env = (props.Environment as { Variables: Json }).Variables;
        expect(env.POWERTOOLS_TRACER_CAPTURE_RESPONSE, name).toBe('false');
        expect(env.POWERTOOLS_TRACER_CAPTURE_ERROR, name).toBe('false');
        // A reservation can fail the deploy on a new account (quota 10, 10 must stay unreserved).
        expect(props.ReservedConcurrentExecutions, name).toBeUndefined();
        expect(props.LoggingConfig).toMatchObject({ LogGroup: { Ref: logicalId(region, fn.logGroup) } });
        // Tenants without a recorded home live in the primary region; each function serves its own.
        expect(env[REGION_ENV.defaultHomeRegion], name).toBe(DEFAULT_CONFIG.primaryRegion);
      }
      const ingestEnv = (
        t.findResources('AWS::Lambda::Function')[logicalId(region, stack.functions.ingest.fn)]!
          .Properties as {
          Environment: { Variables: Json };
        }
      ).Environment.Variables;
      expect(Object.keys(ingestEnv)).toEqual(
        expect.arrayContaining([ENV.tableName, ENV.metricStore, ENV.spillQueueUrl]),
      );
      if (region === 'eu-west-2') {
        expect(ingestEnv[ENV.metricStore]).toBe('amp');
        expect(ingestEnv[ENV.ampWorkspaceUrl]).toBeDefined();
      } else {
        expect(ingestEnv[ENV.metricStore]).toBe('timestream');
        expect(Object.keys(ingestEnv)).toEqual(
          expect.arrayContaining([ENV.timestreamDatabase, ENV.timestreamMagneticRetentionDays]),
        );
      }
    }
  });

  it('has no IAM statement with Resource "*" except for actions IAM cannot scope', () => {
    let kmsCreateKey = 0;
    for (const region of REGIONS) {
      for (const s of statementsOf(region)) {
        const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        if (!resources.includes('*')) continue;
        expect(starStatementIsJustified(s), JSON.stringify(s)).toBe(true);
        for (const action of actionsOf([s])) {
          if (ACTIONS_WITHOUT_RESOURCE_TYPES.has(action)) continue;
          // Tenant keys: CreateKey only with the tenant tag pinned in the request.
          expect(['kms:CreateKey', 'kms:TagResource']).toContain(action);
          expect(JSON.stringify((s as { Condition?: unknown }).Condition)).toContain(
            'aws:RequestTag/obs:tenant',
          );
          kmsCreateKey++;
        }
      }
    }
    expect(kmsCreateKey).toBeGreaterThan(0);
  });

  it('scopes tenant-key use to tagged keys in the platform regions; only admin manages them', () => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const keyStatements = (fn: keyof typeof stack.functions) =>
      statementsOf(region, logicalId(region, stack.functions[fn].fn.role!)).filter((s) =>
        JSON.stringify(s.Resource).includes(':key/*'),
      );
    for (const s of [...keyStatements('api'), ...keyStatements('admin')]) {
      expect(JSON.stringify((s as { Condition?: unknown }).Condition)).toContain(
        'aws:ResourceTag/obs:tenant',
      );
      expect((s.Resource as unknown[]).length).toBe(REGIONS.length);
    }
    expect(actionsOf(keyStatements('api'))).not.toContain('kms:ScheduleKeyDeletion');
    expect(actionsOf(keyStatements('admin'))).toContain('kms:ScheduleKeyDeletion');
    expect(actionsOf(keyStatements('admin'))).toContain('kms:EnableKeyRotation');
    expect(keyStatements('ingest')).toEqual([]);
    const adminEnv = (
      synthed.regional(region).findResources('AWS::Lambda::Function')[
        logicalId(region, stack.functions.admin.fn)
      ]!.Properties as { Environment: { Variables: Json } }
    ).Environment.Variables;
    expect(adminEnv[ENV.kmsReplicaRegions]).toBe(REGIONS.filter((r) => r !== region).join(','));
    expect(adminEnv[ENV.archiveBucket]).toEqual({ Ref: logicalId(region, stack.archives.bucket) });
    expect(adminEnv[ENV.platformRegions]).toBe(REGIONS.join(','));
  });

  it('lets tenant-key users call only GenerateDataKey/Decrypt, with exactly the {tenant, field} context', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const use = statementsOf(region, logicalId(region, stack.functions.api.fn.role!)).filter((s) =>
      JSON.stringify(s.Resource).includes(':key/*'),
    ) as (Statement & { Condition: Json })[];
    expect(use).toHaveLength(1);
    expect(actionsOf(use).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(use[0]!.Condition).toEqual({
      Null: { 'aws:ResourceTag/obs:tenant': 'false', 'kms:EncryptionContext:tenant': 'false' },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'field'] },
      // The key's tenant tag must be the tenant the data is encrypted for, not just present.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
      StringEquals: { 'kms:EncryptionContext:tenant': '${aws:ResourceTag/obs:tenant}' },
    });
  });

  it('lets ingest append audit events and metric metadata, count failed authentications and nothing else in the metadata table', () => {
    const region = 'us-east-1';
    const stack = synthed.platform.regional.get(region)!;
    const tableArn = JSON.stringify(
      synthed.template(`${STACK_PREFIX}-GlobalTable`).findResources('AWS::DynamoDB::GlobalTable'),
    );
    expect(tableArn).toBeTruthy();
    const writes = (
      statementsOf(region, logicalId(region, stack.functions.ingest.fn.role!)) as (Statement & {
        Condition?: Json;
      })[]
    ).filter((s) =>
      actionsOf([s]).some((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)),
    );
    const onMetadata = writes.filter((s) => s.Condition !== undefined);
    expect(onMetadata.map((s) => [actionsOf([s]).sort(), s.Condition])).toEqual([
      [['dynamodb:PutItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } }],
      [['dynamodb:UpdateItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUTHFAIL#*'] } }],
      [
        ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['METRICMETA#*'] } },
      ],
    ]);
  });

  it('lets the query function take and give back query leases on the ingest-state table, and touch nothing else there', () => {
    const region = 'us-east-1';
    const stack = synthed.platform.regional.get(region)!;
    const query = stack.functions.query;
    const fn = synthed.regional(region).findResources('AWS::Lambda::Function')[logicalId(region, query.fn)]!;
    const env = (fn.Properties as { Environment: { Variables: Json } }).Environment.Variables;
    expect(env.INGEST_STATE_TABLE).toEqual({ Ref: logicalId(region, stack.ingestState.table) });
    const onIngestState = (
      statementsOf(region, logicalId(region, query.fn.role!)) as (Statement & { Condition?: Json })[]
    ).filter(
      (s) =>
        actionsOf([s]).some((a) => a.startsWith('dynamodb:')) &&
        JSON.stringify(s.Resource).includes(logicalId(region, stack.ingestState.table)),
    );
    expect(onIngestState.map((s) => [actionsOf([s]).sort(), s.Condition])).toEqual([
      [
        ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['QUERYLEASE#*'] } },
      ],
    ]);
  });

  it('sweeps log retention daily: reads the table, deletes log objects, writes nothing to the table', () => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const sweep = stack.logRetention.sweep;
    const fn = synthed.regional(region).findResources('AWS::Lambda::Function')[logicalId(region, sweep.fn)]!;
    const env = (fn.Properties as { Environment: { Variables: Json } }).Environment.Variables;
    expect(env.LOG_STORE_RETENTION_DAYS).toBe(String(TEST_CONFIG.logDataRetentionDays ?? 30));
    const actions = actionsOf(statementsOf(region, logicalId(region, sweep.fn.role!)));
    expect(actions).toContain('s3:DeleteObject');
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    synthed.regional(region).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(region, sweep.fn), 'Arn'] } }),
    });
  });

  it('lets the replay function read tenant status in the metadata table (TABLE_NAME) and write nothing to it but dead letters', () => {
    for (const region of ['us-west-2', 'eu-west-2']) {
      const stack = synthed.platform.regional.get(region)!;
      const replay = stack.ingestSpill.replay;
      const fn = synthed.regional(region).findResources('AWS::Lambda::Function')[
        logicalId(region, replay.fn)
      ]!;
      const env = (fn.Properties as { Environment: { Variables: Json } }).Environment.Variables;
      expect(env[ENV.tableName]).toBeDefined();
      const dynamodb = actionsOf(statementsOf(region, logicalId(region, replay.fn.role!))).filter((a) =>
        a.startsWith('dynamodb:'),
      );
      expect(dynamodb).toContain('dynamodb:GetItem');
      // PutItem only in DEADLETTER# partitions (the next test checks the condition).
      expect(
        dynamodb.filter((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)),
      ).toEqual(['dynamodb:PutItem']);
    }
  });

  it('gives the provider token only to the functions the registry names, and store access only where declared', () => {
    const region = 'us-east-1';
    const stack = synthed.platform.regional.get(region)!;
    const secret = stack.getLogicalId(stack.providerTokenSecret.node.defaultChild as never);
    const readers = Object.entries(stack.functions).filter(([, fn]) =>
      statementsOf(region, logicalId(region, fn.fn.role!)).some(
        (s) =>
          actionsOf([s]).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(s.Resource).includes(secret),
      ),
    );
    const expected = Object.entries(HTTP_FUNCTIONS)
      .filter(([, spec]) => spec.providerToken)
      .map(([name]) => name);
    expect(expected).toContain('admin');
    expect(expected).not.toContain('ingest');
    expect(readers.map(([name]) => name).sort()).toEqual(expected.sort());
    const ingest = actionsOf(statementsOf(region, logicalId(region, stack.functions.ingest.fn.role!)));
    expect(ingest.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    const admin = actionsOf(adminStatementsBesideFailureQueue(region));
    // The admin API only queues offboarding parts (by name, in each region); it writes no metrics.
    expect(admin.filter((a) => /^(sqs:|timestream:WriteRecords|aps:RemoteWrite)/.test(a))).toEqual([
      'sqs:SendMessage',
    ]);
    expect(ingest).toContain('timestream:WriteRecords');
    expect(ingest).not.toContain('timestream:Select');
  });

  it('lets the admin API read metrics for the benchmarks and publish notices on the e-mail topic, exactly', () => {
    for (const region of REGIONS) {
      const stack = synthed.platform.regional.get(region)!;
      const admin = statementsOf(region, logicalId(region, stack.functions.admin.fn.role!));
      const metricStatements = admin.filter((s) => actionsOf([s]).some((a) => /^(timestream|aps):/.test(a)));
      const sns = admin.filter((s) => actionsOf([s]).some((a) => a.startsWith('sns:')));
      const metricStore = stack.metricStore;
      if (metricStore.timestreamDatabase) {
        expect(metricStatements).toEqual([
          {
            Action: ['timestream:DescribeEndpoints', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
            Effect: 'Allow',
            Resource: '*',
          },
          {
            Action: 'timestream:Select',
            Effect: 'Allow',
            Resource: timestreamTablesArn(region),
          },
        ]);
      } else {
        expect(metricStatements).toEqual([
          {
            Action: ['aps:GetLabels', 'aps:GetMetricMetadata', 'aps:GetSeries', 'aps:QueryMetrics'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [expect.stringMatching(/^MetricStoreWorkspace/), 'Arn'] },
          },
        ]);
      }
      const topic = stack.getLogicalId(stack.alerting.emailTopic.node.defaultChild as never);
      expect(sns).toEqual([{ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topic } }]);
      // The topic is encrypted with the messaging key: publishing needs its data key.
      const messagingKey = stack.getLogicalId(stack.keys.messaging.node.defaultChild as never);
      const kms = admin.filter((s) => JSON.stringify(s.Resource).includes(messagingKey));
      expect(actionsOf(kms)).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']));
      const env = (
        synthed.regional(region).toJSON().Resources[logicalId(region, stack.functions.admin.fn)] as {
          Properties: { Environment: { Variables: Record<string, unknown> } };
        }
      ).Properties.Environment.Variables;
      expect(env[ALERT_ENV.emailTopicArn]).toEqual({ Ref: topic });
      expect(env[ENV.metricStore]).toBe(metricStore.timestreamDatabase ? 'timestream' : 'amp');
    }
  });

  it('lets the admin function invoke itself (its own ARN only) for notice fan-outs, failures queued', () => {
    for (const region of REGIONS) {
      const stack = synthed.platform.regional.get(region)!;
      const admin = stack.functions.admin;
      const fnId = logicalId(region, admin.fn);
      const invokes = statementsOf(region).filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
      const own = invokes.filter((s) => JSON.stringify(s.Resource).includes(fnId));
      expect(own).toEqual([
        { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      ]);
      // Only the admin role holds that statement, in a policy of its own (no dependency cycle).
      const policy = synthed.regional(region).toJSON().Resources[
        stack.getLogicalId(stack.noticeFanout.policy.node.defaultChild as never)
      ] as { Properties: { Roles: { Ref: string }[] } };
      expect(policy.Properties.Roles).toEqual([{ Ref: logicalId(region, admin.fn.role!) }]);
      const template = synthed.regional(region);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Provider admin API'),
        RecursiveLoop: 'Allow',
      });
      const failureQueue = stack.getLogicalId(admin.failureQueue!.node.defaultChild as never);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } } },
      });
    }
  });

  it('lets each function write only to its own log group', () => {
    const region = 'us-west-2';
    const stack = synthed.platform.regional.get(region)!;
    for (const fn of Object.values(stack.functions)) {
      const logs = statementsOf(region, logicalId(region, fn.fn.role!)).filter((s) =>
        actionsOf([s]).some((a) => a.startsWith('logs:')),
      );
      expect(logs).toEqual([
        expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalId(region, fn.logGroup), 'Arn'] } }),
      ]);
    }
    synthed.regional(region).resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.anyValue() })]) },
      // Only API Gateway's account-level logging role keeps a managed policy.
      1,
    );
  });
});

describe('ingest API', () => {
  it('builds one method per ROUTES entry, integrated with the function the route names', () => {
    const region = 'eu-west-1';
    const stack = synthed.platform.regional.get(region)!;
    const t = synthed.regional(region);
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    for (const route of ROUTES) {
      const fnId = logicalId(region, stack.functions[route.function].fn);
      const match = methods.filter(
        (m) =>
          (m.Properties as Json).HttpMethod === route.method &&
          JSON.stringify((m.Properties as Json).Integration).includes(fnId),
      );
      expect(match.length, `${route.method} ${route.path}`).toBeGreaterThanOrEqual(1);
    }
    const lambdaMethods = methods.filter(
      (m) => (m.Properties as { Integration: Json }).Integration.Type === 'AWS_PROXY',
    );
    expect(lambdaMethods).toHaveLength(ROUTES.length);
  });

  it('is a regional REST API with binary bodies, access logs, throttling and X-Ray', () => {
    const t = synthed.regional('us-east-1');
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: TEST_CONFIG.apiThrottle.rateLimit,
          ThrottlingBurstLimit: TEST_CONFIG.apiThrottle.burstLimit,
        }),
      ]),
    });
    t.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
  });

  it('is fronted by a WAF web ACL with AWS managed rules, a per-IP rate rule and logging', () => {
    const t = synthed.regional('ap-southeast-2');
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }),
          },
        }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet' }),
          },
        }),
        Match.objectLike({
          Statement: {
            RateBasedStatement: { Limit: TEST_CONFIG.wafRateLimitPer5Min, AggregateKeyType: 'IP' },
          },
          Action: { Block: {} },
        }),
      ]),
    });
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    // Binary bodies (snappy, protobuf, gzip) never meet the Common Rule Set's body rules: the group
    // applies to every route but the ingest routes (label values like http://10.0.0.1:9100 match RFI).
    const rules = (Object.values(t.findResources('AWS::WAFv2::WebACL'))[0]!.Properties as { Rules: Json[] })
      .Rules;
    const common = rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet') as {
      Statement: { ManagedRuleGroupStatement: { ScopeDownStatement: Json } };
    };
    const ingestPaths = ROUTES.filter((r) => r.function === 'ingest').map((r) => r.path);
    expect(ingestPaths.length).toBeGreaterThan(0);
    expect(common.Statement.ManagedRuleGroupStatement.ScopeDownStatement).toEqual({
      NotStatement: {
        Statement: {
          OrStatement: {
            Statements: ingestPaths.map((path) => ({
              ByteMatchStatement: {
                FieldToMatch: { UriPath: {} },
                PositionalConstraint: 'ENDS_WITH',
                SearchString: path,
                TextTransformations: [{ Priority: 0, Type: 'NONE' }],
              },
            })),
          },
        },
      },
    });
    // The WAF log group's name changes with each stack instance: a retained group from a deleted
    // stack never blocks a redeploy.
    const wafLogs = Object.values(t.findResources('AWS::Logs::LogGroup')).filter((g) =>
      JSON.stringify(g.Properties).includes('aws-waf-logs-'),
    );
    expect(wafLogs).toHaveLength(1);
    expect(JSON.stringify(wafLogs[0]!.Properties)).toContain('AWS::StackId');
    t.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
  });

  it('adds a TLS 1.2 custom domain and Route 53 latency records with health checks when configured', () => {
    const recordName = 'ingest.example.com';
    const withDns = synthPlatform(
      {
        ...TEST_CONFIG,
        regions: TEST_CONFIG.regions.map((r) => ({
          ...r,
          customDomain: {
            domainName: recordName,
            certificateArn: `arn:aws:acm:${r.region}:123456789012:certificate/abc`,
          },
        })),
        latencyRouting: { hostedZoneId: 'Z123', zoneName: 'example.com', recordName },
      },
      { nag: false },
    );
    const t = withDns.regional('eu-west-1');
    t.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: recordName,
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `${recordName}.`,
      Region: 'eu-west-1',
      SetIdentifier: 'eu-west-1',
      HealthCheckId: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ Type: 'HTTPS', ResourcePath: '/live/health' }),
    });
    // A second synth of the whole platform (13 stacks): past 30 s on a busy 2-core machine.
  }, 120_000);
});

describe('regional endpoints', () => {
  /** A resolved value as text: Fn::Join pieces joined, a Ref as <name>. */
  const text = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
    if (o.Ref) return `<${o.Ref}>`;
    if (o['Fn::Join']) return o['Fn::Join'][1].map(text).join(o['Fn::Join'][0]);
    return JSON.stringify(v);
  };
  /** The platform functions' environments (those the stack gives DEFAULT_HOME_REGION), resolved. */
  const envsOf = (platform: SynthedPlatform, region: string) =>
    Object.values(platform.regional(region).findResources('AWS::Lambda::Function'))
      .map((f) => (f.Properties as { Environment?: { Variables?: Json } }).Environment?.Variables)
      .filter((vars): vars is Json => vars?.[REGION_ENV.defaultHomeRegion] !== undefined);

  it('tells every function its own API Gateway URL and the served regions when no domain is configured', () => {
    for (const region of REGIONS) {
      const apiId = Object.keys(synthed.regional(region).findResources('AWS::ApiGateway::RestApi'))[0]!;
      const url = `https://<${apiId}>.execute-api.${region}.<AWS::URLSuffix>/live`;
      const envs = envsOf(synthed, region);
      expect(envs.length, region).toBeGreaterThan(5);
      for (const env of envs) {
        expect(env[REGION_ENV.regions], region).toBe(REGIONS.join(','));
        expect(env[REGION_ENV.domain], region).toBeUndefined();
        expect(text(env[REGION_ENV.endpoints]), region).toBe(
          JSON.stringify({ [region]: { ingest: url, api: url } }),
        );
      }
    }
  });

  it('names custom domains per region and sets PLATFORM_DOMAIN when the deployment has one', () => {
    const two = ['us-west-2', 'eu-west-2'];
    const withDomain = synthPlatform(
      {
        ...TEST_CONFIG,
        platformDomain: 'obs.example.com',
        regions: TEST_CONFIG.regions
          .filter((r) => two.includes(r.region))
          .map((r) =>
            r.region === 'eu-west-2'
              ? {
                  ...r,
                  customDomain: {
                    domainName: 'metrics.eu.example.net',
                    certificateArn: 'arn:aws:acm:eu-west-2:123456789012:certificate/abc',
                  },
                }
              : r,
          ),
      },
      { nag: false },
    );
    for (const region of two) {
      const envs = envsOf(withDomain, region);
      expect(envs.length, region).toBeGreaterThan(5);
      for (const env of envs) {
        expect(env[REGION_ENV.domain], region).toBe('obs.example.com');
        expect(env[REGION_ENV.regions], region).toBe('us-west-2,eu-west-2');
        expect(JSON.parse(env[REGION_ENV.endpoints] as string), region).toEqual({
          'eu-west-2': { ingest: 'https://metrics.eu.example.net', api: 'https://metrics.eu.example.net' },
        });
      }
    }
  }, 180_000);
});

describe('global part', () => {
  it('has a global table with a PITR, deletion-protected replica in every region, pk/sk and gsi1', () => {
    const t = synthed.template(`${STACK_PREFIX}-GlobalTable`);
    const table = Object.values(t.findResources('AWS::DynamoDB::GlobalTable'))[0]!;
    const props = table.Properties as {
      Replicas: {
        Region: string;
        PointInTimeRecoverySpecification?: Json;
        DeletionProtectionEnabled?: boolean;
        SSESpecification: { KMSMasterKeyId: unknown };
      }[];
      KeySchema: unknown;
      GlobalSecondaryIndexes: { IndexName: string; KeySchema: unknown }[];
      SSESpecification: Json;
      TimeToLiveSpecification?: Json;
    };
    expect(table.DeletionPolicy).toBe('Retain');
    expect(props.Replicas.map((r) => r.Region).sort()).toEqual([...REGIONS].sort());
    for (const replica of props.Replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(replica.DeletionProtectionEnabled).toBe(true);
      // Each replica names a key in its own region (the multi-region replica of the table key).
      if (replica.Region === 'us-west-2')
        expect(JSON.stringify(replica.SSESpecification)).toContain('TableKey');
      else
        expect(JSON.stringify(replica.SSESpecification.KMSMasterKeyId)).toContain(`:kms:${replica.Region}:`);
    }
    expect(props.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    // Notification claims expire (the only items with the attribute); TTL applies to every replica.
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(props.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(props.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
      }),
    ]);
  });

  it('encrypts the table with a multi-region rotated primary key, replicated into every other region', () => {
    const keys = synthed.template(`${STACK_PREFIX}-GlobalKeys`);
    keys.resourcePropertiesCountIs('AWS::KMS::Key', { MultiRegion: true, EnableKeyRotation: true }, 1);
    for (const region of REGIONS.filter((r) => r !== 'us-west-2'))
      synthed.template(`${STACK_PREFIX}-Keys-${region}`).hasResourceProperties('AWS::KMS::ReplicaKey', {
        PrimaryKeyArn: Match.anyValue(),
      });
  });

  it('backs the table up daily and monthly into a KMS-encrypted vault', () => {
    const t = synthed.template(`${STACK_PREFIX}-GlobalTable`);
    t.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: Match.anyValue() });
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({ RuleName: 'Daily', Lifecycle: { DeleteAfterDays: 35 } }),
          Match.objectLike({ RuleName: 'Monthly' }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({
        Resources: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^MetadataTable'), 'Arn'] }],
      }),
    });
  });
});

describe('encryption at rest', () => {
  it('encrypts every log group, topic, queue, secret and store with a customer-managed, rotated key', () => {
    for (const stack of synthed.assembly.stacks) {
      const t = synthed.template(stack.stackName);
      for (const [id, r] of Object.entries(t.findResources('AWS::Logs::LogGroup')))
        expect((r.Properties as Json).KmsKeyId, `${stack.stackName}/${id}`).toBeDefined();
      for (const [id, r] of Object.entries(t.findResources('AWS::SNS::Topic')))
        expect((r.Properties as Json).KmsMasterKeyId, `${stack.stackName}/${id}`).toBeDefined();
      for (const [id, r] of Object.entries(t.findResources('AWS::SQS::Queue')))
        expect((r.Properties as Json).KmsMasterKeyId, `${stack.stackName}/${id}`).toBeDefined();
      for (const [id, r] of Object.entries(t.findResources('AWS::SecretsManager::Secret')))
        expect((r.Properties as Json).KmsKeyId, `${stack.stackName}/${id}`).toBeDefined();
      // KMS cannot rotate HMAC keys (the report-link key, infra/constructs/report-scheduler.ts).
      for (const [id, r] of Object.entries(t.findResources('AWS::KMS::Key')))
        if (!String((r.Properties as Json).KeySpec ?? '').startsWith('HMAC_'))
          expect((r.Properties as Json).EnableKeyRotation, `${stack.stackName}/${id}`).toBe(true);
      for (const [id, r] of Object.entries(t.findResources('AWS::S3::Bucket'))) {
        expect(r.Properties, id).toMatchObject({
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() },
              },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        });
        // Customer data expires; the console's public files (tagged DataClassification=public) do not.
        const tags = ((r.Properties as Json).Tags ?? []) as { Key: string; Value: string }[];
        if (!tags.some((tag) => tag.Key === 'DataClassification' && tag.Value === 'public'))
          expect((r.Properties as Json).LifecycleConfiguration, id).toMatchObject({
            // (The log store's bucket adds a one-day rule for its Athena query results.)
            Rules: expect.arrayContaining([
              // Report PDFs outlive their 30-day links (REPORT_FILE_EXPIRY_DAYS).
              expect.objectContaining({
                ExpirationInDays: id.startsWith('ReportScheduler') ? REPORT_FILE_EXPIRY_DAYS : 30,
                Status: 'Enabled',
              }),
            ]),
          });
        t.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    }
  });

  it("lets CloudWatch, EventBridge and SNS use the messaging key only for this account's alarms, rules and topics here", () => {
    for (const region of REGIONS) {
      const keys = synthed.regional(region).findResources('AWS::KMS::Key', {
        Properties: { Description: 'SNS topics and SQS queues' },
      });
      expect(Object.keys(keys), region).toHaveLength(1);
      const stack = synthed.platform.regional.get(region)!;
      const policy = stack.resolve(Object.values(keys)[0]!.Properties.KeyPolicy) as {
        Statement: { Principal?: { Service?: string }; Condition?: Json; Action: unknown }[];
      };
      const withService = policy.Statement.filter((s) => s.Principal?.Service) as {
        Sid?: string;
        Principal: { Service: string };
        Condition?: Json;
      }[];
      const bySid = Object.fromEntries(withService.map((s) => [s.Sid, s]));
      const arn = (resource: string, service: string) => ({
        'Fn::Join': ['', [`arn:aws:${service}:${region}:`, { Ref: 'AWS::AccountId' }, `:${resource}`]],
      });
      for (const [service, sid, resource] of [
        ['cloudwatch', 'CloudWatchAlarmsOfThisAccountOnly', 'alarm:*'],
        ['events', 'EventBridgeRulesOfThisAccountOnly', 'rule/*'],
        ['sns', 'SnsTopicsOfThisAccountOnly', '*'],
      ] as const) {
        expect(bySid[sid]?.Principal.Service, `${region} ${sid}`).toBe(`${service}.amazonaws.com`);
        expect(bySid[sid]!.Condition, `${region} ${service}`).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': arn(resource, service) },
        });
      }
    }
  });

  it('gives every queue a dead-letter queue, or alarms on it as a terminal dead-letter queue', () => {
    for (const region of REGIONS) {
      const template = synthed.assembly.getStackByName(`${STACK_PREFIX}-${region}`).template as CfnTemplate;
      const dlqs = deadLetterQueueIds(template);
      expect(dlqs.size).toBeGreaterThan(0);
      const alarms = JSON.stringify(synthed.regional(region).findResources('AWS::CloudWatch::Alarm'));
      const queues = synthed.regional(region).findResources('AWS::SQS::Queue');
      for (const [id, q] of Object.entries(queues)) {
        const hasDlq = (q.Properties as Json).RedrivePolicy !== undefined;
        const terminalAndAlarmed = alarms.includes(`"${id}"`);
        expect(hasDlq || terminalAndAlarmed, id).toBe(true);
        if (dlqs.has(id)) expect(terminalAndAlarmed, `${id} is a DLQ`).toBe(true);
      }
    }
  });
});

describe('operations', () => {
  it('alarms on every operational signal into the encrypted on-call topic, notices into their own', () => {
    const region = 'us-west-2';
    const t = synthed.regional(region);
    const stack = synthed.platform.regional.get(region)!;
    const topic = logicalId(region, stack.ops.onCallTopic);
    const noticesTopic = logicalId(region, stack.ops.noticesTopic);
    const alarms = Object.entries(t.findResources('AWS::CloudWatch::Alarm'));
    // Informational alarms (worth a look, not a page) notify the notices topic only.
    const informational = alarms.filter(([id]) => /SpillReplayDroppedBatches/.test(id));
    expect(informational).toHaveLength(1);
    for (const [id, alarm] of alarms)
      expect((alarm.Properties as Json).AlarmActions, id).toEqual([
        { Ref: informational.some(([i]) => i === id) ? noticesTopic : topic },
      ]);
    const names = alarms.map(([id]) => id).join(' ');
    for (const signal of [
      'Api5xx',
      'ApiLatencyP99',
      'DatapointRejectionRate',
      'StoreRejectedRecords',
      'IngestThrottled',
      'AlertEvaluatorLag',
      'NotificationFailures',
      'AlertEventsPending',
      'AlertEventsDeadLettered',
      'NotificationConfirmFailures',
      'SpillReplayDroppedBatches',
      'IngestErrors',
      'IngestThrottles',
      'IngestSpillDlqDepth',
    ])
      expect(names).toContain(signal);
    for (const id of [topic, noticesTopic])
      expect(t.findResources('AWS::SNS::Topic')[id]?.Properties).toMatchObject({
        KmsMasterKeyId: expect.anything(),
      });
  });

  /** eu-west-2 has an alarm on any `metric` of `service` summed over `periodSeconds`, notifying `topic`. */
  const expectAlarmOnAny = (
    metric: string,
    service: string,
    periodSeconds: number,
    topic: 'onCallTopic' | 'noticesTopic',
    more: Record<string, unknown> = {},
  ) => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    synthed.regional(region).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ObservabilityPlatform',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: service }],
      Statistic: 'Sum',
      Period: periodSeconds,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      ...more,
      AlarmActions: [{ Ref: logicalId(region, stack.ops[topic]) }],
    });
  };

  it('alarms at the first notification that was sent but could not be recorded as sent', () => {
    expectAlarmOnAny('NotificationConfirmFailures', 'notifier', 300, 'onCallTopic');
  });

  it('pages at the first alert event dead-lettered by any function that runs the alert engine', () => {
    const region = 'eu-west-2';
    const stack = synthed.platform.regional.get(region)!;
    const perService = (id: string, service: string) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'ObservabilityPlatform',
          MetricName: 'AlertEventsDeadLettered',
          Dimensions: [{ Name: 'service', Value: service }],
        },
        Period: 300,
        Stat: 'Sum',
      },
    });
    synthed.regional(region).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(e, 0) + FILL(i, 0) + FILL(a, 0)' }),
        perService('e', 'alert-evaluator'),
        perService('i', 'ingest'),
        perService('a', 'alert-engine'),
      ]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      AlarmActions: [{ Ref: logicalId(region, stack.ops.onCallTopic) }],
    });
  });

  it('raises an informational alarm, not a page, when the spill replay drops batches in 15 minutes', () => {
    expectAlarmOnAny('SpillReplayDroppedBatches', 'replay', 900, 'noticesTopic', {
      AlarmDescription: Match.stringLikeRegexp('^Informational: '),
    });
  });

  it('draws the dashboard from the shared EMF names, namespace and tenant dimension', () => {
    const t = synthed.regional('eu-west-2');
    const dashboard = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!;
    const body = JSON.stringify((dashboard.Properties as Json).DashboardBody);
    for (const name of [
      'DatapointsAccepted',
      'DatapointsRejected',
      'StoreRejectedRecords',
      'AlertEvaluatorLagSeconds',
      'NotificationFailures',
      'AlertEventsPending',
      'NotificationsDeduplicated',
      'NotificationConfirmFailures',
      'SpillReplayDroppedBatches',
    ])
      expect(body).toContain(name);
    // The dropped-batches graph sits with the spill queue's: after the replay's errors and DLQ depth.
    const titles = [...body.matchAll(/\\+"title\\+":\\+"([^"\\]+)/g)].map((m) => m[1]);
    const spillWidgets = ['replay: errors / throttles', 'DLQ depth: ingest-spill'].map((title) =>
      titles.indexOf(title),
    );
    const dropped = titles.indexOf('Spill replay: batches dropped (tenant offboarded)');
    expect(spillWidgets.every((i) => i >= 0)).toBe(true);
    expect(dropped).toBe(Math.max(...spillWidgets) + 1);
    // The spill queue's depth, the graph the local provider view draws from SpillQueueDepth.
    expect(titles[dropped + 1]).toBe('Spill queue depth (batches parked)');
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('ObservabilityPlatform');
    expect(body).toContain('GROUP BY tenant');
    for (const perTenant of ['SamplesAccepted', 'SamplesDiscarded', 'TenantLimitWarning'])
      expect(body).toMatch(
        new RegExp(`\\(${perTenant}\\) FROM SCHEMA\\(\\\\+"ObservabilityPlatform\\\\+", service, tenant`),
      );
    expect(body).toContain('p99');
  });
});
