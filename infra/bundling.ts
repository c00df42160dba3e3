/**
 * How every Lambda function is bundled: read by PlatformFunction (what is deployed) and by
 * bench/bundles.ts (what is measured), so the two cannot drift apart.
 *
 * The packages below are left out of every bundle and shipped once, in the runtime dependencies
 * layer (constructs/runtime-dependencies-layer.ts), copied from this repository's node_modules at
 * synth time: the pinned versions the tests ran against, not whatever SDK the Lambda runtime ships
 * (the layer's /opt/nodejs/node_modules comes before the runtime's /var/runtime/node_modules on the
 * runtime's default NODE_PATH), and no function carries its own copy.
 */

/**
 * The packages the layer carries (esbuild `external` patterns; `scope/*` is every package of the
 * scope): the AWS SDK v3 and the Smithy runtime it is built on (our SigV4 signing for Amazon Managed
 * Prometheus uses @smithy/signature-v4 directly); the AWS Encryption SDK (per-tenant field
 * encryption; loaded on first use, it never costs a cold start that does not encrypt or decrypt);
 * and the X-Ray SDK under the Powertools tracer (~110 KB with semver and cls-hooked; loaded at
 * init by the functions that trace, shared/http/tracing.ts, so it still counts in their init figures).
 */
export const EXTERNAL_MODULES: string[] = [
  '@aws-sdk/*',
  '@smithy/*',
  '@aws-crypto/*',
  'aws-xray-sdk-core',
  // SLA report PDFs (functions/alerts/sla-pdf.ts): pdfkit reads its standard fonts' metrics from
  // files beside its code at run time, which a bundle would not carry.
  'pdfkit',
];

/** Whether a package (or a module path inside one) is one of EXTERNAL_MODULES. */
export function isLayerPackage(request: string): boolean {
  return EXTERNAL_MODULES.some((pattern) =>
    pattern.endsWith('/*')
      ? request.startsWith(pattern.slice(0, -1))
      : request === pattern || request.startsWith(`${pattern}/`),
  );
}

/** The esbuild settings NodejsFunction is given (and the bench mirrors). */
export const LAMBDA_BUNDLING = {
  minify: true,
  /** index.js.map beside the bundle; NODE_OPTIONS turns it on, so stack traces name our files. */
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  externalModules: EXTERNAL_MODULES,
} as const;

/** Set on every function: source-mapped stack traces (the bench loads bundles with it too). */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';
