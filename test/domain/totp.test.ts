/** TOTP (shared/domain/totp.ts) against RFC 6238's test vector and against otplib's codes. */
import { generateSecret, generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { base32Encode, matchTotp, newTotpSecret, totpCode, totpStep } from '#domain/totp';

describe('totp', () => {
  it("gives RFC 6238's SHA-1 code at T = 59 s (94287082, six digits 287082)", () => {
    const secret = base32Encode(Buffer.from('12345678901234567890'));
    expect(totpCode(secret, totpStep(59_000))).toBe('287082');
    expect(totpCode(secret, totpStep(1_111_111_109_000))).toBe('081804');
  });

  it('agrees with otplib on random secrets and times', () => {
    for (let i = 0; i < 50; i++) {
      const secret = i % 2 ? newTotpSecret() : generateSecret();
      const epochS = Math.floor(Math.random() * 2_000_000_000);
      expect(totpCode(secret, totpStep(epochS * 1000))).toBe(generateSync({ secret, epoch: epochS }));
    }
  });

  it('matches a code of the step before, now or after, and nothing else', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1])
      expect(matchTotp(secret, totpCode(secret, step + offset), now)).toBe(step + offset);
    expect(matchTotp(secret, totpCode(secret, step + 2), now)).toBeUndefined();
    expect(matchTotp(secret, totpCode(secret, step - 2), now)).toBeUndefined();
    expect(matchTotp(secret, '12345', now)).toBeUndefined();
  });
});
