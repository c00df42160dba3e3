import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ReportLinks, reportObjectKey } from '#adapters/crypto/report-links';
import type { Clock } from '#ports/clock';
import type { ReportFileAccess, ReportFiles } from '#ports/report-files';

/**
 * Reports on the local platform: files under `<dir>/<tenantId>/<key>` (0600); links are the same
 * report-links tokens as on AWS, to this platform's own API, which answers the file itself.
 */
export class LocalReportFiles implements ReportFiles {
  constructor(
    private readonly dir: string,
    private readonly links: ReportLinks,
    private readonly clock: Clock,
  ) {}

  async put(tenantId: string, key: string, pdf: Buffer): Promise<string> {
    const path = join(this.dir, reportObjectKey(tenantId, key));
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, pdf, { mode: 0o600 });
    return this.links.link({ tenantId, key }, this.clock.now().getTime());
  }

  async fetch(tenantId: string, key: string): Promise<ReportFileAccess | undefined> {
    try {
      return { kind: 'content', pdf: await readFile(join(this.dir, reportObjectKey(tenantId, key))) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
