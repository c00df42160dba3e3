/**
 * Signing in, against Amazon Cognito's user pool API (InitiateAuth, RespondToAuthChallenge,
 * AssociateSoftwareToken, VerifySoftwareToken) — in AWS the pool itself, locally the embedded twin
 * (local/console-identity.ts) that speaks the same protocol. The tokens live in this module's memory
 * only: no cookie (so nothing to forge cross-site) and nothing in storage a script could read later;
 * a reload signs out.
 */
export interface ConsoleConfig {
  /** Cognito's endpoint (https://cognito-idp.<region>.amazonaws.com/) or the local twin's path. */
  readonly authEndpoint: string;
  readonly clientId: string;
  /** Where the API is; '' for the console's own origin. */
  readonly apiBase: string;
}

export interface Claims {
  readonly sub: string;
  readonly email?: string;
  readonly 'custom:tenant_id'?: string;
  readonly 'cognito:groups'?: readonly string[];
  readonly exp: number;
}

export interface Session {
  readonly idToken: string;
  /** For the pool's own actions on the signed-in person (passkey registration). */
  readonly accessToken: string;
  readonly claims: Claims;
}

export type Challenge =
  | { readonly kind: 'NEW_PASSWORD_REQUIRED'; readonly session: string }
  | { readonly kind: 'MFA_SETUP'; readonly session: string }
  | { readonly kind: 'SOFTWARE_TOKEN_MFA'; readonly session: string }
  | { readonly kind: 'WEB_AUTHN'; readonly session: string; readonly options: string };

export type Step = Challenge | { readonly kind: 'SIGNED_IN'; readonly session: Session };

export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let config: ConsoleConfig | undefined;
let current: Session | undefined;
let username = '';

export async function loadConfig(): Promise<ConsoleConfig> {
  if (!config) {
    const response = await fetch('/config.json', { cache: 'no-store' });
    config = (await response.json()) as ConsoleConfig;
  }
  return config;
}

export const session = (): Session | undefined =>
  current && current.claims.exp * 1000 > Date.now() ? current : undefined;

export function signOut(): void {
  current = undefined;
}

async function cognito<T>(action: string, body: Record<string, unknown>): Promise<T> {
  const { authEndpoint } = await loadConfig();
  const response = await fetch(authEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const payload = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    const code = String(payload.__type ?? 'Error')
      .split('#')
      .pop() as string;
    throw new AuthError(code, String(payload.message ?? payload.Message ?? 'sign-in failed'));
  }
  return payload as T;
}

interface AuthResponse {
  readonly ChallengeName?: Challenge['kind'];
  readonly Session?: string;
  readonly ChallengeParameters?: Record<string, string>;
  readonly AuthenticationResult?: { readonly IdToken: string; readonly AccessToken: string };
}

function decodeClaims(jwt: string): Claims {
  const part = (jwt.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

function step(response: AuthResponse): Step {
  if (response.AuthenticationResult) {
    const { IdToken: idToken, AccessToken: accessToken } = response.AuthenticationResult;
    current = { idToken, accessToken, claims: decodeClaims(idToken) };
    return { kind: 'SIGNED_IN', session: current };
  }
  if (!response.ChallengeName || !response.Session) throw new AuthError('Error', 'unexpected answer');
  if (response.ChallengeName === 'WEB_AUTHN')
    return {
      kind: 'WEB_AUTHN',
      session: response.Session,
      options: response.ChallengeParameters?.CREDENTIAL_REQUEST_OPTIONS ?? '{}',
    };
  return { kind: response.ChallengeName, session: response.Session };
}

export async function signIn(user: string, password: string): Promise<Step> {
  const { clientId } = await loadConfig();
  username = user;
  return step(
    await cognito<AuthResponse>('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: user, PASSWORD: password },
    }),
  );
}

async function respond(
  challenge: Pick<Challenge, 'kind' | 'session'>,
  responses: Record<string, string>,
): Promise<Step> {
  const { clientId } = await loadConfig();
  return step(
    await cognito<AuthResponse>('RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: challenge.kind,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: username, ...responses },
    }),
  );
}

export const setNewPassword = (challenge: Challenge, password: string) =>
  respond(challenge, { NEW_PASSWORD: password });

export const answerCode = (challenge: Challenge, code: string) =>
  respond(challenge, { SOFTWARE_TOKEN_MFA_CODE: code });

