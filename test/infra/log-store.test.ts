/**
 * infra/constructs/log-store.ts alone, in a probe stack: the bucket, stream, Glue table and
 * workgroup as the adapter and docs/logs.md expect them, least-privilege grants per access, and
 * cdk-nag AwsSolutions clean (with the platform's rule-shaped acknowledgements) before any synth.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIREHOSE_PARTITION_QUERY, FIREHOSE_PREFIX, LOG_TABLE_COLUMNS } from '#adapters/aws/athena-log-table';
import { acknowledgeRuleShapedFindings } from '../../infra/acknowledgements';
import { LOG_BYTES_SCANNED_CUTOFF, LogStore, type LogStoreAccess } from '../../infra/constructs/log-store';

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

describe('LogStore construct', () => {
  let app: App;
  let stack: Stack;
  let template: Template;
  const roles = {} as Record<LogStoreAccess, Role>;

  beforeAll(() => {
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new Stack(app, 'Probe', { env: { region: 'eu-west-1', account: '123456789012' } });
    const store = new LogStore(stack, 'LogStore', {
      retentionDays: 30,
      logRetentionDays: 90,
      logKey: new Key(stack, 'LogKey', { enableKeyRotation: true }),
    });
    for (const access of ['ingest', 'search', 'erase'] as const) {
      roles[access] = new Role(stack, `${access}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      });
      store.grant(roles[access], access);
    }
    template = Template.fromStack(stack);
  });

  function actionsOf(access: LogStoreAccess): string[] {
    const id = stack.getLogicalId(roles[access].node.defaultChild as never);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: id }] },
    });
    return Object.values(policies).flatMap((p) =>
      (p['Properties'].PolicyDocument.Statement as Statement[]).flatMap((s) =>
        Array.isArray(s.Action) ? s.Action : [s.Action],
      ),
    );
  }

  it('keeps lines in an encrypted, private, unversioned bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'ExpireLogLines', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Id: 'ExpireQueryResults', Prefix: 'athena-results/', ExpirationInDays: 1 }),
        ]),
      },
      VersioningConfiguration: Match.absent(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('partitions by tenant and hour, de-aggregates records and converts them to Parquet', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: FIREHOSE_PREFIX,
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 128 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'RecordDeAggregation',
              Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
            },
            {
              Type: 'MetadataExtraction',
              Parameters: [
                { ParameterName: 'MetadataExtractionQuery', ParameterValue: FIREHOSE_PARTITION_QUERY },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        DataFormatConversionConfiguration: Match.objectLike({
          Enabled: true,
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
          SchemaConfiguration: Match.objectLike({ TableName: 'log_lines', VersionId: 'LATEST' }),
        }),
      }),
    });
  });

  it('declares the Glue table the adapter queries, with injected tenant and hourly projection', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'log_lines',
        PartitionKeys: [
          { Name: 'tenant', Type: 'string' },
          { Name: 'event_hour', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.tenant.type': 'injected',
          'projection.event_hour.type': 'date',
          'projection.event_hour.format': 'yyyy-MM-dd-HH',
          'projection.event_hour.range': 'NOW-30DAYS,NOW+1DAYS',
          'projection.event_hour.interval.unit': 'HOURS',
        }),
        StorageDescriptor: Match.objectLike({
          Columns: LOG_TABLE_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
        }),
      }),
    });
  });

  it('caps bytes scanned per query and encrypts results in the enforced workgroup', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: LOG_BYTES_SCANNED_CUTOFF,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() },
        },
      }),
    });
  });

  it('grants each function only what its access needs', () => {
    expect(actionsOf('ingest')).toEqual(['firehose:PutRecordBatch']);
    const search = actionsOf('search');
    expect(search).toEqual(
      expect.arrayContaining(['athena:StartQueryExecution', 'glue:GetTable', 's3:GetObject']),
    );
    expect(search).not.toContain('s3:DeleteObject');
    expect(search).not.toContain('firehose:PutRecordBatch');
    expect(actionsOf('erase')).toContain('s3:DeleteObject');
  });

  it('passes cdk-nag AwsSolutions with the platform acknowledgements', () => {
    acknowledgeRuleShapedFindings(app);
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
  });
});
