/**
 * The global part, deployed in this order (stack dependencies enforce it):
 *   1. GlobalKeys (primary region): multi-region primary keys for the table and for envelope encryption.
 *   2. Keys-<region> (every other region): replicas of those keys, so each table replica and each
 *      region's functions use a key in their own region with the same key material.
 *   3. GlobalTable (primary region): the DynamoDB global table with a replica per region, backups.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { BackupVault } from 'aws-cdk-lib/aws-backup';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnReplicaKey, Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { BACKUP_COPY_VAULT_NAME, MetadataTable } from '../constructs/metadata-table';

export class GlobalKeysStack extends Stack {
  /** Encrypts the metadata table (every replica uses this key's replica in its region). */
  readonly tableKey: Key;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const mrk = (name: string, description: string) =>
      new Key(this, name, {
        description,
        multiRegion: true,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.tableKey = mrk('TableKey', 'Metadata table (multi-region primary)');
  }
}

export interface RegionKeysStackProps extends StackProps {
  readonly primaryTableKeyArn: string;
  /** This region holds the copy of the metadata table's backups (a vault of its own, own key). */
  readonly backupCopyVault?: boolean;
}

export class RegionKeysStack extends Stack {
  readonly tableKeyArn: string;

  constructor(scope: Construct, id: string, props: RegionKeysStackProps) {
    super(scope, id, props);
    // Same policy shape as the primaries: the account administers, IAM policies grant use.
    const policy = () =>
      new PolicyDocument({
        statements: [
          new PolicyStatement({
            principals: [new AccountRootPrincipal()],
            actions: ['kms:*'],
            resources: ['*'],
          }),
        ],
      });
    const table = new CfnReplicaKey(this, 'TableKey', {
      primaryKeyArn: props.primaryTableKeyArn,
      description: 'Metadata table (multi-region replica)',
      keyPolicy: policy(),
    });
    table.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.tableKeyArn = table.attrArn;
    if (props.backupCopyVault) {
      // A region's outage or a lost primary vault key does not take the only backups with it.
      new BackupVault(this, 'BackupCopyVault', {
        backupVaultName: BACKUP_COPY_VAULT_NAME,
        encryptionKey: new Key(this, 'BackupCopyVaultKey', {
          description: 'AWS Backup copy vault for the metadata table (second region)',
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }
}

export interface GlobalTableStackProps extends StackProps {
  readonly tableKey: Key;
  readonly replicaRegions: readonly string[];
  /** Region of the vault (RegionKeysStack backupCopyVault) every backup is copied to. */
  readonly backupCopyRegion: string;
}

export class GlobalTableStack extends Stack {
  readonly metadata: MetadataTable;

  constructor(scope: Construct, id: string, props: GlobalTableStackProps) {
    super(scope, id, props);
    this.metadata = new MetadataTable(this, 'Metadata', {
      tableKey: props.tableKey,
      replicaRegions: props.replicaRegions,
      backupCopyRegion: props.backupCopyRegion,
    });
  }
}
