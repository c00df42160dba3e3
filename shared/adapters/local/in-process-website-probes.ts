import { runProbes } from '#adapters/probes/website-probe';
import type { ProbeRequest, ProbeResult } from '#domain/website-checks';
import type { WebsiteProbes } from '#ports/website-probes';

/**
 * The local twin of the probe functions: named locations that all check from this machine. The
 * local platform may allow loopback destinations (its tests' sites); `down` stands in for a
 * location whose probe cannot be reached.
 */
export class InProcessWebsiteProbes implements WebsiteProbes {
  readonly down = new Set<string>();

  constructor(
    readonly locations: readonly string[],
    private readonly options: { readonly allowLoopback: boolean; readonly timeoutMs?: number },
  ) {}

  async probe(
    location: string,
    requests: readonly ProbeRequest[],
  ): Promise<readonly ProbeResult[] | undefined> {
    if (!this.locations.includes(location) || this.down.has(location)) return undefined;
    return runProbes(requests, {
      location,
      policy: { allowLoopback: this.options.allowLoopback },
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    });
  }
}
