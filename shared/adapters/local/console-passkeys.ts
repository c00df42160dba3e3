/**
 * The passkeys of the local console identity twin (console-identity.ts), as Amazon Cognito keeps them
 * for a user pool with WEB_AUTHN sign-in: registered by a signed-in person (StartWebAuthnRegistration,
 * CompleteWebAuthnRegistration), usable for sign-in once passkey MFA is on for them
 * (SetUserMFAPreference WebAuthnMfaSettings), user verification required, checked with
 * shared/adapters/crypto/webauthn.ts.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import {
  ES256,
  type RegisteredCredential,
  type RelyingParty,
  verifyAssertion,
  verifyRegistration,
} from '#adapters/crypto/webauthn';

const CEREMONY_TTL_MS = 3 * 60_000;
/** Passkeys one person may register (Cognito's limit is 20). */
export const MAX_PASSKEYS = 20;

interface PasskeyRow {
  credential_id: string;
  sub: string;
  public_key: string;
  sign_count: number;
}

export class LocalConsolePasskeys {
  /** Registration challenges by person (sub): one ceremony at a time each. */
  private readonly registrations = new Map<string, { challenge: string; expiresAt: number }>();

  constructor(
    private readonly db: DatabaseSync,
    readonly relyingParty: RelyingParty,
    private readonly now: () => number,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS console_passkeys (
        credential_id TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        public_key TEXT NOT NULL,
        sign_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS console_passkeys_by_sub ON console_passkeys (sub);
      CREATE TABLE IF NOT EXISTS console_passkey_mfa (sub TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
  }

  private credentials(sub: string): PasskeyRow[] {
    return this.db
      .prepare('SELECT * FROM console_passkeys WHERE sub = ?')
      .all(sub) as unknown as PasskeyRow[];
  }

  /** StartWebAuthnRegistration's CredentialCreationOptions (PublicKeyCredentialCreationOptionsJSON). */
  startRegistration(sub: string, email: string) {
    const challenge = randomBytes(32).toString('base64url');
    this.registrations.set(sub, { challenge, expiresAt: this.now() + CEREMONY_TTL_MS });
    return {
      rp: { id: this.relyingParty.id, name: 'Observability console' },
      user: { id: Buffer.from(sub).toString('base64url'), name: email, displayName: email },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: ES256 }],
      timeout: CEREMONY_TTL_MS,
      excludeCredentials: this.credentials(sub).map((c) => ({ type: 'public-key', id: c.credential_id })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    };
  }

  /** CompleteWebAuthnRegistration: throws WebAuthnError (or Error) when the response does not check out. */
  completeRegistration(sub: string, response: unknown): void {
    const pending = this.registrations.get(sub);
    this.registrations.delete(sub);
    if (!pending || pending.expiresAt <= this.now()) throw new Error('no registration under way');
    if (this.credentials(sub).length >= MAX_PASSKEYS) throw new Error('too many passkeys');
    const credential = verifyRegistration(response, pending.challenge, this.relyingParty);
    const inserted = this.db
      .prepare(
        `INSERT INTO console_passkeys (credential_id, sub, public_key, sign_count, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING`,
      )
      .run(
        credential.credentialId,
        sub,
        JSON.stringify(credential.publicKey),
        credential.signCount,
        this.now(),
      );
    if (inserted.changes === 0) throw new Error('this passkey is already registered');
  }

  setMfa(sub: string, enabled: boolean): void {
    if (enabled) this.db.prepare('INSERT OR IGNORE INTO console_passkey_mfa (sub) VALUES (?)').run(sub);
    else this.db.prepare('DELETE FROM console_passkey_mfa WHERE sub = ?').run(sub);
  }

  /** Passkey sign-in is offered when the person has a passkey and passkey MFA on. */
  usable(sub: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM console_passkey_mfa WHERE sub = ?').get(sub) !== undefined &&
      this.credentials(sub).length > 0
    );
  }

  /** The WEB_AUTHN challenge's CREDENTIAL_REQUEST_OPTIONS (PublicKeyCredentialRequestOptionsJSON). */
  requestOptions(sub: string, challenge: string) {
    return {
      challenge,
      rpId: this.relyingParty.id,
      timeout: CEREMONY_TTL_MS,
      userVerification: 'required',
      allowCredentials: this.credentials(sub).map((c) => ({ type: 'public-key', id: c.credential_id })),
    };
  }

  /** Checks an assertion for `challenge` by one of the person's passkeys; keeps its new sign count. */
  verify(sub: string, challenge: string, response: unknown): void {
    const id = (response as { id?: unknown })?.id;
    const row = this.credentials(sub).find((c) => c.credential_id === id);
    if (!row) throw new Error('not a passkey of this person');
    const credential: RegisteredCredential = {
      credentialId: row.credential_id,
      publicKey: JSON.parse(row.public_key),
      signCount: row.sign_count,
    };
    const { signCount } = verifyAssertion(response, challenge, this.relyingParty, credential);
    this.db
      .prepare('UPDATE console_passkeys SET sign_count = ? WHERE credential_id = ?')
      .run(signCount, row.credential_id);
  }

  remove(sub: string): void {
    this.db.prepare('DELETE FROM console_passkeys WHERE sub = ?').run(sub);
    this.db.prepare('DELETE FROM console_passkey_mfa WHERE sub = ?').run(sub);
    this.registrations.delete(sub);
  }
}
