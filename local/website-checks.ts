/**
 * The website-check function's local twin: the same runner on a timer, its locations in-process
 * (InProcessWebsiteProbes), over the local platform's stores. Only tenants homed in this platform's
 * region are checked, as in AWS.
 */
import { InProcessWebsiteProbes } from '#adapters/local/in-process-website-probes';
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import type { RegionSettings } from '#domain/region';
import { createObservability } from '#http/handler';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { TenantStore } from '#ports/tenant-store';
import { type WebsiteCheckReport, WebsiteCheckRunner } from '../functions/website-checks/runner';

export interface LocalWebsiteCheckOptions {
  /** Location names (default one, "local"). */
  readonly locations?: readonly string[];
  /** Pass period; 0 turns the timer off (tests call `run()`). Default 60 s, as the AWS schedule. */
  readonly intervalMs?: number;
  /** Loopback sites may be checked (tests, a developer's own sites); never in AWS. */
  readonly allowLoopback?: boolean;
  readonly timeoutMs?: number;
}

export interface LocalWebsiteChecks {
  readonly probes: InProcessWebsiteProbes;
  run(): Promise<WebsiteCheckReport>;
  close(): void;
}

export function startLocalWebsiteChecks(
  deps: {
    readonly tenants: TenantStore;
    readonly metrics: MetricStore;
    readonly alerts: Pick<AlertStore, 'getRule' | 'putRule'>;
    readonly clock: Clock;
    readonly region: RegionSettings;
  },
  options: LocalWebsiteCheckOptions = {},
): LocalWebsiteChecks {
  const { logger } = createObservability('website-checks');
  const probes = new InProcessWebsiteProbes(options.locations ?? ['local'], {
    allowLoopback: options.allowLoopback === true,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const runner = new WebsiteCheckRunner({
    ...deps,
    probes,
    owns: tenantOwnership(deps.tenants, deps.region, { now: () => deps.clock.now().getTime() }),
    log: (message, fields) => logger.warn(message, fields),
  });
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    const pass = running.then(() => runner.run());
    running = pass.catch((error) => logger.error('website checks failed', { error }));
    return pass;
  };
  const interval = options.intervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(() => void run().catch(() => {}), interval) : undefined;
  timer?.unref();
  return { probes, run, close: () => clearInterval(timer) };
}
