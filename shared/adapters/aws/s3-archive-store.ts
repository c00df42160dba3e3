import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ARCHIVE_ID_PATTERN, type ArchiveDownload, type ArchiveStore } from '#ports/archive-store';

/** Seconds a download link stays valid. */
export const ARCHIVE_URL_TTL_SECONDS = 900;

/**
 * Offboarding archives in S3 (bucket encrypted with the platform's KMS key, SSE-KMS; lifecycle rule
 * expires them; CDK). Downloads are short-lived presigned GETs, handed out only to the provider.
 */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly sign: typeof getSignedUrl = getSignedUrl,
  ) {}

  async put(archiveId: string, body: Buffer): Promise<{ location: string }> {
    const key = this.key(archiveId);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/gzip',
        ServerSideEncryption: 'aws:kms',
      }),
    );
    return { location: `s3://${this.bucket}/${key}` };
  }

  async download(archiveId: string): Promise<ArchiveDownload | undefined> {
    if (!ARCHIVE_ID_PATTERN.test(archiveId)) return undefined;
    const key = this.key(archiveId);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as Error).name === 'NotFound') return undefined;
      throw error;
    }
    const url = await this.sign(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: ARCHIVE_URL_TTL_SECONDS,
    });
    return { kind: 'redirect', url };
  }

  private key(archiveId: string): string {
    if (!ARCHIVE_ID_PATTERN.test(archiveId)) throw new Error('not an archive id');
    return `offboarding/${archiveId}.jsonl.gz`;
  }
}
