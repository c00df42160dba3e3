/**
 * Streams a tenant's records into an archive: JSON lines (one header, then `{section, record}` per
 * record), gzipped, written chunk by chunk to an ArchiveSink. Memory stays constant whatever the
 * tenant holds (one gzip window plus the sink's part buffer), and the SHA-256 is computed over the
 * bytes as they are written, never by reading the archive again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ArchiveSink } from '#ports/archive-store';
import type { TenantDataHolder } from '#ports/tenant-data';

const BATCH_CHARS = 64 * 1024;

export interface ArchiveSection {
  /** The archive's section name (`metrics`, `eu-west-2/metrics` …). */
  readonly name: string;
  readonly holder: TenantDataHolder;
}

export interface WrittenArchive {
  readonly sha256: string;
  readonly bytes: number;
  readonly records: Record<string, number>;
}

export async function writeArchive(
  sink: ArchiveSink,
  tenantId: string,
  header: Record<string, unknown>,
  sections: readonly ArchiveSection[],
): Promise<WrittenArchive> {
  const records: Record<string, number> = {};
  // Lines go to gzip in batches of about BATCH_CHARS: a stream chunk per record would cost more than the record.
  async function* lines(): AsyncGenerator<string> {
    let batch = `${JSON.stringify({ archive: 'tenant-offboarding', version: 2, tenantId, ...header })}\n`;
    for (const { name, holder } of sections) {
      records[name] ??= 0;
      for await (const record of holder.exportTenant(tenantId)) {
        records[name]++;
        batch += `${JSON.stringify({ section: name, record })}\n`;
        if (batch.length >= BATCH_CHARS) {
          yield batch;
          batch = '';
        }
      }
    }
    if (batch) yield batch;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(Readable.from(lines()), createGzip(), async (gzipped: AsyncIterable<Buffer>) => {
      for await (const chunk of gzipped) {
        hash.update(chunk);
        bytes += chunk.length;
        await sink.write(chunk);
      }
    });
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return { sha256: hash.digest('hex'), bytes, records };
}
