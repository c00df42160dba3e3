/**
 * Offboarding archives (shared/adapters/aws/s3-archive-store.ts): a tenant's exported data, written by
 * the admin function and handed to the provider as 15-minute presigned links. Customer-managed KMS,
 * all public access blocked, TLS enforced, objects expire after `expireAfterDays`.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketProps,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ArchiveBucketProps {
  readonly key: IKey;
  /** Days an archive is kept before S3 deletes it (disposal, C1.2). */
  readonly expireAfterDays: number;
}

/**
 * A bucket of customer data: customer-managed KMS (bucket key), all public access blocked, owner
 * enforced, TLS 1.2 only, objects expiring after `expireAfterDays` (rule `ruleId`), kept past stack
 * deletion (removed only by the lifecycle rule).
 */
export const customerDataBucketProps = (key: IKey, expireAfterDays: number, ruleId: string): BucketProps => ({
  encryption: BucketEncryption.KMS,
  encryptionKey: key,
  bucketKeyEnabled: true,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  lifecycleRules: [
    {
      id: ruleId,
      expiration: Duration.days(expireAfterDays),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
  ],
  removalPolicy: RemovalPolicy.RETAIN,
});

export class ArchiveBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    // Archives are tenant data: never deleted with the stack, only by their lifecycle rule.
    this.bucket = new Bucket(
      this,
      'Bucket',
      customerDataBucketProps(props.key, props.expireAfterDays, 'ExpireArchives'),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the admin function reads or writes archives, and every offboarding is recorded in the audit log; ' +
        'S3 server access logs can only target a bucket without SSE-KMS, which this platform does not keep.',
    });
  }
}
