import {
  bearerToken,
  type CredentialKind,
  type CredentialRecord,
  parseToken,
  secretMatches,
} from '../domain/credentials';
import { ForbiddenError, UnauthorizedError } from '../domain/errors';
import type { TenantStore } from '../ports/tenant-store';
import { type HttpEvent, header } from './types';

export interface Principal {
  readonly tenantId: string;
  readonly credential: CredentialRecord;
}

const unauthorized = () => new UnauthorizedError('a valid bearer token is required', 'authorization');

/**
 * Resolves the bearer token to its tenant. The tenant always comes from the credential, never from
 * the request. Unknown, malformed, revoked: 401. A valid credential of the wrong kind: 403.
 */
export async function authenticate(
  event: HttpEvent,
  store: TenantStore,
  kind: CredentialKind,
): Promise<Principal> {
  const token = bearerToken(header(event, 'authorization'));
  const parsed = token ? parseToken(token) : undefined;
  if (!parsed) throw unauthorized();
  const credential = await store.getCredential(parsed.credentialId);
  if (!credential || credential.revokedAt || !secretMatches(parsed.secret, credential.secretHash))
    throw unauthorized();
  if (credential.kind !== kind || parsed.kind !== kind) {
    throw new ForbiddenError(`this route needs a ${kind} credential`, 'authorization');
  }
  const tenant = await store.getTenant(credential.tenantId);
  if (tenant?.status !== 'active') throw unauthorized();
  return { tenantId: credential.tenantId, credential };
}

/** The provider's admin token: compared by hash, in constant time. */
export function authenticateProvider(event: HttpEvent, providerTokenHash: string): void {
  const token = bearerToken(header(event, 'authorization'));
  if (!token || !secretMatches(token, providerTokenHash)) throw unauthorized();
}
