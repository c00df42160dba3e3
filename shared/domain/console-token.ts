/** What the API reads from a console ID token's verified payload (Cognito's shape; the local twin's too). */
import type { ConsoleClaims } from '#ports/console-identity';

export function idTokenClaims(payload: Record<string, unknown>): ConsoleClaims | undefined {
  if (payload.token_use !== 'id' || typeof payload.sub !== 'string') return undefined;
  const groups = Array.isArray(payload['cognito:groups']) ? payload['cognito:groups'].map(String) : [];
  const tenantId = payload['custom:tenant_id'];
  const userId = payload['custom:user_id'];
  return {
    sub: payload.sub,
    groups,
    issuedAtMs: Number(payload.iat ?? 0) * 1000,
    ...(typeof tenantId === 'string' && tenantId ? { tenantId } : {}),
    ...(typeof userId === 'string' && userId ? { userId } : {}),
  };
}
