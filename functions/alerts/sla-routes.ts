/**
 * `POST /v1/reports/sla`: availability of resources over a period with scheduled downtime (and
 * downtimes made after the fact: the audited corrections) left out of the denominator, as JSON or a
 * PDF with a timeline chart. The work is bounded: ≤ 500 resources × ≤ 11,000 slots, one metric query
 * under the query limits, or at most MAX_SLA_ALERTS alerts read from the history.
 */
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import type { Alert } from '#domain/alerting/alert';
import { UnavailableError, UnprocessableError } from '#domain/errors';
import {
  computeSlaReport,
  defaultStepSeconds,
  type SlaReport,
  type SlaReportInput,
  slaReportInputSchema,
} from '#domain/reports/sla';
import type { LinkedResource } from '#domain/resource-identity';
import { parseOrThrow } from '#domain/validation';
import type { Principal } from '#http/auth';
import type { Route } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { TenantStore } from '#ports/tenant-store';
import { renderSlaPdf } from './sla-pdf';

export const SLA_ROUTES = ['POST /v1/reports/sla'] as const;
/** Alerts an alert-defined report may read (from the history and the open ones). */
export const MAX_SLA_ALERTS = 100_000;
/** How far before the period an alert that is still open in it may have opened (history is by opening time). */
const ALERT_LOOKBACK_MS = 31 * 86_400_000;

export interface SlaReportSources {
  readonly store: Pick<AlertStore, 'alertHistory' | 'openAlertsOnResources' | 'listDowntimes'>;
  readonly metrics?: MetricStore;
  readonly clock: Clock;
  /**
   * The tenant's API resources: a downtime on a report resource's collector or group (or on its id
   * or name) is excluded like one on the resource. Absent: only downtimes naming the report's
   * resource values (and filters) are.
   */
  readonly resources?: ResourceDirectory;
}

/** Computes a tenant's SLA report from its metrics or alert history (the route and the scheduler). */
export async function slaReportFor(
  deps: SlaReportSources,
  tenantId: string,
  input: SlaReportInput,
): Promise<SlaReport> {
  async function alertsOf(tenantId: string, input: SlaReportInput): Promise<Alert[]> {
    const alerts: Alert[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.store.alertHistory(tenantId, {
        fromMs: input.from - ALERT_LOOKBACK_MS,
        toMs: input.to,
        filter: {},
        limit: 1_000,
        nowMs: deps.clock.now().getTime(),
        ...(cursor ? { cursor } : {}),
      });
      alerts.push(...page.items);
      if (alerts.length > MAX_SLA_ALERTS)
        throw new UnprocessableError(
          `to: the period holds more than ${MAX_SLA_ALERTS} alerts; report on a shorter one`,
          'to',
        );
      cursor = page.cursor;
    } while (cursor);
    // Alerts open since before the lookback are still open: the open-by-resource index has them.
    const seen = new Set(alerts.map((a) => a.alertId));
    for (const open of await deps.store.openAlertsOnResources(tenantId, input.resources))
      if (!seen.has(open.alertId)) alerts.push(open);
    return alerts;
  }

  const definition = input.availability;
  const downtimes = await deps.store.listDowntimes(tenantId);
  const links = await linksOf(deps, tenantId, input);
  if (definition.kind === 'metric') {
    if (!deps.metrics)
      throw new UnavailableError('metric-defined reports are not wired in this function', 60);
    const series = await deps.metrics.query(tenantId, {
      metric: definition.metric,
      fromMs: input.from,
      toMs: input.to - 1,
      stepSeconds: input.stepSeconds ?? defaultStepSeconds(input.from, input.to),
      aggregation: 'avg',
      filters: definition.filters ?? {},
    });
    return computeSlaReport(input, { series, downtimes, links });
  }
  return computeSlaReport(input, { alerts: await alertsOf(tenantId, input), downtimes, links });
}

/** The API resource each report resource links to (the metric's `by` value or alert resource). */
async function linksOf(
  deps: SlaReportSources,
  tenantId: string,
  input: SlaReportInput,
): Promise<Record<string, LinkedResource>> {
  const index = await deps.resources?.indexOf(tenantId);
  const links: Record<string, LinkedResource> = {};
  if (!index) return links;
  const definition = input.availability;
  for (const resource of input.resources) {
    const dimensions = definition.kind === 'metric' ? { [definition.by]: resource } : {};
    const link = index.linkSeries(dimensions, resource);
    if (link.kind === 'linked') links[resource] = link.resource;
  }
  return links;
}

export function slaRoutes(deps: {
  store: AlertStore;
  metrics?: MetricStore;
  tenants: TenantStore;
  clock: Clock;
  principalFor: (event: HttpEvent) => Promise<Principal>;
  body: (event: HttpEvent) => unknown;
  audit: (event: HttpEvent, principal: Principal, action: string, target: string) => Promise<void>;
}): Record<(typeof SLA_ROUTES)[number], Route> {
  const resources = new TenantResourceDirectory(deps.tenants, { now: () => deps.clock.now().getTime() });
  return {
    'POST /v1/reports/sla': async (event) => {
      const principal = await deps.principalFor(event);
      const input = parseOrThrow(slaReportInputSchema, deps.body(event));
      const report = await slaReportFor({ ...deps, resources }, principal.tenantId, input);
      await deps.audit(event, principal, 'report.sla', `reports/sla?from=${report.from}&to=${report.to}`);
      if (input.format === 'pdf') {
        const tenant = await deps.tenants.getTenant(principal.tenantId);
        const pdf = await renderSlaPdf(report, tenant?.name ?? principal.tenantId);
        return {
          statusCode: 200,
          headers: {
            'content-type': 'application/pdf',
            'content-disposition': 'attachment; filename="sla-report.pdf"',
          },
          body: pdf.toString('base64'),
          isBase64Encoded: true,
        };
      }
      // The slot timelines stay out of JSON (up to 5.5 M entries); the PDF draws them.
      return json(200, { ...report, resources: report.resources.map(({ slots: _s, ...r }) => r) });
    },
  };
}
