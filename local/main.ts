/**
 * `npm start`: the platform on this machine. PORT (default 8080), DATA_DIR (default .data),
 * PROVIDER_ADMIN_TOKEN (default: generated once, kept under DATA_DIR, printed only then),
 * REGION (default us-west-2: the region this platform serves; tenants homed elsewhere get 421),
 * WEBHOOKS_ALLOW_LOOPBACK=true to let webhooks reach this machine (off: as in AWS).
 */
// Local defaults for the Lambda utilities: no EMF metric lines on stdout, no X-Ray.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const { startPlatform } = await import('./platform');
const { localMetricStoreFromEnv } = await import('#adapters/aws/amp-prometheus');

const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(1);
}

const platform = await startPlatform({
  port,
  dataDir: process.env.DATA_DIR ?? '.data',
  providerAdminToken: process.env.PROVIDER_ADMIN_TOKEN || undefined,
  // METRIC_STORE=prometheus + PROMETHEUS_URL: store metrics in a Prometheus, as an AMP region does.
  metricStore: localMetricStoreFromEnv(process.env),
  alerting: { webhook: { allowLoopback: process.env.WEBHOOKS_ALLOW_LOOPBACK === 'true' } },
});

// The token is shown once, when this start generated it; otherwise the banner says where it is.
const tokenLines = process.env.PROVIDER_ADMIN_TOKEN
  ? ['  provider token from PROVIDER_ADMIN_TOKEN']
  : platform.tokenGenerated
    ? [
        `  provider token ${platform.providerAdminToken}`,
        `                 (generated, saved to ${platform.dataDir}/provider-admin-token; shown only now)`,
      ]
    : [`  provider token in ${platform.dataDir}/provider-admin-token`];
console.log(
  [
    '',
    '  Observability platform (local)',
    `  listening on   ${platform.url}`,
    `  console        ${platform.url}/  (sign-in with MFA; first logins: README, "The console")`,
    `  data kept in   ${platform.dataDir}`,
    ...tokenLines,
    '',
    `  try: curl -s -X POST ${platform.url}/admin/v1/tenants -H "Authorization: Bearer $TOKEN" \\`,
    `         -H 'Content-Type: application/json' -d '{"name":"acme"}'`,
    '',
  ].join('\n'),
);

const shutdown = async () => {
  await platform.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

export {};
