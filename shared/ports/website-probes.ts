import type { ProbeRequest, ProbeResult } from '#domain/website-checks';

/**
 * The locations website checks run from (AWS: a probe function in each platform region; local:
 * named in-process locations) and a way to ask one of them to check a batch of URLs.
 */
export interface WebsiteProbes {
  readonly locations: readonly string[];
  /**
   * Results in request order, or undefined when the location could not check at all (its probe
   * unreachable or failing): such a location counts as not reporting, never as the site failing.
   */
  probe(location: string, requests: readonly ProbeRequest[]): Promise<readonly ProbeResult[] | undefined>;
}

/** At most this many URLs in one request to a location (one probe invocation). */
export const MAX_PROBE_BATCH = 100;
