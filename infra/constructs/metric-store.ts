/**
 * A region's metric store: Timestream for LiveAnalytics (a database with a customer-managed key, one
 * table per tenant created at runtime with memory and magnetic retention) or Amazon Managed Service for Prometheus (a workspace with a
 * customer-managed key and logging). Functions get it through PlatformFunction.bindMetricStore, which
 * sets the environment the AWS wiring reads and grants on this store's ARN only.
 */
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { CfnDatabase } from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { MAGNETIC_REJECTIONS_PREFIX } from '#adapters/aws/timestream-tables';
import { ENV } from '#adapters/aws/wiring';

/** Request-metrics filter id of the magnetic-rejection reports (the ops alarm reads it). */
export const MAGNETIC_REJECTIONS_FILTER_ID = 'MagneticRejections';

import type { MetricStoreKind } from '../config';
import { customerDataBucketProps } from './archive-bucket';

/**
 * `write` (ingest, replay): write, and create a tenant's table on its first write. `read`: query.
 * `readErase` (offboarding): query and drop a tenant's table (on AMP, the same as `read`).
 */
export type MetricStoreAccess = 'read' | 'write' | 'readWrite' | 'readErase';

export interface MetricStoreProps {
  readonly kind: MetricStoreKind;
  /** Customer-managed key for data at rest in the store. */
  readonly key: IKey;
  /** Key for the AMP workspace's log group. */
  readonly logKey: IKey;
  readonly logRetentionDays: number;
  /** Long-term retention in days: Timestream magnetic store, or the AMP workspace's retention. */
  readonly magneticRetentionDays: number;
}

export class MetricStore extends Construct {
  readonly kind: MetricStoreKind;
  /** The variables PlatformFunction.bindMetricStore sets (names from shared/adapters/aws/wiring ENV). */
  readonly environment: Readonly<Record<string, string>>;
  /** ARN grants are scoped to: the Timestream database's tables (`database/<db>/table/*`) or the AMP workspace. */
  readonly storeArn: string;
  readonly timestreamDatabase?: CfnDatabase;
  readonly workspace?: CfnWorkspace;
  /**
   * Timestream: where tenant tables report records refused on magnetic-store writes (late points);
   * KMS-encrypted with the store's key, private, TLS only, reports kept 30 days (customer data).
   */
  readonly magneticRejections?: Bucket;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: MetricStoreProps) {
    super(scope, id);
    this.kind = props.kind;
    this.key = props.key;
    if (props.kind === 'timestream') {
      // Only the database: each tenant's table is created in it by the functions, on the tenant's first
      // write (shared/adapters/aws/timestream-tables.ts), with the retention below, so that
      // Timestream's per-table limits are per tenant and offboarding can drop a tenant's table.
      const database = new CfnDatabase(this, 'Database', { kmsKeyId: props.key.keyArn });
      Validations.of(database).acknowledge({
        id: 'CloudFormation-Validate::W3697',
        reason:
          'Timestream for LiveAnalytics is closed to new accounts; this region is on it only because the ' +
          'deployer opted in with -c timestreamRegions (the default is AMP everywhere, DESIGN.md).',
      });
      // Metric history is customer data: survive stack deletion (disposal is a runbook step).
      database.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.timestreamDatabase = database;
      // The tenant tables of this database, and nothing else: tables are named per tenant at runtime.
      this.storeArn = Stack.of(this).formatArn({
        service: 'timestream',
        resource: 'database',
        resourceName: `${database.ref}/table/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      // The reports hold tenant samples: customer data, 30 days.
      this.magneticRejections = new Bucket(this, 'MagneticRejections', {
        ...customerDataBucketProps(props.key, 30, 'ExpireReports'),
        // PutRequests under the prefix: the ops alarm at the first report.
        metrics: [{ id: MAGNETIC_REJECTIONS_FILTER_ID, prefix: MAGNETIC_REJECTIONS_PREFIX }],
      });
      Validations.of(this.magneticRejections).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Only Timestream writes here (rejection reports of tenant tables) and an alarm fires at the first one; ' +
          'S3 server access logs can only target a bucket without SSE-KMS, which this platform does not keep.',
      });
      this.environment = {
        [ENV.metricStore]: 'timestream',
        [ENV.timestreamDatabase]: database.ref,
        [ENV.timestreamRejectedBucket]: this.magneticRejections.bucketName,
        [ENV.timestreamRejectedKeyArn]: props.key.keyArn,
        // Memory-store retention is LIMITS.memoryStoreRetentionHours on both sides (the ingest horizon).
        [ENV.timestreamMagneticRetentionDays]: String(props.magneticRetentionDays),
      };
    } else {
      const logGroup = new LogGroup(this, 'WorkspaceLogs', {
        retention: props.logRetentionDays,
        encryptionKey: props.logKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const workspace = new CfnWorkspace(this, 'Workspace', {
        kmsKeyArn: props.key.keyArn,
        loggingConfiguration: { logGroupArn: logGroup.logGroupArn },
        // Same long-term horizon as Timestream's magnetic store; also bounds what offboarding exports.
        workspaceConfiguration: { retentionPeriodInDays: props.magneticRetentionDays },
      });
      workspace.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.workspace = workspace;
      this.storeArn = workspace.attrArn;
      this.environment = {
        [ENV.metricStore]: 'amp',
        [ENV.ampRetentionDays]: String(props.magneticRetentionDays),
        [ENV.ampWorkspaceUrl]: `https://aps-workspaces.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/workspaces/${workspace.attrWorkspaceId}`,
      };
    }
  }

  /** Least privilege: actions on this store's ARN; only Timestream endpoint discovery has no resource. */
  grant(grantee: IGrantable, access: MetricStoreAccess): void {
    const read = access === 'read' || access === 'readWrite' || access === 'readErase';
    const write = access === 'write' || access === 'readWrite';
    const actions: string[] = [];
    if (this.kind === 'timestream') {
      // CreateTable/DescribeTable: a tenant's table is created by its first write (1 CRUD call per second
      // per account, so not on every cold start); DeleteTable only for offboarding.
      if (write)
        actions.push('timestream:WriteRecords', 'timestream:CreateTable', 'timestream:DescribeTable');
      if (read) actions.push('timestream:Select');
      if (access === 'readErase') actions.push('timestream:DeleteTable');
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [this.storeArn] }),
      );
      // Creating a table names its rejection-report location: Timestream checks the creator may write
      // there (objects under the prefix, with the bucket's key), and nothing else of the bucket.
      if (write && this.magneticRejections) {
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['s3:PutObject'],
            resources: [this.magneticRejections.arnForObjects(`${MAGNETIC_REJECTIONS_PREFIX}*`)],
          }),
        );
        grantee.grantPrincipal.addToPrincipalPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
            resources: [this.magneticRejections.bucketArn],
          }),
        );
        this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
      }
      // DescribeEndpoints has no resource type (IAM requires "*"); it only returns endpoint host names.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['timestream:DescribeEndpoints'],
          resources: ['*'],
        }),
      );
    } else {
      if (write) actions.push('aps:RemoteWrite');
      if (read) actions.push('aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata');
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [this.storeArn] }),
      );
    }
  }
}
