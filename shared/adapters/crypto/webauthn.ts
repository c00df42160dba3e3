/**
 * A WebAuthn relying party's checks (W3C WebAuthn Level 3, §7.1 registration and §7.2 assertion) for
 * the local twin of the console's user pool, with node:crypto only: the client data (type,
 * challenge, origin), the authenticator data (rpIdHash, user present and verified, sign count), the
 * attestation ("none", or "packed" self-attestation) and the ES256 signature. Cognito does the same
 * in AWS; the console sends both the same JSON (RegistrationResponseJSON, AuthenticationResponseJSON).
 */
import { createHash, createPublicKey, type JsonWebKey, timingSafeEqual, verify } from 'node:crypto';

export class WebAuthnError extends Error {}

/** COSE algorithm ES256 (ECDSA P-256 with SHA-256): the one the pool offers. */
export const ES256 = -7;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const b64 = (value: unknown, name: string): Buffer => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(value))
    throw new WebAuthnError(`${name} must be base64url`);
  return Buffer.from(value, 'base64url');
};

// ---- CBOR (RFC 8949), the subset attestation objects and COSE keys use

type Cbor = number | bigint | Buffer | string | boolean | null | undefined | Cbor[] | Map<Cbor, Cbor>;

function decodeCbor(data: Buffer): { value: Cbor; end: number } {
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > data.length) throw new WebAuthnError('CBOR: truncated');
  };
  const length = (info: number): number => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (!size) throw new WebAuthnError('CBOR: indefinite lengths are not used here');
    need(size);
    const n = size === 8 ? Number(data.readBigUInt64BE(offset)) : data.readUIntBE(offset, size);
    offset += size;
    return n;
  };
  const item = (depth: number): Cbor => {
    if (depth > 16) throw new WebAuthnError('CBOR: nested too deep');
    need(1);
    const initial = data[offset++] as number;
    const major = initial >> 5;
    const info = initial & 31;
    switch (major) {
      case 0:
        return length(info);
      case 1:
        return -1 - length(info);
      case 2:
      case 3: {
        const n = length(info);
        need(n);
        const bytes = data.subarray(offset, offset + n);
        offset += n;
        return major === 2 ? Buffer.from(bytes) : bytes.toString('utf8');
      }
      case 4:
        return Array.from({ length: length(info) }, () => item(depth + 1));
      case 5: {
        const map = new Map<Cbor, Cbor>();
        for (let n = length(info); n > 0; n--) map.set(item(depth + 1), item(depth + 1));
        return map;
      }
      case 7:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new WebAuthnError('CBOR: unsupported simple value');
      default:
        throw new WebAuthnError('CBOR: unsupported type');
    }
  };
  const value = item(0);
  return { value, end: offset };
}

// ---- authenticator data

interface AuthenticatorData {
  readonly rpIdHash: Buffer;
  readonly userPresent: boolean;
  readonly userVerified: boolean;
  readonly signCount: number;
  readonly credential?: { readonly id: Buffer; readonly publicKey: JsonWebKey };
}

