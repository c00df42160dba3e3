/**
 * The console's people: an Amazon Cognito user pool per deployment. MFA is required and TOTP only
 * (no SMS), passkeys with user verification when the console has its own domain, sign-up is closed (logins are created by the API: POST /v1/users/{id}/console-access and
 * POST /admin/v1/console-users), threat protection (Plus plan) enforces compromised-credential and
 * adaptive-authentication checks, and the groups carry the role (admin, operator, read-only, provider).
 * The local twin (shared/adapters/local/console-identity.ts) follows the same rules.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  PasskeyUserVerification,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PROVIDER_GROUP } from '#ports/console-identity';

export const CONSOLE_GROUPS = ['admin', 'operator', 'read-only', PROVIDER_GROUP] as const;

export interface ConsoleUserPoolProps {
  /**
   * The console's domain: the passkeys' relying party id. With it, people may register passkeys
   * and sign in with one (WEB_AUTHN first factor, user verification required, so the passkey is
   * both factors); without it, password and TOTP only (a passkey is bound to a domain).
   */
  readonly passkeyRelyingPartyId?: string;
}

export class ConsoleUserPool extends Construct {
  readonly pool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: ConsoleUserPoolProps = {}) {
    super(scope, id);
    const passkeys = props.passkeyRelyingPartyId;
    this.pool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(7),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      customAttributes: {
        tenant_id: new StringAttribute({ minLen: 1, maxLen: 64, mutable: false }),
        user_id: new StringAttribute({ minLen: 1, maxLen: 64, mutable: false }),
      },
      ...(passkeys
        ? {
            signInPolicy: { allowedFirstAuthFactors: { password: true, passkey: true } },
            passkeyRelyingPartyId: passkeys,
            passkeyUserVerification: PasskeyUserVerification.REQUIRED,
          }
        : {}),
      deletionProtection: true,
      // The people of every tenant: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.pool.addClient('Console', {
      // The console signs in with USER_PASSWORD_AUTH over TLS and answers the MFA challenges; with
      // passkeys, USER_AUTH choosing WEB_AUTHN.
      authFlows: { userPassword: true, ...(passkeys ? { user: true } : {}) },
      generateSecret: false,
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });
    for (const group of CONSOLE_GROUPS)
      new UserPoolGroup(this, `Group-${group}`, { userPool: this.pool, groupName: group });
  }

  /**
   * Lets `grantee` create console logins (AdminCreateUser), put them in their role's group, and
   * delete them when the person is deleted (AdminDeleteUser).
   */
  grantInvite(grantee: IGrantable): void {
    this.pool.grant(
      grantee,
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminDeleteUser',
    );
  }
}
