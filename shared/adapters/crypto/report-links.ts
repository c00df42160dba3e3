/**
 * Report links (shared/ports/report-files.ts), the same for the S3 store and its local twin: a token
 * `<payload>.<mac>` where the payload is base64url JSON `{t: tenantId, k: key, e: expiry (s)}` and the
 * mac is HMAC-SHA-256 under the platform's link key over a purpose prefix and the payload text, so a
 * changed byte, another tenant or another key fails verification. Malformed tokens are refused
 * before the key is asked (no KMS call for garbage).
 */
import { GoneError, NotFoundError } from '#domain/errors';
import { type LinkKey, REPORT_LINK_TTL_MS } from '#ports/report-files';

/** The API path links point to (functions/alerts/report-file-routes.ts). */
export const REPORT_FILES_PATH = '/v1/report-files';

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Path segments that start with a letter or digit: no `..`, no leading slash, no empty segment. */
const REPORT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 512;
const TOKEN = /^([A-Za-z0-9_-]{16,1000})\.([A-Za-z0-9_-]{43})$/;
const PURPOSE = 'report-link:v1:';

export const isReportKey = (key: string) => key.length <= MAX_KEY_LENGTH && REPORT_KEY.test(key);

/** The tenant's part of the store: `<tenantId>/`, the id checked. */
export function reportTenantPrefix(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new Error(`not a tenant id: ${JSON.stringify(tenantId)}`);
  return `${tenantId}/`;
}

/** Where the tenant's file lives in the store: `<tenantId>/<key>`, both checked (no way out of the prefix). */
export function reportObjectKey(tenantId: string, key: string): string {
  const prefix = reportTenantPrefix(tenantId);
  if (!isReportKey(key)) throw new Error(`not a report key: ${JSON.stringify(key)}`);
  return `${prefix}${key}`;
}

const notFound = () => new NotFoundError('no such report file (the link is not valid)', 'token');

export interface ReportLinkTarget {
  readonly tenantId: string;
  readonly key: string;
}

export class ReportLinks {
  constructor(
    private readonly key: LinkKey,
    /** The API base the link starts with (the tenant's home region's API), read when a link is made. */
    private readonly apiBase: () => string,
    private readonly ttlMs: number = REPORT_LINK_TTL_MS,
  ) {}

  /** A link to the tenant's `key`, valid for the TTL from `nowMs`. */
  async link(target: ReportLinkTarget, nowMs: number): Promise<string> {
    reportObjectKey(target.tenantId, target.key);
    const payload = Buffer.from(
      JSON.stringify({ t: target.tenantId, k: target.key, e: Math.floor((nowMs + this.ttlMs) / 1000) }),
    ).toString('base64url');
    const mac = await this.key.mac(Buffer.from(PURPOSE + payload));
    return `${this.apiBase().replace(/\/+$/, '')}${REPORT_FILES_PATH}/${payload}.${mac.toString('base64url')}`;
  }

  /**
   * The tenant and key a token names. 404 (NotFoundError) for anything not made by `link` under this
   * key, 410 (GoneError) for a genuine token past its expiry.
   */
  async open(token: string, nowMs: number): Promise<ReportLinkTarget> {
    const parts = TOKEN.exec(token);
    if (!parts) throw notFound();
    const [, payload, macText] = parts as unknown as [string, string, string];
    const mac = Buffer.from(macText, 'base64url');
    // The last of 43 characters carries 2 spare bits: only the canonical spelling is the token.
    if (mac.toString('base64url') !== macText) throw notFound();
    if (!(await this.key.verify(Buffer.from(PURPOSE + payload), mac))) throw notFound();
    let claims: { t?: unknown; k?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw notFound();
    }
    const { t, k, e } = claims;
    if (typeof t !== 'string' || typeof k !== 'string' || typeof e !== 'number') throw notFound();
    if (!TENANT_ID.test(t) || !isReportKey(k)) throw notFound();
    if (e * 1000 <= nowMs)
      throw new GoneError('the report link expired; the next report brings a new one', 'token');
    return { tenantId: t, key: k };
  }
}
