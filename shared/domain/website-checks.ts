/**
 * Website checks run by the platform from several locations (LogicMonitor's external website checks).
 * Every location checks each website on its interval; a location is failing when its last N checks
 * all failed, and the website is failing when enough locations are failing: all of them, half, more
 * than one, or any (LM's four choices). Locations that did not report (a location's probe was down)
 * count neither way: a platform outage in one region never looks like the customer's site failing.
 *
 * The verdict is written back as a datapoint (`WebsiteCheck_Overall` / `Failing`), so a plain alert
 * rule on it alerts, with downtime, routing and escalation like every other alert.
 */
import type { LOCATION_POLICIES, Resource } from './entities';
import type { Dimensions, Sample } from './metrics';
import { ID_PROPERTY, NAME_PROPERTY } from './resource-identity';

export type LocationPolicy = (typeof LOCATION_POLICIES)[number];

export interface WebsiteCheckSettings {
  /** Consecutive failed checks before a location counts as failing. */
  readonly failedChecks: number;
  readonly locations: LocationPolicy;
  readonly intervalSeconds: number;
}

export const DEFAULT_WEBSITE_CHECK: WebsiteCheckSettings = {
  failedChecks: 3,
  locations: 'half',
  intervalSeconds: 60,
};

/** The platform's checker runs at most once a minute (its schedule); a shorter interval is a minute. */
export const PLATFORM_MIN_INTERVAL_SECONDS = 60;

/**
 * The datasource each location's results are written under: the collector's datapoint names (Up,
 * ResponseTimeMs, …) with one instance per location, apart from a collector's own HTTPS_Check.
 */
export const CHECK_DATASOURCE = 'WebsiteCheck';
/** The datasource of the verdict. */
export const VERDICT_DATASOURCE = 'WebsiteCheck_Overall';
export const VERDICT_DATAPOINT = 'Failing';

/** How many failing locations make the website failing, out of `reporting` that reported. */
export function requiredLocations(policy: LocationPolicy, reporting: number): number {
  if (reporting <= 0) return Number.POSITIVE_INFINITY;
  switch (policy) {
    case 'all':
      return reporting;
    case 'half':
      return Math.ceil(reporting / 2);
    case 'more-than-one':
      // With a single location reporting, "more than one" cannot be met; one is the most there is.
      return Math.min(2, reporting);
    case 'any':
      return 1;
  }
}

/** Whether a location's results (oldest first, 1 = up, 0 = down) end with `failedChecks` failures. */
export function locationFailing(upValues: readonly number[], failedChecks: number): boolean {
  if (upValues.length < failedChecks) return false;
  for (let i = upValues.length - failedChecks; i < upValues.length; i++) if (upValues[i] !== 0) return false;
  return true;
}

export interface WebsiteVerdict {
  readonly reporting: number;
  readonly failingLocations: readonly string[];
  readonly required: number;
  readonly failing: boolean;
}

/** The website's verdict from each reporting location's recent Up values (oldest first). */
export function websiteVerdict(
  settings: Pick<WebsiteCheckSettings, 'failedChecks' | 'locations'>,
  upByLocation: ReadonlyMap<string, readonly number[]>,
): WebsiteVerdict {
  const reporting = [...upByLocation.values()].filter((values) => values.length > 0).length;
  const failingLocations = [...upByLocation]
    .filter(([, values]) => locationFailing(values, settings.failedChecks))
    .map(([location]) => location)
    .sort();
  const required = requiredLocations(settings.locations, reporting);
  return { reporting, failingLocations, required, failing: failingLocations.length >= required };
}

/** The settings of a website resource's platform check, or undefined when it is not checked. */
export function websiteCheckSettings(resource: Resource): WebsiteCheckSettings | undefined {
  if (resource.type !== 'website') return undefined;
  const http = resource.poll?.http;
  if (http?.platformCheck === false) return undefined;
  return {
    failedChecks: http?.failedChecks ?? DEFAULT_WEBSITE_CHECK.failedChecks,
    locations: http?.locations ?? DEFAULT_WEBSITE_CHECK.locations,
    intervalSeconds: Math.max(
      PLATFORM_MIN_INTERVAL_SECONDS,
      resource.poll?.intervalSeconds ?? DEFAULT_WEBSITE_CHECK.intervalSeconds,
    ),
  };
}

/** Whether a check on `intervalSeconds` is due in the minute starting at `nowMs` (a stateless schedule). */
export function checkDue(intervalSeconds: number, nowMs: number): boolean {
  const minute = Math.floor(nowMs / 60_000);
  return minute % Math.max(1, Math.round(intervalSeconds / 60)) === 0;
}

/** The dimensions every sample about a website carries (how collectors name a resource). */
export function websiteDimensions(resource: Pick<Resource, 'resourceId' | 'name'>): Dimensions {
  return { [ID_PROPERTY]: resource.resourceId, [NAME_PROPERTY]: resource.name };
}

/** One location's check as samples: LM's website datapoints, instance = the location. */
export function checkSamples(
  resource: Pick<Resource, 'resourceId' | 'name'>,
  location: string,
  values: Readonly<Record<string, number | undefined>>,
  atMs: number,
): Sample[] {
  const dimensions = { ...websiteDimensions(resource), datasource: CHECK_DATASOURCE, instance: location };
  return Object.entries(values)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
    .map(([metric, value]) => ({ metric, dimensions, timestampMs: atMs, value }));
}

/** The verdict as samples: Failing (0/1), LocationsFailing and LocationsReporting. */
export function verdictSamples(
  resource: Pick<Resource, 'resourceId' | 'name'>,
  verdict: WebsiteVerdict,
  atMs: number,
): Sample[] {
  const dimensions = { ...websiteDimensions(resource), datasource: VERDICT_DATASOURCE, instance: 'overall' };
  return [
    { metric: VERDICT_DATAPOINT, dimensions, timestampMs: atMs, value: verdict.failing ? 1 : 0 },
    { metric: 'LocationsFailing', dimensions, timestampMs: atMs, value: verdict.failingLocations.length },
    { metric: 'LocationsReporting', dimensions, timestampMs: atMs, value: verdict.reporting },
  ];
}

/** What a location is asked to check. */
export interface ProbeRequest {
  readonly url: string;
  readonly expectContent?: string;
  readonly expectStatus?: readonly number[];
}

/** One check's outcome: Up and the latency split as datapoints. */
export interface ProbeResult {
  readonly up: boolean;
  readonly values: Readonly<Record<string, number>>;
  readonly error?: string;
}

export function probeRequest(resource: Resource): ProbeRequest {
  const http = resource.poll?.http;
  return {
    url: resource.address,
    ...(http?.expectContent ? { expectContent: http.expectContent } : {}),
    ...(http?.expectStatus ? { expectStatus: http.expectStatus } : {}),
  };
}
