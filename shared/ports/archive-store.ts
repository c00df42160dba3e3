/** Where offboarding puts a tenant's export for the provider to download and hand over. */
export type ArchiveDownload = { kind: 'bytes'; body: Buffer } | { kind: 'redirect'; url: string };

export interface ArchiveStore {
  /** Stores the archive; `location` says where (a file path, an s3:// URI). */
  put(archiveId: string, body: Buffer): Promise<{ location: string }>;
  /** The bytes (local) or a short-lived signed URL (S3); undefined when there is no such archive. */
  download(archiveId: string): Promise<ArchiveDownload | undefined>;
}

export const ARCHIVE_ID_PATTERN = /^[a-f0-9]{32}-[0-9]{13}$/;
