/**
 * The deployment's shape, typed: which regions, which one is primary (global table, keys, backups),
 * which one aggregates alerts, and each region's metric store. Read once by infra/app.ts; overridable
 * from CDK context (see configFromContext) without editing code.
 */
import { fileURLToPath } from 'node:url';
import { resourceTypeExistsIn } from './region-facts';

export type MetricStoreKind = 'timestream' | 'amp';

/** Optional custom domain for a region's ingest API (certificate must live in that region). */
export interface CustomDomainConfig {
  /** e.g. `ingest.eu-west-1.example.com` */
  readonly domainName: string;
  /** ACM certificate ARN in the same region as the API. */
  readonly certificateArn: string;
}

/** Optional Route 53 latency routing: one name answering from the nearest healthy region. */
export interface LatencyRoutingConfig {
  readonly hostedZoneId: string;
  readonly zoneName: string;
  /** The shared name, e.g. `ingest.example.com`; every region also needs a customDomain with this name. */
  readonly recordName: string;
}

export interface RegionConfig {
  readonly region: string;
  readonly metricStore: MetricStoreKind;
  readonly customDomain?: CustomDomainConfig;
}

export interface PlatformConfig {
  /** Account to pin stacks to; undefined keeps templates account-agnostic. */
  readonly account?: string;
  readonly regions: readonly RegionConfig[];
  /** Holds the global table's primary replica, the multi-region primary keys and the backup plan. */
  readonly primaryRegion: string;
  /** Where alert events from every region are copied for the provider's single view. */
  readonly alertAggregationRegion: string;
  /** Days of Timestream magnetic-store retention (long-term history). */
  readonly magneticRetentionDays: number;
  /** CloudWatch Logs retention for every function and API log group. */
  readonly logRetentionDays: number;
  /** WAF rate-based rule: requests per source IP per 5 minutes before blocking. */
  readonly wafRateLimitPer5Min: number;
  /** API Gateway stage throttling (steady rate, burst). */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** E-mail address subscribed to the provider's on-call topic (optional; add PagerDuty etc. by hand). */
  readonly onCallEmail?: string;
  readonly latencyRouting?: LatencyRoutingConfig;
  /**
   * The built console to upload to the console site (default web/dist, built by `npm run build:web`,
   * which `npm run synth` runs first; synthesis fails with that advice when it is missing); absent:
   * bucket and distribution only.
   */
  readonly consoleAssetsDir?: string;
}

export const TIMESTREAM_RESOURCE_TYPE = 'AWS::Timestream::Database';
export const AMP_RESOURCE_TYPE = 'AWS::APS::Workspace';

/** The seed's five service centres. London (eu-west-2) has no Timestream for LiveAnalytics. */
/** Where `npm run build:web` puts the console. */
export const DEFAULT_CONSOLE_ASSETS_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export const DEFAULT_CONFIG: PlatformConfig = {
  consoleAssetsDir: DEFAULT_CONSOLE_ASSETS_DIR,
  regions: [
    { region: 'us-west-2', metricStore: 'timestream' },
    { region: 'us-east-1', metricStore: 'timestream' },
    { region: 'eu-west-1', metricStore: 'timestream' },
    { region: 'eu-west-2', metricStore: 'amp' },
    { region: 'ap-southeast-2', metricStore: 'timestream' },
  ],
  primaryRegion: 'us-west-2',
  alertAggregationRegion: 'us-west-2',
  magneticRetentionDays: 400,
  logRetentionDays: 90,
  wafRateLimitPer5Min: 20_000,
  apiThrottle: { rateLimit: 2_000, burstLimit: 4_000 },
};

/**
 * Every region on Amazon Managed Service for Prometheus: for accounts that cannot use Timestream for
 * LiveAnalytics (closed to new customers since 2025-06-20).
 */
