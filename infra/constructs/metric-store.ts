/**
 * A region's metric store: Timestream for LiveAnalytics (database + table, memory and magnetic
 * retention, customer-managed key) or Amazon Managed Service for Prometheus (a workspace with a
 * customer-managed key and logging). Functions get it through PlatformFunction.bindMetricStore, which
 * sets the environment the AWS wiring reads and grants on this store's ARN only.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { ENV } from '../../shared/adapters/aws/wiring';
import { LIMITS } from '../../shared/domain/metrics';
import type { MetricStoreKind } from '../config';

export type MetricStoreAccess = 'read' | 'write' | 'readWrite';

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
  /** ARN grants are scoped to: the Timestream table or the AMP workspace. */
  readonly storeArn: string;
  readonly timestreamDatabase?: CfnDatabase;
  readonly timestreamTable?: CfnTable;
  readonly workspace?: CfnWorkspace;

  constructor(scope: Construct, id: string, props: MetricStoreProps) {
    super(scope, id);
    this.kind = props.kind;
    if (props.kind === 'timestream') {
      const database = new CfnDatabase(this, 'Database', { kmsKeyId: props.key.keyArn });
      const table = new CfnTable(this, 'Table', {
        databaseName: database.ref,
        retentionProperties: {
          // The ingest validator accepts samples back to this horizon (LIMITS), so they land in memory.
          MemoryStoreRetentionPeriodInHours: String(LIMITS.memoryStoreRetentionHours),
          MagneticStoreRetentionPeriodInDays: String(props.magneticRetentionDays),
        },
      });
      table.addResourceDependency(database);
      for (const resource of [database, table])
        Validations.of(resource).acknowledge({
          id: 'CloudFormation-Validate::W3697',
          reason:
            'Timestream for LiveAnalytics is in maintenance mode; the customer asked for it where it exists and ' +
            'the account has it. Accounts without it deploy with -c metricStore=amp (DESIGN.md).',
        });
      // Metric history is customer data: survive stack deletion (disposal is a runbook step).
      database.applyRemovalPolicy(RemovalPolicy.RETAIN);
      table.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.timestreamDatabase = database;
      this.timestreamTable = table;
      this.storeArn = table.attrArn;
      this.environment = {
        [ENV.metricStore]: 'timestream',
        [ENV.timestreamDatabase]: database.ref,
        [ENV.timestreamTable]: table.attrName,
        [ENV.timestreamRetention]: `${props.magneticRetentionDays} days`,
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
    const read = access === 'read' || access === 'readWrite';
    const write = access === 'write' || access === 'readWrite';
    const actions: string[] = [];
    if (this.kind === 'timestream') {
      if (write) actions.push('timestream:WriteRecords');
      if (read) actions.push('timestream:Select');
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
