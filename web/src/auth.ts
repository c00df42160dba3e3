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
  readonly claims: Claims;
}

export type Challenge =
  | { readonly kind: 'NEW_PASSWORD_REQUIRED'; readonly session: string }
  | { readonly kind: 'MFA_SETUP'; readonly session: string }
  | { readonly kind: 'SOFTWARE_TOKEN_MFA'; readonly session: string };

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
  readonly AuthenticationResult?: { readonly IdToken: string };
}

function decodeClaims(jwt: string): Claims {
  const part = (jwt.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

function step(response: AuthResponse): Step {
  if (response.AuthenticationResult) {
    const idToken = response.AuthenticationResult.IdToken;
    current = { idToken, claims: decodeClaims(idToken) };
    return { kind: 'SIGNED_IN', session: current };
  }
  if (!response.ChallengeName || !response.Session) throw new AuthError('Error', 'unexpected answer');
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

async function respond(challenge: Challenge, responses: Record<string, string>): Promise<Step> {
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
