import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { LinkKey } from '#ports/report-files';

/**
 * Report links' key on the local platform: 32 random bytes in a file of the data directory (0600),
 * made on first use and kept, so links survive a restart.
 */
export class FileLinkKey implements LinkKey {
  private readonly secret: Buffer;

  constructor(path: string) {
    try {
      writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Made before (or by another process on the same data directory just now): keep it.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.secret = readFileSync(path);
    if (this.secret.length < 32) throw new Error(`${path}: the report link key is shorter than 32 bytes`);
  }

  async mac(message: Buffer): Promise<Buffer> {
    return createHmac('sha256', this.secret).update(message).digest();
  }

  async verify(message: Buffer, mac: Buffer): Promise<boolean> {
    const expected = await this.mac(message);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }
}