/** MFA enrolment: the secret to put in an authenticator app, and the session to verify it with. */
export async function startEnrolment(challenge: Challenge): Promise<{ secret: string; session: string }> {
  const answer = await cognito<{ SecretCode: string; Session: string }>('AssociateSoftwareToken', {
    Session: challenge.session,
  });
  return { secret: answer.SecretCode, session: answer.Session };
}

export async function finishEnrolment(enrolmentSession: string, code: string): Promise<Step> {
  const verified = await cognito<{ Status: string; Session: string }>('VerifySoftwareToken', {
    Session: enrolmentSession,
    UserCode: code,
    FriendlyDeviceName: 'authenticator',
  });
  return respond({ kind: 'MFA_SETUP', session: verified.Session }, {});
}

export const otpauthUri = (secret: string, account: string): string =>
  `otpauth://totp/${encodeURIComponent(`Observability:${account}`)}?secret=${secret}&issuer=Observability`;

// ---- Passkeys (WebAuthn): Cognito's WEB_AUTHN first factor, with user verification as the second.

const fromB64url = (value: string): ArrayBuffer =>
  Uint8Array.from(atob(value.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0)).buffer;
const toB64url = (buffer: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

interface CredentialDescriptorJSON {
  readonly type: 'public-key';
  readonly id: string;
}

/**
 * Registers a passkey for the signed-in person (StartWebAuthnRegistration, the browser's
 * navigator.credentials.create, CompleteWebAuthnRegistration), then turns passkey sign-in on for them
 * (SetUserMFAPreference: with user verification a passkey is both factors).
 */
export async function registerPasskey(): Promise<void> {
  const signedIn = session();
  if (!signedIn) throw new AuthError('NotAuthorizedException', 'Sign in first.');
  const AccessToken = signedIn.accessToken;
  const { CredentialCreationOptions: options } = await cognito<{
    CredentialCreationOptions: {
      rp: PublicKeyCredentialRpEntity;
      user: { id: string; name: string; displayName: string };
      challenge: string;
      pubKeyCredParams: PublicKeyCredentialParameters[];
      timeout?: number;
      excludeCredentials?: CredentialDescriptorJSON[];
      authenticatorSelection?: AuthenticatorSelectionCriteria;
      attestation?: AttestationConveyancePreference;
    };
  }>('StartWebAuthnRegistration', { AccessToken });
  const credential = (await navigator.credentials.create({
    publicKey: {
      ...options,
      user: { ...options.user, id: fromB64url(options.user.id) },
      challenge: fromB64url(options.challenge),
      excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: fromB64url(c.id) })),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new AuthError('NotAllowedError', 'No passkey was made.');
  const response = credential.response as AuthenticatorAttestationResponse;
  await cognito('CompleteWebAuthnRegistration', {
    AccessToken,
    Credential: {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toB64url(response.clientDataJSON),
        attestationObject: toB64url(response.attestationObject),
        transports: response.getTransports?.() ?? [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      ...(credential.authenticatorAttachment
        ? { authenticatorAttachment: credential.authenticatorAttachment }
        : {}),
    },
  });
  await cognito('SetUserMFAPreference', { AccessToken, WebAuthnMfaSettings: { Enabled: true } });
}

/** Passkey sign-in: USER_AUTH preferring WEB_AUTHN, the browser's navigator.credentials.get, the answer. */
export async function signInWithPasskey(user: string): Promise<Step> {
  const { clientId } = await loadConfig();
  username = user;
  const first = step(
    await cognito<AuthResponse>('InitiateAuth', {
      AuthFlow: 'USER_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: user, PREFERRED_CHALLENGE: 'WEB_AUTHN' },
    }),
  );
  if (first.kind !== 'WEB_AUTHN') return first;
  const options = JSON.parse(first.options) as {
    challenge: string;
    rpId?: string;
    timeout?: number;
    userVerification?: UserVerificationRequirement;
    allowCredentials?: CredentialDescriptorJSON[];
  };
  const credential = (await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: fromB64url(options.challenge),
      allowCredentials: (options.allowCredentials ?? []).map((c) => ({ ...c, id: fromB64url(c.id) })),
    },
  })) as PublicKeyCredential | null;
  if (!credential) throw new AuthError('NotAllowedError', 'No passkey was used.');
  const response = credential.response as AuthenticatorAssertionResponse;
  return respond(first, {
    CREDENTIAL: JSON.stringify({
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toB64url(response.clientDataJSON),
        authenticatorData: toB64url(response.authenticatorData),
        signature: toB64url(response.signature),
        ...(response.userHandle ? { userHandle: toB64url(response.userHandle) } : {}),
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    }),
  });
}
