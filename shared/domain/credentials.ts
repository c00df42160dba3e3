/**
 * Bearer credentials: `obs_<kind>_<id>_<secret>`. The id finds the stored record; only a SHA-256 of
 * the secret is stored (the secret is 256 random bits, so a fast hash is enough; no salt needed), and
 * the comparison is constant-time. The secret is shown once, at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const CREDENTIAL_KINDS = ['tenant', 'ingest'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
export type TenantRole = 'admin' | 'operator' | 'read-only';

export interface CredentialRecord {
  readonly credentialId: string;
  readonly kind: CredentialKind;
  readonly tenantId: string;
  /** base64url SHA-256 of the secret part. */
  readonly secretHash: string;
  readonly role?: TenantRole;
  readonly collectorId?: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
  /** A label the tenant chose (tenant tokens). */
  readonly name?: string;
  readonly rotatedAt?: string;
  readonly version?: number;
}

export interface IssuedCredential {
  /** The whole bearer token; returned to the caller once and never stored. */
  readonly token: string;
  readonly record: CredentialRecord;
}

/** 128-bit random ids, hex. */
export const newId = (): string => randomBytes(16).toString('hex');

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

export function issueCredential(
  kind: CredentialKind,
  tenantId: string,
  now: Date,
  extra: { role?: TenantRole; collectorId?: string; name?: string } = {},
): IssuedCredential {
  const credentialId = newId();
  const secret = randomBytes(32).toString('base64url');
  return {
    token: `obs_${kind}_${credentialId}_${secret}`,
    record: {
      credentialId,
      kind,
      tenantId,
      secretHash: hashSecret(secret),
      createdAt: now.toISOString(),
      ...extra,
    },
  };
}

/**
 * A new secret for an existing credential: same id, new hash. The old secret stops matching as soon
 * as the record is written.
 */
export function rotateCredential(record: CredentialRecord, now: Date): IssuedCredential {
  const secret = randomBytes(32).toString('base64url');
  return {
    token: `obs_${record.kind}_${record.credentialId}_${secret}`,
    record: { ...record, secretHash: hashSecret(secret), rotatedAt: now.toISOString() },
  };
}

export interface ParsedToken {
  readonly kind: CredentialKind;
  readonly credentialId: string;
  readonly secret: string;
}

export function parseToken(token: string): ParsedToken | undefined {
  const match = /^obs_(tenant|ingest)_([a-f0-9]{32})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  return { kind: match[1] as CredentialKind, credentialId: match[2]!, secret: match[3]! };
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret));
  const stored = Buffer.from(storedHash);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** Extracts the token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
