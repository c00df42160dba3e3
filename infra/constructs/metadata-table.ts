/**
 * The metadata (tenant) table: one DynamoDB global table (TableV2) with a replica in every region,
 * single-table design (pk/sk strings, GSI gsi1 on gsi1pk/gsi1sk, see
 * shared/adapters/items/tenant-store-items.ts), on-demand, PITR, deletion protection, each replica
 * encrypted with its region's replica of one multi-region customer-managed key, TTL on `expiresAt`
 * (notification claims only), and an AWS Backup plan (daily and monthly) into a KMS-encrypted vault,
 * every recovery point copied to a vault in a second region (RegionKeysStack, BACKUP_COPY_VAULT_NAME).
 */
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { AttributeType, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { METADATA_TTL_ATTRIBUTE } from '#adapters/aws/dynamodb-notification-ledger';

export const TABLE_GSI1 = 'gsi1';
/** Tag the evidence checks read to tell customer data (confidential) from rebuildable state (ephemeral). */
export const DATA_CLASSIFICATION_TAG = 'data-classification';
const CONFIDENTIAL_TAG = { key: DATA_CLASSIFICATION_TAG, value: 'confidential' };

/** The vault in the backup copy region (named, so this stack can address it without a cross-region export). */
export const BACKUP_COPY_VAULT_NAME = 'obs-platform-metadata-backup-copy';

export interface MetadataTableProps {
  /** Multi-region primary key (this stack's region); replicas share its key id in other regions. */
  readonly tableKey: IKey;
  /** Regions other than this stack's that hold a replica (and a replica of tableKey). */
  readonly replicaRegions: readonly string[];
  /** Region whose BACKUP_COPY_VAULT_NAME vault receives a copy of every recovery point. */
  readonly backupCopyRegion: string;
}

export class MetadataTable extends Construct {
  readonly table: TableV2;
  readonly backupPlan: BackupPlan;
  readonly backupVault: BackupVault;

  constructor(scope: Construct, id: string, props: MetadataTableProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // A multi-region replica key has the primary's key id: its ARN differs only in the region.
    const replicaKeyArns = Object.fromEntries(
      props.replicaRegions.map((region) => [
        region,
        Arn.format({ service: 'kms', region, resource: 'key', resourceName: props.tableKey.keyId }, stack),
      ]),
    );
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: TABLE_GSI1,
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
      ],
      // Only notification claims carry it (they expire after days); no other item has the attribute.
      timeToLiveAttribute: METADATA_TTL_ATTRIBUTE,
      // Tags are per replica: every region carries the classification.
      replicas: props.replicaRegions.map((region) => ({ region, tags: [CONFIDENTIAL_TAG] })),
      encryption: TableEncryptionV2.customerManagedKey(props.tableKey, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      tags: [CONFIDENTIAL_TAG],
    });

    const vaultKey = new Key(this, 'BackupVaultKey', {
      description: 'AWS Backup vault for the metadata table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.backupVault = new BackupVault(this, 'Vault', {
      encryptionKey: vaultKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const copyVault = BackupVault.fromBackupVaultArn(
      this,
      'CopyVault',
      Arn.format(
        {
          service: 'backup',
          region: props.backupCopyRegion,
          resource: 'backup-vault',
          resourceName: BACKUP_COPY_VAULT_NAME,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      ),
    );
    this.backupPlan = new BackupPlan(this, 'Plan', {
      backupVault: this.backupVault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(35),
          copyActions: [{ destinationBackupVault: copyVault, deleteAfter: Duration.days(35) }],
        }),
        new BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: Schedule.cron({ day: '1', hour: '4', minute: '0' }),
          moveToColdStorageAfter: Duration.days(30),
          deleteAfter: Duration.days(365),
          copyActions: [
            {
              destinationBackupVault: copyVault,
              moveToColdStorageAfter: Duration.days(30),
              deleteAfter: Duration.days(365),
            },
          ],
        }),
      ],
    });
    const selection = this.backupPlan.addSelection('Table', {
      resources: [BackupResource.fromArn(this.table.tableArn)],
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: "AWS Backup's documented service policy for the role that takes the table's backups.",
    });
  }
}
