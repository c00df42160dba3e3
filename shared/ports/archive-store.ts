/** Where offboarding puts a tenant's export for the provider to download and hand over. */
export type ArchiveDownload = { kind: 'bytes'; body: Buffer } | { kind: 'redirect'; url: string };

/**
 * One archive being written, chunk by chunk, so an export of any size runs in constant memory
 * (S3: a multipart upload; local: a file renamed into place when closed).
 */
export interface ArchiveSink {
  write(chunk: Buffer): Promise<void>;
  /** Makes the archive visible; `location` says where (a file path, an s3:// URI). */
  close(): Promise<{ location: string }>;
  /** Discards what was written (a failed export leaves nothing half-written behind). */
  abort(): Promise<void>;
}

export interface ArchiveStore {
  /** Starts writing the archive `archiveId`. */
  open(archiveId: string): Promise<ArchiveSink>;
  /** The bytes (local) or a short-lived signed URL (S3); undefined when there is no such archive. */
  download(archiveId: string): Promise<ArchiveDownload | undefined>;
}

/** `<tenantId>-<ms since epoch, 13 digits>`, then the region whose data it holds (`-eu-west-2`). */
export const ARCHIVE_ID_PATTERN = /^[a-f0-9]{32}-[0-9]{13}(-[a-z0-9-]{1,32})?$/;
