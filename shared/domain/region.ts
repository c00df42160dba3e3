/**
 * A tenant's home region (issue #17): the one region that serves and stores its data. Fixed at
 * onboarding, changed only by the failover procedure (scripts/failover.ts). A request for the tenant
 * reaching another region is answered 421 Misdirected Request and not served or stored there.
 */
import { MisdirectedError } from './errors';
import * as z from './zod';

/** An AWS region name: `eu-west-2`, `us-east-1`, `ap-southeast-2`, `us-gov-west-1`. */
export const regionSchema = z
  .string({ error: 'region must be a string' })
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'region must be an AWS region name such as eu-west-2'));

export interface RegionEndpoints {
  /** Where the tenant's collectors push. */
  readonly ingest: string;
  /** The customer API (and the Prometheus query API) of that region. */
  readonly api: string;
}

/**
 * Where this deployment serves: the region a process runs in, the home given to tenants onboarded
 * without one, and each region's endpoints (explicit, else `https://{ingest,api}.<region>.<domain>`).
 */
export interface RegionSettings {
  readonly region: string;
  readonly defaultHomeRegion: string;
  readonly endpoints?: Readonly<Record<string, RegionEndpoints>>;
  readonly domain?: string;
  /** The regions this deployment serves (a home must be one); absent: those `endpoints` names, else any. */
  readonly regions?: readonly string[];
}

/** Tenants from before home regions have none: they live in the default home region. */
export const homeRegionOf = (tenant: { readonly region?: string }, settings: RegionSettings): string =>
  tenant.region ?? settings.defaultHomeRegion;

export function endpointsOf(region: string, settings: RegionSettings): RegionEndpoints | undefined {
  const explicit = settings.endpoints?.[region];
  if (explicit) return explicit;
  if (!settings.domain) return undefined;
  return {
    ingest: `https://ingest.${region}.${settings.domain}`,
    api: `https://api.${region}.${settings.domain}`,
  };
}

/** 421 unless the tenant's home is the region serving this request. */
export function requireHomeRegion(
  tenant: { readonly tenantId: string; readonly region?: string },
  settings: RegionSettings,
) {
  const home = homeRegionOf(tenant, settings);
  if (home === settings.region) return;
  throw new MisdirectedError(
    `tenant ${tenant.tenantId} is served in ${home}, not ${settings.region}: send it to its home region`,
    home,
    endpointsOf(home, settings),
  );
}

/** The environment variables of regionSettingsFromEnv (the CDK stacks set DEFAULT_HOME_REGION). */
export const REGION_ENV = {
  region: 'REGION',
  defaultHomeRegion: 'DEFAULT_HOME_REGION',
  endpoints: 'REGION_ENDPOINTS',
  domain: 'PLATFORM_DOMAIN',
  regions: 'PLATFORM_REGIONS',
} as const;

/**
 * Settings from the environment (Lambda and `npm start`): REGION (else AWS_REGION, else us-west-2
 * locally), DEFAULT_HOME_REGION (else the serving region), REGION_ENDPOINTS (JSON
 * `{"eu-west-2":{"ingest":"…","api":"…"}}`), PLATFORM_DOMAIN, PLATFORM_REGIONS (comma-separated).
 */
export function regionSettingsFromEnv(env: Record<string, string | undefined>): RegionSettings {
  const region = env[REGION_ENV.region] || env['AWS_REGION'] || 'us-west-2';
  const endpointsJson = env[REGION_ENV.endpoints];
  const endpoints = endpointsJson
    ? (JSON.parse(endpointsJson) as Record<string, RegionEndpoints>)
    : undefined;
  const domain = env[REGION_ENV.domain];
  const regions = env[REGION_ENV.regions]
    ?.split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return {
    region,
    defaultHomeRegion: env[REGION_ENV.defaultHomeRegion] || region,
    ...(endpoints ? { endpoints } : {}),
    ...(domain ? { domain } : {}),
    ...(regions && regions.length > 0 ? { regions } : {}),
  };
}
