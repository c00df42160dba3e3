import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type ReportLinks, reportObjectKey, reportTenantPrefix } from '#adapters/crypto/report-links';
import type { Clock } from '#ports/clock';
import type { ReportFileAccess, ReportFiles } from '#ports/report-files';
import type { TenantDataHolder } from '#ports/tenant-data';

/**
 * Reports on the local platform: files under `<dir>/<tenantId>/<key>` (0600); links are the same
 * report-links tokens as on AWS, to this platform's own API, which answers the file itself.
 * Offboarding exports (base64) and erases a tenant's files.
 */
export class LocalReportFiles implements ReportFiles, TenantDataHolder {
  readonly dataName = 'reports';

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

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const root = join(this.dir, reportTenantPrefix(tenantId));
    for (const path of await this.filesUnder(root))
      yield { key: relative(root, path), pdf: (await readFile(path)).toString('base64') };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const root = join(this.dir, reportTenantPrefix(tenantId));
    const files = await this.filesUnder(root);
    await rm(root, { recursive: true, force: true });
    return files.length;
  }

  private async filesUnder(root: string): Promise<string[]> {
    try {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
