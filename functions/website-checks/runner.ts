/**
 * One scheduled pass of the platform's website checks in a home region: every website of the
 * tenants homed here that is due is checked from every location at once, the results are stored
 * as the tenant's metrics (here, in its home region), and each website's verdict (N failed checks
 * from M locations, website-checks.ts) is written as a datapoint that the tenant's managed
 * "Website checks" rule alerts on. Work per pass is bounded: tenants and websites are paged, and
 * the websites beyond the cap wait for the next pass (logged).
 */
import { createHash } from 'node:crypto';
import { alertRuleInputSchema, ruleFromInput } from '#domain/alerting/rule';
import type { Resource } from '#domain/entities';
import type { Sample } from '#domain/metrics';
import type { Point } from '#domain/query';
import { ID_PROPERTY } from '#domain/resource-identity';
import {
  CHECK_DATASOURCE,
  checkDue,
  checkSamples,
  type ProbeResult,
  probeRequest,
  VERDICT_DATAPOINT,
  VERDICT_DATASOURCE,
  verdictSamples,
  type WebsiteCheckSettings,
  websiteCheckSettings,
  websiteVerdict,
} from '#domain/website-checks';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { TenantStore } from '#ports/tenant-store';
import { MAX_PROBE_BATCH, type WebsiteProbes } from '#ports/website-probes';

export interface WebsiteCheckLimits {
  /** Websites checked in one pass over all tenants. */
  readonly maxWebsitesPerPass: number;
  /** Websites of one tenant looked at in one pass. */
  readonly maxWebsitesPerTenant: number;
}

export const DEFAULT_WEBSITE_CHECK_LIMITS: WebsiteCheckLimits = {
  maxWebsitesPerPass: 5_000,
  maxWebsitesPerTenant: 1_000,
};

export interface WebsiteCheckDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly alerts: Pick<AlertStore, 'getRule' | 'putRule'>;
  readonly probes: WebsiteProbes;
  readonly clock: Clock;
  /** Whether a tenant is homed in this region; absent: every tenant. */
  readonly owns?: (tenantId: string) => Promise<boolean>;
  readonly limits?: Partial<WebsiteCheckLimits>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface WebsiteCheckReport {
  readonly tenants: number;
  readonly websitesChecked: number;
  readonly deferred: number;
  readonly locationsReporting: number;
  readonly failing: number;
}

interface DueWebsite {
  readonly resource: Resource;
  readonly settings: WebsiteCheckSettings;
}

/** The id of a tenant's managed website-check rule: fixed, so creating it twice is one rule. */
export const websiteRuleId = (tenantId: string): string =>
  createHash('sha256').update(`website-checks\u0000${tenantId}`).digest('hex').slice(0, 32);

export class WebsiteCheckRunner {
  private readonly limits: WebsiteCheckLimits;

  constructor(private readonly deps: WebsiteCheckDeps) {
    this.limits = { ...DEFAULT_WEBSITE_CHECK_LIMITS, ...deps.limits };
  }

