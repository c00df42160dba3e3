import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARCHIVE_ID_PATTERN,
  type ArchiveDownload,
  type ArchiveSink,
  type ArchiveStore,
} from '#ports/archive-store';

/** Offboarding archives as files under `<dataDir>/exports` (mode 0600), served by the admin API. */
export class FileArchiveStore implements ArchiveStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'exports');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Written to `<file>.partial` and renamed when closed: a download never sees half an archive. */
  async open(archiveId: string): Promise<ArchiveSink> {
    const file = this.file(archiveId);
    const partial = `${file}.partial`;
    const out = createWriteStream(partial, { mode: 0o600 });
    const ended = new Promise<void>((resolve, reject) => {
      out.once('close', resolve);
      out.once('error', reject);
    });
    return {
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          out.write(chunk, (error) => (error ? reject(error) : resolve()));
        }),
      async close() {
        out.end();
        await ended;
        renameSync(partial, file);
        return { location: file };
      },
      async abort() {
        out.destroy();
        rmSync(partial, { force: true });
      },
    };
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