/** A COSE_Key (RFC 9052) of kty EC2, alg ES256, crv P-256 → its JWK. */
function coseToJwk(key: Cbor): JsonWebKey {
  if (!(key instanceof Map)) throw new WebAuthnError('credential public key is not a COSE key');
  const x = key.get(-2);
  const y = key.get(-3);
  if (
    key.get(1) !== 2 ||
    key.get(3) !== ES256 ||
    key.get(-1) !== 1 ||
    !Buffer.isBuffer(x) ||
    !Buffer.isBuffer(y)
  )
    throw new WebAuthnError('credential public key must be ES256 on P-256');
  return { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') };
}

function parseAuthenticatorData(data: Buffer): AuthenticatorData {
  if (data.length < 37) throw new WebAuthnError('authenticator data is too short');
  const flags = data[32] as number;
  const parsed = {
    rpIdHash: data.subarray(0, 32),
    userPresent: (flags & 0x01) !== 0,
    userVerified: (flags & 0x04) !== 0,
    signCount: data.readUInt32BE(33),
  };
  if (!(flags & 0x40)) return parsed;
  if (data.length < 55) throw new WebAuthnError('attested credential data is too short');
  const idLength = data.readUInt16BE(53);
  const id = data.subarray(55, 55 + idLength);
  const { value } = decodeCbor(data.subarray(55 + idLength));
  return { ...parsed, credential: { id: Buffer.from(id), publicKey: coseToJwk(value) } };
}

// ---- the checks

export interface RelyingParty {
  /** The relying party id: the console's domain (locally `localhost`). */
  readonly id: string;
  /** Origins the console is served from; absent: https on the id's host, or http on localhost. */
  readonly origins?: readonly string[];
}

function isConsoleOrigin(origin: unknown, rp: RelyingParty): boolean {
  if (typeof origin !== 'string') return false;
  if (rp.origins) return rp.origins.includes(origin);
  try {
    const url = new URL(origin);
    return (
      url.hostname === rp.id &&
      (url.protocol === 'https:' || (url.protocol === 'http:' && rp.id === 'localhost'))
    );
  } catch {
    return false;
  }
}

function checkClientData(
  encoded: unknown,
  type: 'webauthn.create' | 'webauthn.get',
  challenge: string,
  rp: RelyingParty,
): Buffer {
  const raw = b64(encoded, 'clientDataJSON');
  let clientData: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
  try {
    clientData = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WebAuthnError('clientDataJSON is not JSON');
  }
  if (clientData.type !== type) throw new WebAuthnError(`client data type is not ${type}`);
  const expected = Buffer.from(challenge, 'base64url');
  const actual = b64(clientData.challenge, 'challenge');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new WebAuthnError('challenge does not match');
  if (!isConsoleOrigin(clientData.origin, rp))
    throw new WebAuthnError(`origin ${String(clientData.origin)} is not the console's`);
  if (clientData.crossOrigin === true) throw new WebAuthnError('cross-origin ceremonies are refused');
  return raw;
}

function checkAuthenticatorData(data: AuthenticatorData, rp: RelyingParty): void {
  if (!data.rpIdHash.equals(sha256(Buffer.from(rp.id))))
    throw new WebAuthnError('rpIdHash is not the console’s');
  if (!data.userPresent) throw new WebAuthnError('user not present');
  // The passkey is the second factor as well as the first: the authenticator must have verified the person.
  if (!data.userVerified) throw new WebAuthnError('user not verified');
}

const es256Verify = (publicKey: JsonWebKey, signed: Buffer, signature: Buffer) =>
  verify(
    'sha256',
    signed,
    { key: createPublicKey({ key: publicKey, format: 'jwk' }), dsaEncoding: 'der' },
    signature,
  );

export interface RegisteredCredential {
  /** base64url credential id. */
  readonly credentialId: string;
  readonly publicKey: JsonWebKey;
  readonly signCount: number;
}

/** §7.1: checks a RegistrationResponseJSON against the challenge issued; the credential to keep. */
export function verifyRegistration(
  response: unknown,
  challenge: string,
  rp: RelyingParty,
): RegisteredCredential {
  const r = response as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> };
  if (r?.type !== 'public-key' || typeof r.response !== 'object' || r.response === null)
    throw new WebAuthnError('not a public-key credential');
  const clientData = checkClientData(r.response.clientDataJSON, 'webauthn.create', challenge, rp);
  const { value } = decodeCbor(b64(r.response.attestationObject, 'attestationObject'));
  if (!(value instanceof Map)) throw new WebAuthnError('attestationObject is not a CBOR map');
  const authDataRaw = value.get('authData');
  const fmt = value.get('fmt');
  const attStmt = value.get('attStmt');
  if (!Buffer.isBuffer(authDataRaw) || !(attStmt instanceof Map))
    throw new WebAuthnError('attestationObject is malformed');
  const authData = parseAuthenticatorData(authDataRaw);
  checkAuthenticatorData(authData, rp);
  if (!authData.credential) throw new WebAuthnError('no attested credential');
  const rawId = b64(r.rawId ?? r.id, 'rawId');
  if (!rawId.equals(authData.credential.id)) throw new WebAuthnError('rawId is not the attested credential');
  if (fmt === 'packed') {
    // Self attestation only (no certificate chain to check against a vendor's roots).
    const sig = attStmt.get('sig');
    if (attStmt.get('alg') !== ES256 || !Buffer.isBuffer(sig) || attStmt.has('x5c'))
      throw new WebAuthnError('packed attestation must be ES256 self attestation');
    if (!es256Verify(authData.credential.publicKey, Buffer.concat([authDataRaw, sha256(clientData)]), sig))
      throw new WebAuthnError('attestation signature does not verify');
  } else if (fmt !== 'none' || attStmt.size !== 0)
    throw new WebAuthnError(`attestation format ${String(fmt)} is not accepted`);
  return {
    credentialId: authData.credential.id.toString('base64url'),
    publicKey: authData.credential.publicKey,
    signCount: authData.signCount,
  };
}

/** §7.2: checks an AuthenticationResponseJSON made with `credential`; its new sign count. */
export function verifyAssertion(
  response: unknown,
  challenge: string,
  rp: RelyingParty,
  credential: RegisteredCredential,
): { signCount: number } {
  const r = response as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> };
  if (r?.type !== 'public-key' || typeof r.response !== 'object' || r.response === null)
    throw new WebAuthnError('not a public-key credential');
  if (b64(r.rawId ?? r.id, 'rawId').toString('base64url') !== credential.credentialId)
    throw new WebAuthnError('not this credential');
  const clientData = checkClientData(r.response.clientDataJSON, 'webauthn.get', challenge, rp);
  const authDataRaw = b64(r.response.authenticatorData, 'authenticatorData');
  const authData = parseAuthenticatorData(authDataRaw);
  checkAuthenticatorData(authData, rp);
  const signature = b64(r.response.signature, 'signature');
  if (!es256Verify(credential.publicKey, Buffer.concat([authDataRaw, sha256(clientData)]), signature))
    throw new WebAuthnError('signature does not verify');
  // A counter that does not move on (when the authenticator keeps one) means a cloned authenticator.
  if ((authData.signCount !== 0 || credential.signCount !== 0) && authData.signCount <= credential.signCount)
    throw new WebAuthnError('sign count did not increase: a cloned authenticator?');
  return { signCount: authData.signCount };
}
