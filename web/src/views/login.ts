/** Sign-in with a mandatory second factor: password, then (first time) a new password and TOTP enrolment. */
import {
  AuthError,
  answerCode,
  type Challenge,
  finishEnrolment,
  otpauthUri,
  type Session,
  type Step,
  setNewPassword,
  signIn,
  signInWithPasskey,
  startEnrolment,
} from '../auth';
import { field, h, mount, statusLine } from '../dom';

export function loginView(root: HTMLElement, signedIn: (session: Session) => void): void {
  const status = statusLine();
  let email = '';

  const form = (title: string, fields: HTMLElement[], submit: string, onSubmit: () => Promise<void>) => {
    const button = h('button', { type: 'submit' }, submit);
    const element = h(
      'form',
      {
        class: 'card login',
        'aria-labelledby': 'login-title',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          button.disabled = true;
          status.textContent = '';
          try {
            await onSubmit();
          } catch (error) {
            status.textContent =
              error instanceof AuthError ? `${error.message}` : 'Could not reach the sign-in service.';
            status.classList.add('error');
          } finally {
            button.disabled = false;
          }
        },
      },
      h('h1', { id: 'login-title' }, title),
      ...fields,
      button,
      status,
    );
    mount(root, element);
    element.querySelector('input')?.focus();
  };

  const next = async (step: Step) => {
    status.classList.remove('error');
    if (step.kind === 'SIGNED_IN') return signedIn(step.session);
    if (step.kind === 'NEW_PASSWORD_REQUIRED') return newPassword(step);
    if (step.kind === 'MFA_SETUP') return enrol(step);
    if (step.kind === 'WEB_AUTHN') throw new AuthError('Error', 'unexpected passkey challenge');
    return code(step);
  };

  const passwordInput = (name: string, autocomplete: string) =>
    h('input', {
      type: 'password',
      name,
      autocomplete,
      required: true,
      minlength: name === 'password' ? 1 : 12,
    });
  const codeInput = () =>
    h('input', {
      name: 'code',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: 6,
      required: true,
    });

  const start = () => {
    const user = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
    const password = passwordInput('password', 'current-password');
    form('Sign in', [field('Email', user), field('Password', password)], 'Sign in', async () => {
      email = user.value;
      await next(await signIn(user.value, password.value));
    });
    // A passkey (with the authenticator's own check of the person) signs in without password or code.
    const passkey = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          status.classList.remove('error');
          status.textContent = '';
          if (!user.reportValidity()) return;
          passkey.disabled = true;
          try {
            email = user.value;
            await next(await signInWithPasskey(user.value));
          } catch (error) {
            status.textContent =
              error instanceof AuthError
                ? error.message
                : error instanceof DOMException
                  ? 'The passkey was not used.'
                  : 'Could not reach the sign-in service.';
            status.classList.add('error');
          } finally {
            passkey.disabled = false;
          }
        },
      },
      'Sign in with a passkey',
    );
    root.querySelector('form .actions, form button[type=submit]')?.after(passkey);
  };

  const newPassword = (challenge: Challenge) => {
    const password = passwordInput('new-password', 'new-password');
    form(
      'Choose a password',
      [
        field(
          'New password',
          password,
          'At least 12 characters, with upper and lower case letters, digits and symbols.',
        ),
      ],
      'Save password',
      async () => next(await setNewPassword(challenge, password.value)),
    );
  };

  const enrol = async (challenge: Challenge) => {
    const { secret, session } = await startEnrolment(challenge);
    const input = codeInput();
    form(
      'Set up two-step sign-in',
      [
        h(
          'p',
          null,
          'Add this key to an authenticator app (time-based, 6 digits, 30 seconds), then enter the code it shows.',
        ),
        h('p', null, 'Key: ', h('code', { class: 'secret', 'data-testid': 'totp-secret' }, secret)),
        h('p', { class: 'uri' }, h('code', null, otpauthUri(secret, email))),
        field('Code from the app', input),
      ],
      'Verify and sign in',
      async () => next(await finishEnrolment(session, input.value)),
    );
  };

  const code = (challenge: Challenge) => {
    const input = codeInput();
    form('Two-step sign-in', [field('Code from your authenticator app', input)], 'Verify', async () =>
      next(await answerCode(challenge, input.value)),
    );
  };

  start();
}
