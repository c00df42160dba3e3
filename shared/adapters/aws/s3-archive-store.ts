import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ARCHIVE_ID_PATTERN,
  type ArchiveDownload,
  type ArchiveSink,
  type ArchiveStore,
} from '#ports/archive-store';

/** Seconds a download link stays valid. */
export const ARCHIVE_URL_TTL_SECONDS = 900;
/** S3's smallest part (all but the last); also what one export holds in memory at most, about. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Offboarding archives in S3 (bucket encrypted with the platform's KMS key, SSE-KMS; lifecycle rule
 * expires them; CDK). Downloads are short-lived presigned GETs, handed out only to the provider.
 */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly sign: typeof getSignedUrl = getSignedUrl,
    /** Bytes per part (all but the last); at least MIN_PART_BYTES. */
    private readonly partBytes: number = 8 * 1024 * 1024,
  ) {
    if (partBytes < MIN_PART_BYTES) throw new Error(`S3 parts are at least ${MIN_PART_BYTES} bytes`);
  }

  /**
   * A multipart upload: chunks gather into parts of partBytes, each sent with its SHA-256 (S3 checks
   * it on receipt) as soon as it is full, so memory holds one part whatever the archive's size.
   */
  async open(archiveId: string): Promise<ArchiveSink> {
    const Key = this.key(archiveId);
    const { Bucket, s3, partBytes } = { Bucket: this.bucket, s3: this.s3, partBytes: this.partBytes };
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket,
        Key,
        ContentType: 'application/gzip',
        ServerSideEncryption: 'aws:kms',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error('S3 CreateMultipartUpload answered without an upload id');
    const parts: CompletedPart[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const Body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const PartNumber = parts.length + 1;
      const ChecksumSHA256 = createHash('sha256').update(Body).digest('base64');
      const uploaded = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body, ChecksumSHA256 }),
      );
      parts.push({ ETag: uploaded.ETag, PartNumber, ChecksumSHA256 });
    };
    return {
      async write(chunk) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= partBytes) await flush();
      },
      async close() {
        if (pendingBytes > 0 || parts.length === 0) await flush();
        await s3.send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
        );
        return { location: `s3://${Bucket}/${Key}` };
      },
      async abort() {
        pending = [];
        await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
      },
    };
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
