/**
 * The local twin of the console's Amazon Cognito user pool: the same API actions the console calls
 * (InitiateAuth USER_PASSWORD_AUTH, RespondToAuthChallenge NEW_PASSWORD_REQUIRED / MFA_SETUP /
 * SOFTWARE_TOKEN_MFA, AssociateSoftwareToken, VerifySoftwareToken; passkeys: StartWebAuthnRegistration,
 * CompleteWebAuthnRegistration, SetUserMFAPreference, InitiateAuth USER_AUTH → WEB_AUTHN, in
 * console-passkeys.ts) in Cognito's JSON protocol, the
 * same rules (MFA required, TOTP only, temporary passwords, the pool's password policy) and ID tokens
 * of the same shape (iss, sub, aud, token_use, custom:tenant_id, cognito:groups), signed ES256 with a
 * key kept under DATA_DIR. On top of Cognito's behaviour, checked by the tests: 5 failed attempts lock
 * a login for 15 minutes, a TOTP code is good once, every sign-in, enrolment and failure is audited,
 * TOTP secrets are sealed with the local key service, and deleting the person deletes the login.
 */
import { randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import type { RelyingParty } from '#adapters/crypto/webauthn';
import { idTokenClaims } from '#domain/console-token';
import { ConflictError } from '#domain/errors';
import { matchTotp, newTotpSecret } from '#domain/totp';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type {
  ConsoleClaims,
  ConsoleInvitation,
  ConsoleTokenVerifier,
  ConsoleUser,
  ConsoleUserDirectory,
} from '#ports/console-identity';
import type { KeyService } from '#ports/key-service';
import { LocalConsolePasskeys } from './console-passkeys';
import { openDatabase } from './sqlite';

export const LOCAL_CONSOLE_ISSUER = 'urn:observability:local-console-identity';
export const LOCAL_CONSOLE_CLIENT_ID = 'local-console';
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;
const SESSION_TTL_MS = 3 * 60_000;
const TOKEN_TTL_SECONDS = 3600;
const TEMPORARY_PASSWORD_TTL_MS = 7 * 86_400_000;

type Key = Awaited<ReturnType<typeof importJWK>>;

/** A Cognito error: `__type` and `message`, HTTP 400 as Cognito answers them. */
export class CognitoError extends Error {
  constructor(
    readonly type:
      | 'NotAuthorizedException'
      | 'CodeMismatchException'
      | 'InvalidPasswordException'
      | 'InvalidParameterException'
      | 'EnableSoftwareTokenMFAException'
      | 'WebAuthnChallengeNotFoundException'
      | 'UnknownOperationException',
    message: string,
  ) {
    super(message);
  }
}

/** The pool's password policy (the CDK pool sets the same: infra/constructs/console-user-pool.ts). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return 'Password must have at least 12 characters';
  if (
    !/[a-z]/.test(password) ||
    !/[A-Z]/.test(password) ||
    !/[0-9]/.test(password) ||
    !/[^A-Za-z0-9]/.test(password)
  )
    return 'Password must have upper and lower case letters, digits and symbols';
  return undefined;
}

interface UserRow {
  username: string;
  sub: string;
  tenant_id: string | null;
  user_id: string | null;
  grp: string;
  password_hash: string;
  temporary_until: number | null;
  totp_secret: string | null;
  last_totp_step: number;
  failed_attempts: number;
  locked_until: number;
}

type Stage =
  | 'NEW_PASSWORD_REQUIRED'
  | 'MFA_SETUP'
  | 'MFA_SETUP_VERIFIED'
  | 'SOFTWARE_TOKEN_MFA'
  | 'WEB_AUTHN';

interface ChallengeSession {
  readonly username: string;
  readonly stage: Stage;
  readonly expiresAt: number;
  readonly pendingSecret?: string;
  /** WEB_AUTHN: the challenge the assertion must sign. */
  readonly webAuthnChallenge?: string;
}

