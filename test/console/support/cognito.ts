/** The console's sign-in protocol (Cognito's JSON API) spoken directly, for the refusal cases. */
import { generateSync } from 'otplib';

export interface CognitoAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk Cognito's JSON
  readonly body: any;
}

export function cognitoClient(baseUrl: string) {
  const call = async (action: string, input: Record<string, unknown>): Promise<CognitoAnswer> => {
    const response = await fetch(`${baseUrl}/console-auth`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(input),
    });
    return { status: response.status, body: await response.json() };
  };
  const initiate = (username: string, password: string) =>
    call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'local-console',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
  const respond = (challenge: string, session: string, responses: Record<string, string>) =>
    call('RespondToAuthChallenge', {
      ClientId: 'local-console',
      ChallengeName: challenge,
      Session: session,
      ChallengeResponses: responses,
    });
  return {
    call,
    initiate,
    respond,
    /** Temporary password → new password → TOTP enrolment → ID token; returns the secret too. */
    async enrol(username: string, temporaryPassword: string, password: string) {
      const first = await initiate(username, temporaryPassword);
      const changed = await respond('NEW_PASSWORD_REQUIRED', first.body.Session, {
        USERNAME: username,
        NEW_PASSWORD: password,
      });
      const associated = await call('AssociateSoftwareToken', { Session: changed.body.Session });
      const secret = associated.body.SecretCode as string;
      const verified = await call('VerifySoftwareToken', {
        Session: associated.body.Session,
        UserCode: generateSync({ secret }),
      });
      const done = await respond('MFA_SETUP', verified.body.Session, { USERNAME: username });
      return { secret, idToken: done.body.AuthenticationResult?.IdToken as string };
    },
  };
}