export function withEveryRegionOn(config: PlatformConfig, metricStore: MetricStoreKind): PlatformConfig {
  return { ...config, regions: config.regions.map((r) => ({ ...r, metricStore })) };
}

export class PlatformConfigError extends Error {
  override readonly name = 'PlatformConfigError';
}

/** Why the config cannot be deployed, one line per problem; empty when it can. */
export function configProblems(config: PlatformConfig): string[] {
  const problems: string[] = [];
  const names = config.regions.map((r) => r.region);
  if (names.length === 0) problems.push('regions: at least one region is required');
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length > 0) problems.push(`regions: ${[...new Set(dupes)].join(', ')} listed more than once`);
  if (!names.includes(config.primaryRegion))
    problems.push(`primaryRegion: ${config.primaryRegion} is not one of the configured regions`);
  if (!names.includes(config.alertAggregationRegion))
    problems.push(
      `alertAggregationRegion: ${config.alertAggregationRegion} is not one of the configured regions`,
    );
  for (const r of config.regions) {
    if (r.metricStore !== 'timestream' && r.metricStore !== 'amp')
      problems.push(
        `regions[${r.region}].metricStore: must be "timestream" or "amp", not "${r.metricStore}"`,
      );
    if (r.metricStore === 'timestream' && !resourceTypeExistsIn(TIMESTREAM_RESOURCE_TYPE, r.region))
      problems.push(
        `regions[${r.region}].metricStore: Timestream for LiveAnalytics (${TIMESTREAM_RESOURCE_TYPE}) does not exist in ` +
          `${r.region} (CloudFormation Validate F3006); choose "amp" for ${r.region}, or -c metricStore=amp for every region`,
      );
    if (r.metricStore === 'amp' && !resourceTypeExistsIn(AMP_RESOURCE_TYPE, r.region))
      problems.push(
        `regions[${r.region}].metricStore: Amazon Managed Service for Prometheus (${AMP_RESOURCE_TYPE}) does not exist in ${r.region}`,
      );
  }
  if (config.latencyRouting) {
    const missing = config.regions.filter(
      (r) => r.customDomain?.domainName !== config.latencyRouting?.recordName,
    );
    if (missing.length > 0)
      problems.push(
        `latencyRouting: every region needs customDomain.domainName = ${config.latencyRouting.recordName} ` +
          `(missing in ${missing.map((r) => r.region).join(', ')})`,
      );
  }
  if (!Number.isInteger(config.magneticRetentionDays) || config.magneticRetentionDays < 1)
    problems.push('magneticRetentionDays: a positive whole number of days is required');
  return problems;
}

/** Throws one error naming every problem, so `cdk synth` fails before building anything. */
export function assertDeployable(config: PlatformConfig): PlatformConfig {
  const problems = configProblems(config);
  if (problems.length > 0)
    throw new PlatformConfigError(`platform config cannot be deployed:\n  - ${problems.join('\n  - ')}`);
  return config;
}

/** Reads context a reader can pass on the command line. */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/**
 * Context overrides (cdk.json or `-c key=value`):
 *   metricStore=amp|timestream   every region on that store
 *   platformConfig={...json...}  a partial PlatformConfig merged over the defaults
 *   account=123456789012         pin the account
 */
export function configFromContext(
  node: ContextReader,
  base: PlatformConfig = DEFAULT_CONFIG,
): PlatformConfig {
  let config = base;
  const raw = node.tryGetContext('platformConfig');
  if (raw !== undefined) {
    const partial = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<PlatformConfig>;
    config = { ...config, ...partial };
  }
  const account = node.tryGetContext('account');
  if (typeof account === 'string' && account !== '') config = { ...config, account };
  const store = node.tryGetContext('metricStore');
  if (store !== undefined) {
    if (store !== 'amp' && store !== 'timestream')
      throw new PlatformConfigError(
        `context metricStore: must be "amp" or "timestream", not "${String(store)}"`,
      );
    config = withEveryRegionOn(config, store);
  }
  return config;
}
