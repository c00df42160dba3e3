import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReportFiles } from '#ports/report-files';

/** Reports on the local platform: files under a directory, linked by file URL (the developer's own disk). */
export class LocalReportFiles implements ReportFiles {
  constructor(private readonly dir: string) {}

  async put(tenantId: string, key: string, pdf: Buffer): Promise<string> {
    const path = join(this.dir, tenantId, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, pdf, { mode: 0o600 });
    return pathToFileURL(path).href;
  }
}
