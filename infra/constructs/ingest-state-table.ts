/**
 * The regional ingest-state table behind the guardrails (shared/adapters/aws/guardrails-wiring.ts):
 * token buckets, active series, HA leaders, idempotency records and usage counters. Regional, not
 * global: the counters are per region by design and replicating them would only add write cost.
 * Items expire through the TTL attribute `expiresAt`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DATA_CLASSIFICATION_TAG } from './metadata-table';

export const INGEST_STATE_TTL_ATTRIBUTE = 'expiresAt';

export interface IngestStateTableProps {
  readonly key: IKey;
}

export class IngestStateTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: IngestStateTableProps) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: INGEST_STATE_TTL_ATTRIBUTE,
      encryption: TableEncryptionV2.customerManagedKey(props.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Short-lived counters, rebuilt from traffic: no deletion protection, but never silently dropped.
      removalPolicy: RemovalPolicy.RETAIN,
      tags: [{ key: DATA_CLASSIFICATION_TAG, value: 'ephemeral' }],
    });
  }
}