const hashPassword = (password: string): string => {
  const salt = randomBytes(16);
  return `${salt.toString('base64url')}.${scryptSync(password, salt, 32).toString('base64url')}`;
};

const passwordMatches = (password: string, stored: string): boolean => {
  const [salt = '', hash = ''] = stored.split('.');
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(password, Buffer.from(salt, 'base64url'), 32);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};

/** Temporary passwords meet the policy: upper, lower, digit, symbol. */
const temporaryPassword = (): string => `Tmp${randomBytes(12).toString('base64url')}9a!`;

export interface ConsoleIdentityOptions {
  /** SQLite file of the logins. */
  readonly path: string;
  /** Private signing key (JWK), created on first start, mode 0600. */
  readonly keyPath: string;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Seals the TOTP secrets at rest (the local key service, as every other secret here). */
  readonly keys: KeyService;
  /** Passkeys' relying party (default: `localhost`, the console's origin when run locally). */
  readonly relyingParty?: RelyingParty;
}

/** The key the TOTP secrets are sealed with: the twin's own, in the local key ring. */
export const CONSOLE_IDENTITY_KEY = 'console-identity';

export class LocalConsoleIdentity implements ConsoleUserDirectory, ConsoleTokenVerifier {
  private readonly db: DatabaseSync;
  private readonly sessions = new Map<string, ChallengeSession>();
  private readonly passkeys: LocalConsolePasskeys;

