/**
 * The console's Content-Security-Policy, one definition for the local server (local/console-site.ts)
 * and the CloudFront response headers policy (infra/constructs/console-site.ts): nothing inline,
 * nothing from another origin but the sign-in and API endpoints the deployment names.
 */
export function consoleCsp(connectSources: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
