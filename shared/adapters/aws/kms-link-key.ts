import { GenerateMacCommand, type KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { LinkKey } from '#ports/report-files';

/**
 * Report links' key in KMS (KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC): the secret never leaves
 * KMS; the scheduler may only GenerateMac, the route's function only VerifyMac.
 */
export class KmsLinkKey implements LinkKey {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async mac(message: Buffer): Promise<Buffer> {
    const out = await this.kms.send(
      new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
    );
    if (!out.Mac) throw new Error('KMS GenerateMac answered without a MAC');
    return Buffer.from(out.Mac);
  }

  async verify(message: Buffer, mac: Buffer): Promise<boolean> {
    try {
      const out = await this.kms.send(
        new VerifyMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac: mac }),
      );
      return out.MacValid === true;
    } catch (error) {
      // KMS answers a MAC that does not verify with this exception, not with MacValid false.
      if ((error as Error).name === 'KMSInvalidMacException') return false;
      throw error;
    }
  }
}
