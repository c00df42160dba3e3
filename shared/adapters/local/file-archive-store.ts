import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHIVE_ID_PATTERN, type ArchiveDownload, type ArchiveStore } from '#ports/archive-store';

/** Offboarding archives as files under `<dataDir>/exports` (mode 0600), served by the admin API. */
export class FileArchiveStore implements ArchiveStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'exports');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async put(archiveId: string, body: Buffer): Promise<{ location: string }> {
    const file = this.file(archiveId);
    writeFileSync(file, body, { mode: 0o600 });
    return { location: file };
  }

  async download(archiveId: string): Promise<ArchiveDownload | undefined> {
    if (!ARCHIVE_ID_PATTERN.test(archiveId)) return undefined;
    const file = this.file(archiveId);
    return existsSync(file) ? { kind: 'bytes', body: readFileSync(file) } : undefined;
  }

  private file(archiveId: string): string {
    if (!ARCHIVE_ID_PATTERN.test(archiveId)) throw new Error('not an archive id');
    return join(this.dir, `${archiveId}.jsonl.gz`);
  }
}