  private constructor(
    private readonly options: ConsoleIdentityOptions,
    private readonly privateKey: Key,
    private readonly publicKey: Key,
    private readonly secretsKeyRef: string,
  ) {
    this.db = openDatabase(options.path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS console_users (
        username TEXT PRIMARY KEY,
        sub TEXT NOT NULL UNIQUE,
        tenant_id TEXT,
        user_id TEXT,
        grp TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        temporary_until INTEGER,
        totp_secret TEXT,
        last_totp_step INTEGER NOT NULL DEFAULT 0,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
    `);
    this.passkeys = new LocalConsolePasskeys(this.db, options.relyingParty ?? { id: 'localhost' }, () =>
      this.now(),
    );
  }

  static async open(options: ConsoleIdentityOptions): Promise<LocalConsoleIdentity> {
    let jwk: JWK;
    if (existsSync(options.keyPath)) jwk = JSON.parse(readFileSync(options.keyPath, 'utf8')) as JWK;
    else {
      const pair = await generateKeyPair('ES256', { extractable: true });
      jwk = await exportJWK(pair.privateKey);
      writeFileSync(options.keyPath, JSON.stringify(jwk), { mode: 0o600 });
      chmodSync(options.keyPath, 0o600);
    }
    const { d: _private, ...publicJwk } = jwk;
    return new LocalConsoleIdentity(
      options,
      await importJWK(jwk, 'ES256'),
      await importJWK(publicJwk, 'ES256'),
      await options.keys.createTenantKey(CONSOLE_IDENTITY_KEY),
    );
  }

  close(): void {
    this.db.close();
  }

  // ---- the directory (AdminCreateUser)

  async invite(user: ConsoleUser): Promise<ConsoleInvitation> {
    const username = user.email.toLowerCase();
    const temporary = temporaryPassword();
    const result = this.db
      .prepare(
        `INSERT INTO console_users (username, sub, tenant_id, user_id, grp, password_hash, temporary_until)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
      )
      .run(
        username,
        randomUUID(),
        user.tenantId ?? null,
        user.userId ?? null,
        user.group,
        hashPassword(temporary),
        this.now() + TEMPORARY_PASSWORD_TTL_MS,
      );
    if (result.changes === 0) throw new ConflictError('this email already signs in to the console', 'email');
    return { username, temporaryPassword: temporary };
  }

  async remove(user: { readonly tenantId: string; readonly userId: string }): Promise<void> {
    const gone = this.db
      .prepare('SELECT username, sub FROM console_users WHERE tenant_id = ? AND user_id = ?')
      .all(user.tenantId, user.userId) as { username: string; sub: string }[];
    this.db
      .prepare('DELETE FROM console_users WHERE tenant_id = ? AND user_id = ?')
      .run(user.tenantId, user.userId);
    // Sign-ins half way through end with the login.
    for (const g of gone) this.passkeys.remove(g.sub);
    const names = new Set(gone.map((g) => g.username));
    for (const [key, value] of this.sessions) if (names.has(value.username)) this.sessions.delete(key);
  }

  /** A TOTP secret's scope: bound to its login, so a sealed secret cannot be moved to another row. */
  private totpScope(sub: string) {
    return {
      tenantId: CONSOLE_IDENTITY_KEY,
      field: `console-user.totp_secret/${sub}`,
      keyRef: this.secretsKeyRef,
    };
  }

  // ---- the verifier (what the API checks)

  async verify(token: string): Promise<ConsoleClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: LOCAL_CONSOLE_ISSUER,
        audience: LOCAL_CONSOLE_CLIENT_ID,
        algorithms: ['ES256'],
        currentDate: new Date(this.now()),
      });
      return idTokenClaims(payload);
    } catch {
      return undefined;
    }
  }

  // ---- the Cognito protocol

  /** One call of the Cognito Identity Provider JSON API: `action` is X-Amz-Target's last part. */
  async call(action: string, input: Record<string, unknown>, sourceIp?: string): Promise<unknown> {
    const str = (value: unknown, name: string): string => {
      if (typeof value !== 'string' || value === '')
        throw new CognitoError('InvalidParameterException', `${name} is required`);
      return value;
    };
    const params = (input.AuthParameters ?? input.ChallengeResponses ?? {}) as Record<string, unknown>;
    switch (action) {
      case 'InitiateAuth':
        this.checkClient(input.ClientId);
        if (input.AuthFlow === 'USER_AUTH')
          return this.initiatePasskey(str(params.USERNAME, 'USERNAME'), params.PREFERRED_CHALLENGE, sourceIp);
        if (input.AuthFlow !== 'USER_PASSWORD_AUTH')
          throw new CognitoError(
            'InvalidParameterException',
            'AuthFlow must be USER_PASSWORD_AUTH or USER_AUTH',
          );
        return this.initiate(str(params.USERNAME, 'USERNAME'), str(params.PASSWORD, 'PASSWORD'), sourceIp);
      case 'RespondToAuthChallenge':
        this.checkClient(input.ClientId);
        return this.respond(
          str(input.ChallengeName, 'ChallengeName'),
          str(input.Session, 'Session'),
          params,
          sourceIp,
        );
      case 'AssociateSoftwareToken':
        return this.associate(str(input.Session, 'Session'));
      case 'VerifySoftwareToken':
        return this.verifySoftwareToken(
          str(input.Session, 'Session'),
          str(input.UserCode, 'UserCode'),
          sourceIp,
        );
      case 'StartWebAuthnRegistration': {
        const row = await this.signedIn(input.AccessToken);
        return { CredentialCreationOptions: this.passkeys.startRegistration(row.sub, row.username) };
      }
      case 'CompleteWebAuthnRegistration': {
        const row = await this.signedIn(input.AccessToken);
        try {
          this.passkeys.completeRegistration(row.sub, input.Credential);
        } catch (error) {
          await this.audit(row, 'console.passkey-register', 'failure', sourceIp, (error as Error).message);
          throw new CognitoError('WebAuthnChallengeNotFoundException', (error as Error).message);
        }
        await this.audit(row, 'console.passkey-register', 'success', sourceIp);
        return {};
      }
      case 'SetUserMFAPreference': {
        const row = await this.signedIn(input.AccessToken);
        const webAuthn = input.WebAuthnMfaSettings as { Enabled?: unknown } | undefined;
        if (typeof webAuthn?.Enabled === 'boolean') this.passkeys.setMfa(row.sub, webAuthn.Enabled);
        return {};
      }
      default:
        throw new CognitoError('UnknownOperationException', `${action} is not supported by the local twin`);
    }
  }

  private checkClient(clientId: unknown): void {
    if (clientId !== LOCAL_CONSOLE_CLIENT_ID)
      throw new CognitoError('NotAuthorizedException', 'unknown client id');
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  private row(username: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM console_users WHERE username = ?').get(username.toLowerCase()) as
      | UserRow
      | undefined;
  }

  private async audit(
    row: UserRow | undefined,
    action: string,
    outcome: 'success' | 'failure',
    sourceIp?: string,
    reason?: string,
  ): Promise<void> {
    await this.options.audit.append({
      tenantId: row?.tenant_id ?? PROVIDER_AUDIT_PARTITION,
      at: new Date(this.now()).toISOString(),
      action,
      actor: row ? `console:${row.sub}` : 'unknown',
      outcome,
      target: 'console',
      ...(sourceIp ? { sourceIp } : {}),
      ...(reason ? { reason } : {}),
    });
  }

  /** Counts a failure; the fifth in a row locks the login. Always throws. */
  private async fail(
    row: UserRow | undefined,
    action: string,
    reason: string,
    sourceIp?: string,
  ): Promise<never> {
    if (row) {
      const failures = row.failed_attempts + 1;
      const locked = failures >= MAX_FAILED_ATTEMPTS ? this.now() + LOCKOUT_MS : row.locked_until;
      this.db
        .prepare('UPDATE console_users SET failed_attempts = ?, locked_until = ? WHERE username = ?')
        .run(failures >= MAX_FAILED_ATTEMPTS ? 0 : failures, locked, row.username);
    }
    await this.audit(row, action, 'failure', sourceIp, reason);
    if (reason === 'wrong code' || reason === 'code reused')
      throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
    throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
  }

  private async refuseIfLocked(row: UserRow | undefined, action: string, sourceIp?: string): Promise<void> {
    if (row && row.locked_until > this.now()) {
      await this.audit(row, action, 'failure', sourceIp, 'locked after repeated failures');
      throw new CognitoError('NotAuthorizedException', 'Password attempts exceeded');
    }
  }

  private challenge(
    username: string,
    stage: Stage,
    pendingSecret?: string,
    webAuthnChallenge?: string,
  ): string {
    const session = randomBytes(32).toString('base64url');
    // Expired sessions leave as new ones come.
    for (const [key, value] of this.sessions) if (value.expiresAt <= this.now()) this.sessions.delete(key);
    this.sessions.set(session, {
      username,
      stage,
      expiresAt: this.now() + SESSION_TTL_MS,
      ...(pendingSecret ? { pendingSecret } : {}),
      ...(webAuthnChallenge ? { webAuthnChallenge } : {}),
    });
    return session;
  }

  private takeSession(session: string, stage: Stage): ChallengeSession {
    const found = this.sessions.get(session);
    this.sessions.delete(session);
    if (!found || found.stage !== stage || found.expiresAt <= this.now())
      throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    return found;
  }

  private async initiate(username: string, password: string, sourceIp?: string) {
    const row = this.row(username);
    await this.refuseIfLocked(row, 'console.login', sourceIp);
    if (!row || !passwordMatches(password, row.password_hash))
      return this.fail(row, 'console.login', row ? 'wrong password' : 'unknown user', sourceIp);
    if (row.temporary_until !== null) {
      if (row.temporary_until <= this.now())
        return this.fail(row, 'console.login', 'temporary password expired', sourceIp);
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: this.challenge(row.username, 'NEW_PASSWORD_REQUIRED'),
        ChallengeParameters: {},
      };
    }
    return this.afterPassword(row);
  }

  private afterPassword(row: UserRow) {
    // MFA is required: without a confirmed software token the only way on is to enrol one.
    const stage = row.totp_secret ? 'SOFTWARE_TOKEN_MFA' : 'MFA_SETUP';
    return { ChallengeName: stage, Session: this.challenge(row.username, stage), ChallengeParameters: {} };
  }

  private async respond(
    name: string,
    session: string,
    responses: Record<string, unknown>,
    sourceIp?: string,
  ) {
    if (name === 'NEW_PASSWORD_REQUIRED') {
      const { username } = this.takeSession(session, 'NEW_PASSWORD_REQUIRED');
      const password = String(responses.NEW_PASSWORD ?? '');
      const problem = passwordProblem(password);
      if (problem) {
        // The session is spent either way, as in Cognito only while valid: give it back for a retry.
        this.sessions.set(session, {
          username,
          stage: 'NEW_PASSWORD_REQUIRED',
          expiresAt: this.now() + SESSION_TTL_MS,
        });
        throw new CognitoError('InvalidPasswordException', problem);
      }
      this.db
        .prepare('UPDATE console_users SET password_hash = ?, temporary_until = NULL WHERE username = ?')
        .run(hashPassword(password), username);
      const row = this.row(username) as UserRow;
      await this.audit(row, 'console.password-change', 'success', sourceIp);
      return this.afterPassword(row);
    }
    if (name === 'MFA_SETUP') {
      const { username } = this.takeSession(session, 'MFA_SETUP_VERIFIED');
      const row = this.row(username) as UserRow;
      await this.audit(row, 'console.login', 'success', sourceIp, undefined);
      return this.tokens(row);
    }
    if (name === 'SOFTWARE_TOKEN_MFA') {
      const { username } = this.takeSession(session, 'SOFTWARE_TOKEN_MFA');
      const row = this.row(username) as UserRow;
      await this.refuseIfLocked(row, 'console.login', sourceIp);
      const secret = await this.options.keys.decrypt(this.totpScope(row.sub), row.totp_secret as string);
      const step = matchTotp(secret, String(responses.SOFTWARE_TOKEN_MFA_CODE ?? ''), this.now());
      if (step === undefined) return this.fail(row, 'console.login', 'wrong code', sourceIp);
      if (step <= row.last_totp_step) return this.fail(row, 'console.login', 'code reused', sourceIp);
      this.db
        .prepare('UPDATE console_users SET last_totp_step = ?, failed_attempts = 0 WHERE username = ?')
        .run(step, username);
      await this.audit(row, 'console.login', 'success', sourceIp);
      return this.tokens(row);
    }
    if (name === 'WEB_AUTHN') {
      const { username, webAuthnChallenge } = this.takeSession(session, 'WEB_AUTHN');
      const row = this.row(username) as UserRow;
      await this.refuseIfLocked(row, 'console.login', sourceIp);
      try {
        this.passkeys.verify(
          row.sub,
          webAuthnChallenge as string,
          JSON.parse(String(responses.CREDENTIAL ?? '')),
        );
      } catch (error) {
        return this.fail(row, 'console.login', `passkey: ${(error as Error).message}`, sourceIp);
      }
      this.db.prepare('UPDATE console_users SET failed_attempts = 0 WHERE username = ?').run(username);
      await this.audit(row, 'console.login', 'success', sourceIp, 'passkey');
      return this.tokens(row);
    }
    throw new CognitoError('InvalidParameterException', `unsupported challenge ${name}`);
  }

  /** USER_AUTH choosing WEB_AUTHN: the passkey challenge, for a person with passkey sign-in on. */
  private async initiatePasskey(username: string, preferred: unknown, sourceIp?: string) {
    if (preferred !== 'WEB_AUTHN')
      throw new CognitoError('InvalidParameterException', 'PREFERRED_CHALLENGE must be WEB_AUTHN');
    const row = this.row(username);
    await this.refuseIfLocked(row, 'console.login', sourceIp);
    if (!row || row.temporary_until !== null || !row.totp_secret || !this.passkeys.usable(row.sub))
      return this.fail(row, 'console.login', 'no passkey sign-in', sourceIp);
    const challenge = randomBytes(32).toString('base64url');
    const session = this.challenge(row.username, 'WEB_AUTHN', undefined, challenge);
    return {
      ChallengeName: 'WEB_AUTHN',
      Session: session,
      ChallengeParameters: {
        CREDENTIAL_REQUEST_OPTIONS: JSON.stringify(this.passkeys.requestOptions(row.sub, challenge)),
      },
    };
  }

  /** The person an access token (this twin's, token_use access) belongs to. */
  private async signedIn(token: unknown): Promise<UserRow> {
    try {
      const { payload } = await jwtVerify(String(token ?? ''), this.publicKey, {
        issuer: LOCAL_CONSOLE_ISSUER,
        algorithms: ['ES256'],
        currentDate: new Date(this.now()),
      });
      const row =
        payload.token_use === 'access' && payload.client_id === LOCAL_CONSOLE_CLIENT_ID
          ? (this.db.prepare('SELECT * FROM console_users WHERE sub = ?').get(String(payload.sub)) as
              | UserRow
              | undefined)
          : undefined;
      if (row) return row;
    } catch {
      // falls through to the refusal
    }
    throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
  }

  private associate(session: string) {
    const { username } = this.takeSession(session, 'MFA_SETUP');
    const secret = newTotpSecret();
    return { SecretCode: secret, Session: this.challenge(username, 'MFA_SETUP', secret) };
  }

  private async verifySoftwareToken(session: string, code: string, sourceIp?: string) {
    const pending = this.takeSession(session, 'MFA_SETUP');
    const row = this.row(pending.username) as UserRow;
    const secret = pending.pendingSecret;
    const step = secret ? matchTotp(secret, code, this.now()) : undefined;
    if (!secret || step === undefined) {
      await this.audit(row, 'console.mfa-enrol', 'failure', sourceIp, 'wrong code');
      // Another try with the same secret, as Cognito allows, until the session expires.
      if (secret) this.sessions.set(session, pending);
      throw new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch');
    }
    this.db
      .prepare(
        'UPDATE console_users SET totp_secret = ?, last_totp_step = ?, failed_attempts = 0 WHERE username = ?',
      )
      .run(await this.options.keys.encrypt(this.totpScope(row.sub), secret), step, row.username);
    await this.audit(row, 'console.mfa-enrol', 'success', sourceIp);
    return { Status: 'SUCCESS', Session: this.challenge(row.username, 'MFA_SETUP_VERIFIED') };
  }

  private async tokens(row: UserRow) {
    const nowSeconds = Math.floor(this.now() / 1000);
    const common = { 'cognito:groups': [row.grp], auth_time: nowSeconds };
    const sign = (claims: Record<string, unknown>, audience?: string) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'local' })
        .setIssuer(LOCAL_CONSOLE_ISSUER)
        .setSubject(row.sub)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + TOKEN_TTL_SECONDS)
        .setJti(randomUUID());
      return (audience ? jwt.setAudience(audience) : jwt).sign(this.privateKey);
    };
    const idToken = await sign(
      {
        ...common,
        token_use: 'id',
        email: row.username,
        'cognito:username': row.sub,
        ...(row.tenant_id ? { 'custom:tenant_id': row.tenant_id } : {}),
        ...(row.user_id ? { 'custom:user_id': row.user_id } : {}),
      },
      LOCAL_CONSOLE_CLIENT_ID,
    );
    const accessToken = await sign({
      ...common,
      token_use: 'access',
      client_id: LOCAL_CONSOLE_CLIENT_ID,
      scope: 'aws.cognito.signin.user.admin',
      username: row.sub,
    });
    return {
      AuthenticationResult: {
        IdToken: idToken,
        AccessToken: accessToken,
        ExpiresIn: TOKEN_TTL_SECONDS,
        TokenType: 'Bearer',
      },
      ChallengeParameters: {},
    };
  }
}
