import { describe, expect, it } from 'vitest';
import { bearerToken, hashSecret, issueCredential, parseToken, secretMatches } from '#domain/credentials';

describe('credentials', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('issues a token that parses back to its id and whose secret matches only the stored hash', () => {
    const issued = issueCredential('ingest', 'tenant-1', now, { collectorId: 'c1' });
    const parsed = parseToken(issued.token);
    expect(parsed).toMatchObject({ kind: 'ingest', credentialId: issued.record.credentialId });
    expect(secretMatches(parsed!.secret, issued.record.secretHash)).toBe(true);
    expect(secretMatches(`${parsed!.secret.slice(0, -1)}x`, issued.record.secretHash)).toBe(false);
    expect(issued.record).toMatchObject({ kind: 'ingest', tenantId: 'tenant-1', collectorId: 'c1' });
  });

  it('never stores the secret: the record holds only its hash', () => {
    const issued = issueCredential('tenant', 't', now, { role: 'admin' });
    const secret = parseToken(issued.token)!.secret;
    expect(JSON.stringify(issued.record)).not.toContain(secret);
    expect(issued.record.secretHash).toBe(hashSecret(secret));
  });

  it('draws at least 128 random bits for ids and 256 for secrets', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => issueCredential('tenant', 't', now).token));
    expect(tokens.size).toBe(1000);
    const parsed = parseToken([...tokens][0]!)!;
    expect(parsed.credentialId).toMatch(/^[a-f0-9]{32}$/);
    expect(Buffer.from(parsed.secret, 'base64url').length).toBe(32);
  });

  it('rejects malformed tokens and reads Bearer headers', () => {
    expect(parseToken('obs_admin_x_y')).toBeUndefined();
    expect(parseToken('')).toBeUndefined();
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
