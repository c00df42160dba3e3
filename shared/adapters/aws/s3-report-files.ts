import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type ReportLinks, reportObjectKey, reportTenantPrefix } from '#adapters/crypto/report-links';
import type { Clock } from '#ports/clock';
import type { ReportFileAccess, ReportFiles } from '#ports/report-files';
import type { TenantDataHolder } from '#ports/tenant-data';
import { deleteUnderPrefix } from './s3-prefix';

/**
 * Seconds the store URL a link click is redirected to stays valid: made at click time with the
 * function's fresh credentials, long enough to start the download, too short to be worth sharing.
 */
export const REPORT_DOWNLOAD_TTL_SECONDS = 300;

/**
 * Reports in S3 under `<tenantId>/<key>`, SSE-KMS with the bucket's key (the bucket's lifecycle rule
 * expires them); links are report-links tokens, opened by a redirect to a 5-minute presigned GET.
 * Offboarding exports (base64) and erases the tenant's prefix.
 */
export class S3ReportFiles implements ReportFiles, TenantDataHolder {
  readonly dataName = 'reports';

  constructor(
    private readonly options: {
      readonly s3: S3Client;
      readonly bucket: string;
      readonly kmsKeyId: string;
      /** Absent in a function that only exports and erases (offboarding): it makes no links. */
      readonly links?: ReportLinks;
      readonly clock: Clock;
      readonly sign?: typeof getSignedUrl;
    },
  ) {}

  async put(tenantId: string, key: string, pdf: Buffer): Promise<string> {
    const { s3, bucket, kmsKeyId, links, clock } = this.options;
    if (!links) throw new Error('this function makes no report links');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: reportObjectKey(tenantId, key),
        Body: pdf,
        ContentType: 'application/pdf',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
        BucketKeyEnabled: true,
      }),
    );
    return links.link({ tenantId, key }, clock.now().getTime());
  }

  async fetch(tenantId: string, key: string): Promise<ReportFileAccess | undefined> {
    const { s3, bucket, sign = getSignedUrl } = this.options;
    const Key = reportObjectKey(tenantId, key);
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    } catch (error) {
      if ((error as Error).name === 'NotFound') return undefined;
      throw error;
    }
    const url = await sign(s3, new GetObjectCommand({ Bucket: bucket, Key }), {
      expiresIn: REPORT_DOWNLOAD_TTL_SECONDS,
    });
    return { kind: 'redirect', url };
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const { s3, bucket } = this.options;
    const prefix = reportTenantPrefix(tenantId);
    for await (const keys of this.pages(prefix))
      for (const Key of keys) {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const pdf = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
        yield { key: Key.slice(prefix.length), pdf: pdf.toString('base64') };
      }
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const { s3, bucket } = this.options;
    return (await deleteUnderPrefix(s3, bucket, reportTenantPrefix(tenantId), 'report files')).removed;
  }

  /** The keys under `prefix`, a listing page at a time. */
  private async *pages(prefix: string): AsyncIterable<string[]> {
    const { s3, bucket } = this.options;
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
      );
      yield (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
}
