/**
 * People signing in to the console. AWS: an Amazon Cognito user pool (MFA required); locally: the
 * embedded twin (shared/adapters/local/console-identity.ts) speaking the same protocol and issuing
 * tokens of the same shape, so the API verifies one kind of token.
 */

/** Cognito group that makes a console user one of the provider's operators. */
export const PROVIDER_GROUP = 'provider';

/** What the API reads from a verified console ID token. */
export interface ConsoleClaims {
  /** Stable user id (`sub`). */
  readonly sub: string;
  /** `custom:tenant_id`; absent for the provider's users. */
  readonly tenantId?: string;
  /** `custom:user_id`: the tenant's user record (/v1/users) this login belongs to. */
  readonly userId?: string;
  /** `cognito:groups`: the tenant role (admin, operator, read-only) or `provider`. */
  readonly groups: readonly string[];
  /** `iat`, ms. */
  readonly issuedAtMs: number;
}

/** Verifies a console ID token (signature, issuer, audience, expiry, token_use = id). */
export interface ConsoleTokenVerifier {
  /** The claims, or undefined for any token that is not a valid console ID token. */
  verify(token: string): Promise<ConsoleClaims | undefined>;
}

export interface ConsoleInvitation {
  /** Sign-in name: the person's email. */
  readonly username: string;
  /** Shown once; the first sign-in must replace it, then enrol TOTP. */
  readonly temporaryPassword: string;
}

export interface ConsoleUser {
  readonly email: string;
  /** The tenant and its user record, for tenant users; absent for the provider's users. */
  readonly tenantId?: string;
  readonly userId?: string;
  readonly group: string;
}

/** Creating console logins (Cognito AdminCreateUser + AdminAddUserToGroup). */
export interface ConsoleUserDirectory {
  /** ConflictError when the email already signs in (one login per email per deployment). */
  invite(user: ConsoleUser): Promise<ConsoleInvitation>;
  /**
   * Deletes the login of a tenant's user (Cognito AdminDeleteUser): no new sign-in. Tokens already
   * issued are refused by the API, which checks the user record still exists (shared/http/auth.ts).
   * Nothing to delete is not an error.
   */
  remove(user: { readonly email: string; readonly tenantId: string; readonly userId: string }): Promise<void>;
}
