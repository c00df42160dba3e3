/** The Cognito adapters of the console: exact AdminCreateUser / AdminAddUserToGroup requests, and ID-token verification. */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CognitoConsoleUsers,
  cognitoIssuer,
  cognitoTokenVerifier,
} from '#adapters/aws/cognito-console-identity';
import { ConflictError } from '#domain/errors';

const pool = { region: 'us-west-2', userPoolId: 'us-west-2_AbC123', clientId: 'client-1' };

describe('CognitoConsoleUsers', () => {
  it('creates the login with a temporary password, no e-mail, the tenant attributes, then its group', async () => {
    const cognito = mockClient(CognitoIdentityProviderClient);
    cognito.on(AdminCreateUserCommand).resolves({}).on(AdminAddUserToGroupCommand).resolves({});
    const users = new CognitoConsoleUsers(new CognitoIdentityProviderClient({}), pool.userPoolId);
    const invitation = await users.invite({
      email: 'Ada@Acme.example',
      tenantId: 't1',
      userId: 'u1',
      group: 'operator',
    });
    expect(invitation.username).toBe('ada@acme.example');
    expect(invitation.temporaryPassword).toMatch(
      /^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])(?=.*[^A-Za-z0-9]).{12,}$/,
    );
    expect(cognito.commandCalls(AdminCreateUserCommand).map((c) => c.args[0].input)).toEqual([
      {
        UserPoolId: pool.userPoolId,
        Username: 'ada@acme.example',
        TemporaryPassword: invitation.temporaryPassword,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'ada@acme.example' },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'custom:tenant_id', Value: 't1' },
          { Name: 'custom:user_id', Value: 'u1' },
        ],
      },
    ]);
    expect(cognito.commandCalls(AdminAddUserToGroupCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool.userPoolId, Username: 'ada@acme.example', GroupName: 'operator' },
    ]);
  });

  it('answers 409 when the email already signs in, and adds no group', async () => {
    const cognito = mockClient(CognitoIdentityProviderClient);
    cognito
      .on(AdminCreateUserCommand)
      .rejects(new UsernameExistsException({ message: 'exists', $metadata: {} }));
    const users = new CognitoConsoleUsers(new CognitoIdentityProviderClient({}), pool.userPoolId);
    await expect(users.invite({ email: 'a@b.example', group: 'provider' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
  });

  it('deletes the login of a deleted person by its email, and a login already gone is no error', async () => {
    const cognito = mockClient(CognitoIdentityProviderClient);
    cognito
      .on(AdminDeleteUserCommand, { Username: 'ada@acme.example' })
      .resolves({})
      .on(AdminDeleteUserCommand, { Username: 'gone@acme.example' })
      .rejects(new UserNotFoundException({ message: 'gone', $metadata: {} }));
    const users = new CognitoConsoleUsers(new CognitoIdentityProviderClient({}), pool.userPoolId);
    await users.remove({ email: 'Ada@Acme.example', tenantId: 't1', userId: 'u1' });
    await users.remove({ email: 'gone@acme.example', tenantId: 't1', userId: 'u2' });
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: pool.userPoolId, Username: 'ada@acme.example' },
      { UserPoolId: pool.userPoolId, Username: 'gone@acme.example' },
    ]);
  });
});

describe('cognitoTokenVerifier', () => {
  const keys = async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' };
    return { pair, jwks: createLocalJWKSet({ keys: [jwk] }) };
  };
  const token = (
    key: Parameters<SignJWT['sign']>[0],
    claims: Record<string, unknown>,
    issuer = cognitoIssuer(pool),
    audience = pool.clientId,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('sub-1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

  it("reads the tenant and groups of the pool's ID tokens and refuses others", async () => {
    const { pair, jwks } = await keys();
    const verifier = cognitoTokenVerifier(pool, jwks);
    const id = {
      token_use: 'id',
      'custom:tenant_id': 't1',
      'custom:user_id': 'u1',
      'cognito:groups': ['admin'],
    };
    expect(await verifier.verify(await token(pair.privateKey, id))).toMatchObject({
      sub: 'sub-1',
      tenantId: 't1',
      userId: 'u1',
      groups: ['admin'],
    });
    expect(
      await verifier.verify(await token(pair.privateKey, { ...id, token_use: 'access' })),
    ).toBeUndefined();
    expect(
      await verifier.verify(await token(pair.privateKey, id, 'https://elsewhere.example')),
    ).toBeUndefined();
    expect(
      await verifier.verify(await token(pair.privateKey, id, undefined, 'other-client')),
    ).toBeUndefined();
    const other = await keys();
    expect(await verifier.verify(await token(other.pair.privateKey, id))).toBeUndefined();
  });
});