  async run(): Promise<WebsiteCheckReport> {
    const now = this.deps.clock.now().getTime();
    const atMs = Math.floor(now / 1000) * 1000;
    let budget = this.limits.maxWebsitesPerPass;
    let tenants = 0;
    let checked = 0;
    let deferred = 0;
    let failing = 0;
    const reporting = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.tenants.listTenants({ limit: 100, ...(cursor ? { cursor } : {}) });
      cursor = page.nextCursor;
      for (const tenant of page.items) {
        if (tenant.status !== 'active' || !(await this.owns(tenant.tenantId))) continue;
        const websites = await this.websitesOf(tenant.tenantId);
        if (websites.length === 0) continue;
        tenants++;
        const due = websites.filter((w) => checkDue(w.settings.intervalSeconds, now));
        const now_checked = due.slice(0, Math.max(0, budget));
        deferred += due.length - now_checked.length;
        budget -= now_checked.length;
        const results = await this.probeAll(now_checked);
        for (const location of results.keys()) reporting.add(location);
        checked += now_checked.length;
        failing += await this.record(tenant.tenantId, websites, now_checked, results, atMs);
      }
    } while (cursor);
    if (deferred > 0) this.log('website checks deferred to the next pass', { deferred });
    return { tenants, websitesChecked: checked, deferred, locationsReporting: reporting.size, failing };
  }

  private async owns(tenantId: string): Promise<boolean> {
    return this.deps.owns ? this.deps.owns(tenantId) : true;
  }

  private async websitesOf(tenantId: string): Promise<DueWebsite[]> {
    const found: DueWebsite[] = [];
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = await this.deps.tenants.listEntities('resource', tenantId, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      cursor = page.nextCursor;
      for (const resource of page.items) {
        seen++;
        const settings = websiteCheckSettings(resource);
        if (settings) found.push({ resource, settings });
      }
    } while (cursor && seen < this.limits.maxWebsitesPerTenant);
    return found.slice(0, this.limits.maxWebsitesPerTenant);
  }

  /** Every location checks every website, in batches, all locations at once. */
  private async probeAll(websites: readonly DueWebsite[]): Promise<Map<string, (ProbeResult | undefined)[]>> {
    const byLocation = new Map<string, (ProbeResult | undefined)[]>();
    if (websites.length === 0) return byLocation;
    const requests = websites.map((w) => probeRequest(w.resource));
    await Promise.all(
      this.deps.probes.locations.map(async (location) => {
        const answers: (ProbeResult | undefined)[] = [];
        let any = false;
        for (let i = 0; i < requests.length; i += MAX_PROBE_BATCH) {
          const batch = requests.slice(i, i + MAX_PROBE_BATCH);
          const results = await this.deps.probes.probe(location, batch);
          if (results) any = true;
          answers.push(...(results ?? batch.map(() => undefined)));
        }
        if (any) byLocation.set(location, answers);
        else this.log('website check location not reporting', { location });
      }),
    );
    return byLocation;
  }

  /** Stores this pass's results and every website's verdict; returns how many are failing. */
  private async record(
    tenantId: string,
    websites: readonly DueWebsite[],
    checked: readonly DueWebsite[],
    results: ReadonlyMap<string, readonly (ProbeResult | undefined)[]>,
    atMs: number,
  ): Promise<number> {
    const samples: Sample[] = [];
    const fresh = new Map<string, Map<string, number>>();
    checked.forEach((website, i) => {
      const perLocation = new Map<string, number>();
      for (const [location, answers] of results) {
        const result = answers[i];
        if (!result) continue;
        samples.push(...checkSamples(website.resource, location, result.values, atMs));
        perLocation.set(location, result.up ? 1 : 0);
      }
      fresh.set(website.resource.resourceId, perLocation);
    });
    const history = await this.history(tenantId, websites, atMs);
    let failing = 0;
    for (const { resource, settings } of websites) {
      const points = history.get(resource.resourceId) ?? new Map<string, Point[]>();
      for (const [location, up] of fresh.get(resource.resourceId) ?? [])
        points.set(location, [...(points.get(location) ?? []), [atMs, up]]);
      // A location reports while its newest result is at most an interval and a half old: one that
      // stopped answering drops out of the count instead of voting with stale results.
      const since = atMs - settings.intervalSeconds * 1500;
      const upByLocation = new Map<string, number[]>();
      for (const [location, series] of points)
        if ((series.at(-1)?.[0] ?? 0) >= since)
          upByLocation.set(
            location,
            series.map((p) => p[1]),
          );
      const verdict = websiteVerdict(settings, upByLocation);
      if (verdict.failing) failing++;
      samples.push(...verdictSamples(resource, verdict, atMs));
    }
    if (samples.length > 0) {
      const written = await this.deps.metrics.write(tenantId, samples);
      if (written.rejected.length > 0)
        this.log('website check samples refused', { tenantId, refused: written.rejected.length });
    }
    await this.ensureRule(tenantId);
    return failing;
  }

  /** Each website's earlier Up results per location (oldest first), before this pass. */
  private async history(
    tenantId: string,
    websites: readonly DueWebsite[],
    atMs: number,
  ): Promise<Map<string, Map<string, Point[]>>> {
    const spanMs = Math.max(
      ...websites.map((w) => (w.settings.failedChecks + 1) * w.settings.intervalSeconds * 1000),
    );
    const series = await this.deps.metrics.query(tenantId, {
      metric: 'Up',
      fromMs: atMs - spanMs,
      toMs: atMs - 1,
      aggregation: 'max',
      filters: { datasource: CHECK_DATASOURCE },
    });
    const history = new Map<string, Map<string, Point[]>>();
    for (const s of series) {
      const resourceId = s.dimensions[ID_PROPERTY];
      const location = s.dimensions.instance;
      if (!resourceId || !location) continue;
      const perLocation = history.get(resourceId) ?? new Map<string, Point[]>();
      perLocation.set(
        location,
        [...s.points].sort((a, b) => a[0] - b[0]),
      );
      history.set(resourceId, perLocation);
    }
    return history;
  }

  /** The tenant's "Website checks" rule, created once; the tenant may change or disable it after. */
  private async ensureRule(tenantId: string): Promise<void> {
    const ruleId = websiteRuleId(tenantId);
    if (await this.deps.alerts.getRule(tenantId, ruleId)) return;
    const nowIso = this.deps.clock.now().toISOString();
    const input = alertRuleInputSchema.parse({
      name: 'Website checks (platform locations)',
      metric: VERDICT_DATAPOINT,
      filters: { datasource: VERDICT_DATASOURCE },
      windowSeconds: 60,
      aggregation: 'max',
      threshold: '> - - 0',
      resourceDimension: ID_PROPERTY,
    });
    await this.deps.alerts.putRule(ruleFromInput(input, { tenantId, ruleId }, nowIso));
  }

  private log(message: string, fields: Record<string, unknown>): void {
    this.deps.log?.(message, fields);
  }
}
