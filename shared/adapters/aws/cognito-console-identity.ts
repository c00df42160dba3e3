/**
 * The console's identity store in AWS: an Amazon Cognito user pool (infra/constructs/console-user-pool.ts).
 * Logins are created with AdminCreateUser (temporary password, no invitation e-mail: the API hands the
 * password to the admin who asked, once) and put in the group of their role; ID tokens are verified
 * against the pool's JWKS with jose (issuer, audience = the console's app client, token_use = id).
 */
import { randomBytes } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { idTokenClaims } from '#domain/console-token';
import { ConflictError } from '#domain/errors';
import type {
  ConsoleClaims,
  ConsoleInvitation,
  ConsoleTokenVerifier,
  ConsoleUser,
  ConsoleUserDirectory,
} from '#ports/console-identity';

export const CONSOLE_ENV = {
  region: 'CONSOLE_USER_POOL_REGION',
  userPoolId: 'CONSOLE_USER_POOL_ID',
  clientId: 'CONSOLE_USER_POOL_CLIENT_ID',
} as const;

/** The pool the functions' environment names, or undefined where the console is not deployed. */
export function consolePoolFromEnv(env: NodeJS.ProcessEnv = process.env): CognitoPool | undefined {
  const region = env[CONSOLE_ENV.region];
  const userPoolId = env[CONSOLE_ENV.userPoolId];
  const clientId = env[CONSOLE_ENV.clientId];
  return region && userPoolId && clientId ? { region, userPoolId, clientId } : undefined;
}

export interface CognitoPool {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
}

export const cognitoIssuer = (pool: CognitoPool): string =>
  `https://cognito-idp.${pool.region}.amazonaws.com/${pool.userPoolId}`;

/** Meets the pool's password policy (12+, upper, lower, digits, symbols); replaced at the first sign-in. */
const temporaryPassword = (): string => `Tmp${randomBytes(12).toString('base64url')}9a!`;

export class CognitoConsoleUsers implements ConsoleUserDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async invite(user: ConsoleUser): Promise<ConsoleInvitation> {
    const username = user.email.toLowerCase();
    const password = temporaryPassword();
    try {
      await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: username,
          TemporaryPassword: password,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: username },
            { Name: 'email_verified', Value: 'true' },
            ...(user.tenantId ? [{ Name: 'custom:tenant_id', Value: user.tenantId }] : []),
            ...(user.userId ? [{ Name: 'custom:user_id', Value: user.userId }] : []),
          ],
        }),
      );
    } catch (error) {
      if (error instanceof UsernameExistsException)
        throw new ConflictError('this email already signs in to the console', 'email');
      throw error;
    }
    await this.client.send(
      new AdminAddUserToGroupCommand({
        UserPoolId: this.userPoolId,
        Username: username,
        GroupName: user.group,
      }),
    );
    return { username, temporaryPassword: password };
  }

  async remove(user: {
    readonly email: string;
    readonly tenantId: string;
    readonly userId: string;
  }): Promise<void> {
    try {
      await this.client.send(
        new AdminDeleteUserCommand({ UserPoolId: this.userPoolId, Username: user.email.toLowerCase() }),
      );
    } catch (error) {
      if (!(error instanceof UserNotFoundException)) throw error;
    }
  }
}

/** `keys` defaults to the pool's JWKS (fetched once, cached by jose); tests pass a local key set. */
export function cognitoTokenVerifier(pool: CognitoPool, keys?: JWTVerifyGetKey): ConsoleTokenVerifier {
  const issuer = cognitoIssuer(pool);
  const jwks = keys ?? createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  return {
    async verify(token: string): Promise<ConsoleClaims | undefined> {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: pool.clientId,
          algorithms: ['RS256'],
        });
        return idTokenClaims(payload);
      } catch {
        return undefined;
      }
    },
  };
}
