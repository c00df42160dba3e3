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
import { CfnDatabase } from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { ENV } from '#adapters/aws/wiring';
import type { MetricStoreKind } from '../config';

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

  constructor(scope: Construct, id: string, props: MetricStoreProps) {
    super(scope, id);
    this.kind = props.kind;
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
      this.environment = {
        [ENV.metricStore]: 'timestream',
        [ENV.timestreamDatabase]: database.ref,
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
