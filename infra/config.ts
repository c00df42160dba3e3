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
  /** Days tenants' log lines are kept in the log store (default 30, LM Logs' default). */
  readonly logDataRetentionDays?: number;
  /** WAF rate-based rule: requests per source IP per 5 minutes before blocking. */
  readonly wafRateLimitPer5Min: number;
  /** API Gateway stage throttling (steady rate, burst). */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * E-mail address subscribed to the provider's on-call and notices topics: required at deploy
   * (`-c onCallEmail=…`), so the ops alarms reach someone from the first day (add PagerDuty etc. by hand).
   */
  readonly onCallEmail?: string;
  /**
   * Where AWS Backup copies the metadata table's backups (a vault in that region): must differ from
   * primaryRegion; default the first other configured region.
   */
  readonly backupCopyRegion?: string;
  readonly latencyRouting?: LatencyRoutingConfig;
  /**
   * The domain under which each region answers as `https://ingest.<region>.<domain>` and
   * `https://api.<region>.<domain>` (DNS and certificates set up by the operator; `-c platformDomain=…`).
   * Without it, a region's endpoint is its customDomain, else its API Gateway URL, which only that
   * region's own stack knows at synth.
   */
  readonly platformDomain?: string;
  /**
   * The built console to upload to the console site (default web/dist, built by `npm run build:web`,
   * which `npm run synth` runs first; synthesis fails with that advice when it is missing); absent:
   * bucket and distribution only.
   */
  readonly consoleAssetsDir?: string;
  /** The console's own domain name: passkey sign-in is offered with it as relying party id. */
  readonly consoleDomain?: string;
}

export const TIMESTREAM_RESOURCE_TYPE = 'AWS::Timestream::Database';
export const AMP_RESOURCE_TYPE = 'AWS::APS::Workspace';

/** Where `npm run build:web` puts the console. */
export const DEFAULT_CONSOLE_ASSETS_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

/**
 * The seed's five service centres, every one on AMP: what a new account can have (Timestream for
 * LiveAnalytics is closed to new customers since 2025-06-20). Accounts that have Timestream opt in per
 * region with `-c timestreamRegions=us-west-2,eu-west-1`.
 */
export const DEFAULT_CONFIG: PlatformConfig = {
  consoleAssetsDir: DEFAULT_CONSOLE_ASSETS_DIR,
  regions: [
    { region: 'us-west-2', metricStore: 'amp' },
    { region: 'us-east-1', metricStore: 'amp' },
    { region: 'eu-west-1', metricStore: 'amp' },
    { region: 'eu-west-2', metricStore: 'amp' },
    { region: 'ap-southeast-2', metricStore: 'amp' },
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
  if (!config.onCallEmail)
    problems.push(
      'onCallEmail: the ops alarms need someone to reach; pass -c onCallEmail=oncall@example.com ' +
        '(or platformConfig.onCallEmail)',
    );
  else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(config.onCallEmail))
    problems.push(`onCallEmail: "${config.onCallEmail}" is not an e-mail address`);
  const copyRegion = backupCopyRegionOf(config);
  if (copyRegion === undefined || copyRegion === config.primaryRegion)
    problems.push(
      `backupCopyRegion: the metadata backups need a copy outside ${config.primaryRegion}; ` +
        'configure a second region or set backupCopyRegion',
    );
  else if (!names.includes(copyRegion))
    problems.push(`backupCopyRegion: ${copyRegion} is not one of the configured regions`);
  if (!Number.isInteger(config.magneticRetentionDays) || config.magneticRetentionDays < 1)
    problems.push('magneticRetentionDays: a positive whole number of days is required');
  return problems;
}

/** The region holding the copy of the metadata table's backups: configured, or the first other region. */
export function backupCopyRegionOf(config: PlatformConfig): string | undefined {
  return config.backupCopyRegion ?? config.regions.find((r) => r.region !== config.primaryRegion)?.region;
}

/** The on-call address; only a config that passed assertDeployable is sure to have one. */
export function onCallEmailOf(config: PlatformConfig): string {
  if (!config.onCallEmail) throw new PlatformConfigError('onCallEmail: required (-c onCallEmail=…)');
  return config.onCallEmail;
}

/**
 * Each region's endpoints as synth knows them (REGION_ENDPOINTS of the functions, shared/domain/region.ts):
 * a region's own custom domain (unless it is the shared latency-routing name, which is not regional),
 * else `ownApiUrl` for the region being synthesized. Regions under `platformDomain` need no entry (the
 * functions derive theirs from PLATFORM_DOMAIN); others without a custom domain are unknown here.
 */
export function regionEndpointsAtSynth(
  config: PlatformConfig,
  region: string,
  ownApiUrl: string,
): Record<string, { ingest: string; api: string }> {
  const endpoints: Record<string, { ingest: string; api: string }> = {};
  for (const r of config.regions) {
    const domain = r.customDomain?.domainName;
    if (domain && domain !== config.latencyRouting?.recordName)
      endpoints[r.region] = { ingest: `https://${domain}`, api: `https://${domain}` };
    else if (r.region === region && !config.platformDomain)
      endpoints[r.region] = { ingest: ownApiUrl, api: ownApiUrl };
  }
  return endpoints;
}

/** One line per region saying which metric store it gets; `cdk synth` prints it (infra/app.ts). */
export function describeMetricStores(config: PlatformConfig): string[] {
  return config.regions.map(
    (r) =>
      `${r.region}: ${r.metricStore === 'timestream' ? 'Timestream for LiveAnalytics (opted in)' : 'Amazon Managed Service for Prometheus'}`,
  );
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
 *   metricStore=amp|timestream       every region on that store
 *   timestreamRegions=us-west-2,...  those regions on Timestream for LiveAnalytics (opt-in), the rest as configured
 *   onCallEmail=oncall@example.com   who the ops alarms reach (required)
 *   platformConfig={...json...}      a partial PlatformConfig merged over the defaults
 *   account=123456789012             pin the account
 *   platformDomain=example.com       regional endpoints https://{ingest,api}.<region>.example.com
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
  const timestream = node.tryGetContext('timestreamRegions');
  if (timestream !== undefined) {
    const wanted = (Array.isArray(timestream) ? timestream.map(String) : String(timestream).split(','))
      .map((r) => r.trim())
      .filter((r) => r !== '');
    const unknown = wanted.filter((r) => !config.regions.some((c) => c.region === r));
    if (unknown.length > 0)
      throw new PlatformConfigError(
        `context timestreamRegions: ${unknown.join(', ')} is not one of the configured regions`,
      );
    config = {
      ...config,
      regions: config.regions.map((r) =>
        wanted.includes(r.region) ? { ...r, metricStore: 'timestream' as const } : r,
      ),
    };
  }
  const platformDomain = node.tryGetContext('platformDomain');
  if (typeof platformDomain === 'string' && platformDomain !== '') config = { ...config, platformDomain };
  const onCallEmail = node.tryGetContext('onCallEmail');
  if (typeof onCallEmail === 'string' && onCallEmail !== '') config = { ...config, onCallEmail };
  // `-c consoleDomain=console.example.com`: passkey sign-in on that domain.
  const consoleDomain = node.tryGetContext('consoleDomain');
  if (typeof consoleDomain === 'string' && consoleDomain !== '') config = { ...config, consoleDomain };
  return config;
}
