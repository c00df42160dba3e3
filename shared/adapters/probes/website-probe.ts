/**
 * Checking a batch of websites from here, the way every location does: the HTTP checker the
 * collector uses, with destinations guarded (a tenant's URL never reaches the platform's own
 * network: checked at the URL and again at connect time against what the name resolves to), a
 * bounded number in flight, and a deadline for each check.
 */

import type { lookup as dnsLookup } from 'node:dns';
import { guardedLookup } from '#adapters/webhook/webhook-notifier';
import { probeUrlProblem, type WebhookAddressPolicy } from '#domain/alerting/webhook-address';
import type { ProbeRequest, ProbeResult } from '#domain/website-checks';
import { httpCheck, httpCheckValues } from './http-check';

export interface ProbeOptions {
  readonly policy: WebhookAddressPolicy;
  /** Sent as `x-obs-check-location`, so a site can tell the platform's locations apart. */
  readonly location: string;
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  /** Name resolution (default dns.lookup); every address it returns is checked. */
  readonly resolve?: typeof dnsLookup;
}

export const PROBE_USER_AGENT = 'obs-platform-website-check/1.0';

export async function runProbes(
  requests: readonly ProbeRequest[],
  options: ProbeOptions,
): Promise<ProbeResult[]> {
  const lookup = guardedLookup(options.policy, options.resolve);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: ProbeResult[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index] as ProbeRequest;
      const problem = probeUrlProblem(request.url, options.policy);
      if (problem) {
        results[index] = { up: false, values: { Up: 0 }, error: problem };
        continue;
      }
      const expected = request.expectStatus;
      const result = await httpCheck({
        url: request.url,
        lookup,
        timeoutMs,
        deadlineMs: timeoutMs * 2,
        userAgent: PROBE_USER_AGENT,
        headers: { 'x-obs-check-location': options.location },
        ...(request.expectContent ? { expectContent: request.expectContent } : {}),
        ...(expected?.length ? { expectStatus: (status: number) => expected.includes(status) } : {}),
      });
      const values: Record<string, number> = {};
      for (const [name, value] of Object.entries(httpCheckValues(result)))
        if (typeof value === 'number' && Number.isFinite(value)) values[name] = value;
      results[index] = { up: result.up, values, ...(result.error ? { error: result.error } : {}) };
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 16, requests.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
