/**
 * The console's people: an Amazon Cognito user pool per deployment. MFA is required and TOTP only
 * (no SMS), sign-up is closed (logins are created by the API: POST /v1/users/{id}/console-access and
 * POST /admin/v1/console-users), threat protection (Plus plan) enforces compromised-credential and
 * adaptive-authentication checks, and the groups carry the role (admin, operator, read-only, provider).
 * The local twin (shared/adapters/local/console-identity.ts) follows the same rules.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
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

export class ConsoleUserPool extends Construct {
  readonly pool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
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
      deletionProtection: true,
      // The people of every tenant: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.pool.addClient('Console', {
      // The console signs in with USER_PASSWORD_AUTH over TLS and answers the MFA challenges.
      authFlows: { userPassword: true },
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
