/**
 * Where rendered reports are kept, and the links that fetch them. A link is a capability to the
 * platform's own API (`GET /v1/report-files/{token}`), not to the store: a pre-signed S3 URL made by a
 * Lambda role dies with the role session's credentials (hours), long before an e-mailed link is
 * clicked; the token names tenant, key and expiry under the platform's HMAC key instead
 * (shared/adapters/crypto/report-links.ts).
 */

/** How long an e-mailed link opens its file. */
export const REPORT_LINK_TTL_MS = 30 * 86_400_000;

export interface ReportFiles {
  /** Stores the PDF as the tenant's `key` and answers a link to it, valid REPORT_LINK_TTL_MS. */
  put(tenantId: string, key: string, pdf: Buffer): Promise<string>;
  /**
   * The tenant's file a verified link names: where to fetch it (a short-lived store URL made now),
   * or its bytes; undefined when there is no such file.
   */
  fetch(tenantId: string, key: string): Promise<ReportFileAccess | undefined>;
}

export type ReportFileAccess =
  | { readonly kind: 'redirect'; readonly url: string }
  | { readonly kind: 'content'; readonly pdf: Buffer };

/**
 * The platform's key that authenticates link tokens (HMAC-SHA-256): a KMS HMAC key on AWS (no secret
 * in any function), a key file in the data directory locally.
 */
export interface LinkKey {
  mac(message: Buffer): Promise<Buffer>;
  /** False when `mac` is not the message's (never throws for a wrong one). */
  verify(message: Buffer, mac: Buffer): Promise<boolean>;
}
