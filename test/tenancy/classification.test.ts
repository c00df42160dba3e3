import { describe, expect, it } from 'vitest';
import {
  confidentialFields,
  DATA_CLASSIFICATION,
  isSecurePropertyName,
  REDACTED,
  redact,
} from '#domain/classification';

describe('data classification', () => {
  it('marks device secrets, secret properties and personal data customer-confidential', () => {
    expect(confidentialFields('device-credential')).toEqual(['secrets']);
    expect(confidentialFields('resource')).toEqual(['secureProperties']);
    expect(confidentialFields('user').sort()).toEqual(['email', 'name', 'phone']);
    expect(DATA_CLASSIFICATION.credential.secretHash).toBe('secret-hash');
  });

  it('redacts confidential, hashed and unclassified fields, keeps internal ones', () => {
    expect(
      redact('credential', { credentialId: 'c', secretHash: 'h', role: 'admin', somethingNew: 'x' }),
    ).toEqual({ credentialId: 'c', secretHash: REDACTED, role: 'admin', somethingNew: REDACTED });
    expect(redact('user', { userId: 'u', email: 'a@b.c', role: 'admin' })).toEqual({
      userId: 'u',
      email: REDACTED,
      role: 'admin',
    });
  });

  it('redacts report-schedule recipients’ addresses in audit images but never seals them', () => {
    // Not sealed: the scheduled runner reads them without a tenant KMS decrypt.
    expect(confidentialFields('report-schedule')).toEqual([]);
    expect(confidentialFields('report-recipients')).toEqual([]);
    expect(
      redact('report-schedule', { scheduleId: 's', cadence: 'weekly', recipients: { emails: [] } }),
    ).toEqual({ scheduleId: 's', cadence: 'weekly', recipients: REDACTED });
    expect(redact('report-recipients', { emails: ['ops@example.com'], chainId: 'c1' })).toEqual({
      emails: REDACTED,
      chainId: 'c1',
    });
  });

  it('recognises secret-named resource properties', () => {
    for (const name of ['snmp.community', 'ssh.pass', 'http.password', 'api.token', 'aws.key', 'wmi.pass'])
      expect(isSecurePropertyName(name), name).toBe(true);
    for (const name of ['location', 'system.hostname', 'keyboard.layout', 'passenger.count', 'snmp.version'])
      expect(isSecurePropertyName(name), name).toBe(false);
  });
});
