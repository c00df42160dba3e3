/**
 * The customer alerting API: alert rules, escalation chains, alert routing rules, scheduled downtime
 * (downtime-routes.ts), alert history and acknowledgement. Thin: authenticate (tenant token), check the permission (alerts:read for reads,
 * alerts:write for changes), validate with zod, call the store or the engine, audit every change.
 */
import { randomBytes } from 'node:crypto';
import type { Alert } from '#domain/alerting/alert';
import {
  type EscalationChain,
  emailsOf,
  escalationChainInputSchema,
  redactRecipient,
} from '#domain/alerting/escalation';
import { anyRuleFromBody } from '#domain/alerting/log-rule';
import { type AlertRoute, alertRouteInputSchema, byPriority, routeFromInput } from '#domain/alerting/routing';
import type { AlertRule } from '#domain/alerting/rule';
import { formatThreshold } from '#domain/alerting/thresholds';
import {
  AWS_WEBHOOK_POLICY,
  type WebhookAddressPolicy,
  webhookUrlProblem,
} from '#domain/alerting/webhook-address';
import { NotFoundError, UnprocessableError } from '#domain/errors';
import { ALERT_LOG_WINDOW, alertLogSearch } from '#domain/logs/correlation';
import { logRecordView } from '#domain/logs/search';
import { roleGrants } from '#domain/roles';
import { parseOrThrow } from '#domain/validation';
import { authenticate, type Principal, requirePermission, sourceIpOf } from '#http/auth';
import { readJson, requireMediaType } from '#http/body';
import { httpHandler, type Observability, router } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent, HttpHandler } from '#http/types';
import type { AlertStore } from '#ports/alert-store';
import type { AuditLog } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { EmailSubscriptions } from '#ports/email-subscriptions';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import type { TenantStore } from '#ports/tenant-store';
import type { AlertEngine } from '../alert-evaluator/engine';
import { DOWNTIME_ROUTES, downtimeRoutes } from './downtime-routes';
import { emailRecipients } from './email-recipients';
import { ALERT_HISTORY_ROUTES, alertHistoryRoutes } from './history-routes';
import { NOTICE_ROUTES, type NoticeRouteDeps, noticeRoutes } from './notice-routes';
import { listAlertsQuery } from './operations';
import type { RecipientSecrets } from './recipient-secrets';
import { REPORT_FILE_ROUTES, type ReportFileDeps, reportFileRoutes } from './report-file-routes';
import { REPORT_SCHEDULE_ROUTES, reportScheduleRoutes } from './report-schedule-routes';
import type { AuditChange } from './route-helpers';
import { SLA_ROUTES, slaRoutes } from './sla-routes';

export interface AlertsDeps {
  readonly tenants: TenantStore;
  readonly store: AlertStore;
  /** The region's metric store, for metric-defined SLA reports. */
  readonly metrics?: MetricStore;
  /** The region's log store: an alert's detail lists its resource's lines around its opening. */
  readonly logs?: Pick<LogStore, 'search'>;
  /** Seals webhook secrets before a chain is stored. */
  readonly secrets: Pick<RecipientSecrets, 'sealChain'>;
  /** Keeps email subscriptions in step with the addresses a tenant names (absent: nothing to keep). */
  readonly emailSubscriptions?: EmailSubscriptions;
  /** Where webhooks may point (default: AWS, https to public addresses only). */
  readonly webhookPolicy?: WebhookAddressPolicy;
  readonly engine: Pick<AlertEngine, 'acknowledge' | 'invalidateRules'>;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Security-incident notices: the tenant's copies and notice channels (absent: 404). */
  readonly notices?: NoticeRouteDeps;
  /** Scheduled reports' links (GET /v1/report-files/{token}); absent: 404. */
  readonly reports?: ReportFileDeps;
}

export const ALERT_ROUTES = [
  'POST /v1/alert-rules',
  'GET /v1/alert-rules',
  'GET /v1/alert-rules/{ruleId}',
  'PUT /v1/alert-rules/{ruleId}',
  'DELETE /v1/alert-rules/{ruleId}',
  'POST /v1/escalation-chains',
  'GET /v1/escalation-chains',
  'GET /v1/escalation-chains/{chainId}',
  'PUT /v1/escalation-chains/{chainId}',
  'DELETE /v1/escalation-chains/{chainId}',
  'POST /v1/alert-routes',
  'GET /v1/alert-routes',
  'GET /v1/alert-routes/{routeId}',
  'PUT /v1/alert-routes/{routeId}',
  'DELETE /v1/alert-routes/{routeId}',
  ...DOWNTIME_ROUTES,
  'GET /v1/alerts',
  ...ALERT_HISTORY_ROUTES,
  ...SLA_ROUTES,
  ...REPORT_SCHEDULE_ROUTES,
  ...NOTICE_ROUTES,
  ...REPORT_FILE_ROUTES,
  'GET /v1/alerts/{alertId}',
  'POST /v1/alerts/{alertId}/ack',
] as const;

const id = () => randomBytes(12).toString('hex');

export const ruleView = ({ tenantId: _t, threshold, ...rule }: AlertRule) => ({
  // A PromQL rule's expression is its selector, window and aggregation: shown as `expr` alone; a
  // log rule's query is its selector and aggregation: shown as `log` and its window.
  ...(rule.expr !== undefined
    ? (({ selector: _s, windowSeconds: _w, aggregation: _a, ...exprRule }) => exprRule)(rule)
    : rule.log !== undefined
      ? (({ selector: _s, aggregation: _a, ...logRule }) => logRule)(rule)
      : rule),
  ...(threshold ? { threshold: formatThreshold(threshold), thresholdLevels: threshold } : {}),
});
export const chainView = ({ tenantId: _t, stages, ...chain }: EscalationChain) => ({
  ...chain,
  stages: stages.map((s) => ({ recipients: s.recipients.map(redactRecipient) })),
});
const routeView = ({ tenantId: _t, ...route }: AlertRoute) => route;
export const alertView = ({ tenantId: _t, seriesKey: _s, ...alert }: Alert) => alert;

export function createAlertsHandler(deps: AlertsDeps): HttpHandler {
  const { store } = deps;
  // One reconciliation of the e-mail subscriptions for chains, notice channels and report schedules.
  const recipientSubscriptions = emailRecipients({
    subscriptions: deps.emailSubscriptions,
    store,
    tenants: deps.tenants,
    noticeChannels: deps.notices?.store,
  });
  const { unsubscribeUnused } = recipientSubscriptions;

  async function principalFor(event: HttpEvent, write: boolean): Promise<Principal> {
    const principal = await authenticate(event, deps.tenants, 'tenant');
    requirePermission(principal, write ? 'alerts:write' : 'alerts:read');
    return principal;
  }

  function body(event: HttpEvent): unknown {
    requireMediaType(event, ['application/json']);
    return readJson(event);
  }

  const param = (event: HttpEvent, name: string): string => {
    const value = event.pathParameters?.[name];
    if (!value || value.length > 64) throw new NotFoundError(`no such ${name}`, name);
    return value;
  };

  const audit: AuditChange = async (event, principal, action, target, before, after) => {
    await deps.audit.append({
      tenantId: principal.tenantId,
      at: deps.clock.now().toISOString(),
      action,
      actor: principal.credential.credentialId,
      ...(sourceIpOf(event) ? { sourceIp: sourceIpOf(event) as string } : {}),
      target,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
      outcome: 'success',
    });
  };

  async function checkChain(tenantId: string, chainId: string | undefined) {
    if (chainId && !(await store.getChain(tenantId, chainId)))
      throw new UnprocessableError(`escalationChainId: no escalation chain ${chainId}`, 'escalationChainId');
  }

  async function saveRule(event: HttpEvent, existing: AlertRule | undefined, principal: Principal) {
    const now = deps.clock.now().toISOString();
    // A metric rule, a PromQL rule when the body has `expr` (expr-rule.ts), a log rule with `log`.
    const rule = anyRuleFromBody(
      body(event),
      { tenantId: principal.tenantId, ruleId: existing?.ruleId ?? id() },
      now,
      existing?.createdAt ?? now,
    );
    await checkChain(principal.tenantId, rule.escalationChainId);
    await store.putRule(rule);
    deps.engine.invalidateRules(principal.tenantId);
    await audit(
      event,
      principal,
      existing ? 'alert-rule.update' : 'alert-rule.create',
      `alert-rule/${rule.ruleId}`,
      existing && ruleView(existing),
      ruleView(rule),
    );
    return rule;
  }

  async function saveRoute(event: HttpEvent, existing: AlertRoute | undefined, principal: Principal) {
    const input = parseOrThrow(alertRouteInputSchema, body(event));
    await checkChain(principal.tenantId, input.escalationChainId);
    // First match wins, so two routes of one priority would leave the order to chance: refused.
    const clash = (await store.listRoutes(principal.tenantId)).find(
      (r) => r.priority === input.priority && r.routeId !== existing?.routeId,
    );
    if (clash)
      throw new UnprocessableError(
        `priority: route ${clash.routeId} (${clash.name}) already has priority ${input.priority}`,
        'priority',
      );
    const now = deps.clock.now().toISOString();
    const route = routeFromInput(
      input,
      { tenantId: principal.tenantId, routeId: existing?.routeId ?? id() },
      now,
      existing?.createdAt ?? now,
    );
    await store.putRoute(route);
    deps.engine.invalidateRules(principal.tenantId);
    await audit(
      event,
      principal,
      existing ? 'alert-route.update' : 'alert-route.create',
      `alert-route/${route.routeId}`,
      existing && routeView(existing),
      routeView(route),
    );
    return route;
  }

  async function saveChain(event: HttpEvent, existing: EscalationChain | undefined, principal: Principal) {
    const input = parseOrThrow(escalationChainInputSchema, body(event));
    for (const [i, stage] of input.stages.entries()) {
      for (const [j, r] of stage.recipients.entries()) {
        const problem =
          r.type === 'webhook' && webhookUrlProblem(r.address, deps.webhookPolicy ?? AWS_WEBHOOK_POLICY);
        if (problem) throw new UnprocessableError(problem, `stages[${i}].recipients[${j}].address`);
      }
    }
    const now = deps.clock.now().toISOString();
    const chain: EscalationChain = await deps.secrets.sealChain({
      tenantId: principal.tenantId,
      chainId: existing?.chainId ?? id(),
      name: input.name,
      stageIntervalSeconds: input.stageIntervalSeconds,
      notifyOnDeescalation: input.notifyOnDeescalation,
      stages: input.stages,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    // A chain is never stored with an email recipient that cannot receive.
    const added = [...emailsOf(chain)].filter((address) => !emailsOf(existing).has(address));
    await recipientSubscriptions.saveNaming(principal.tenantId, added, () => store.putChain(chain));
    await unsubscribeUnused(principal.tenantId, emailsOf(existing));
    await audit(
      event,
      principal,
      existing ? 'escalation-chain.update' : 'escalation-chain.create',
      `escalation-chain/${chain.chainId}`,
      existing && chainView(existing),
      chainView(chain),
    );
    return chain;
  }

  /**
   * The log lines of the alert's resource around its opening (correlation.ts), for a principal who
   * may read logs; audited as a log search (Customer Sensitive data). Nothing when logs are not kept
   * here or the alert names no resource.
   */
  async function alertLogs(event: HttpEvent, principal: Principal, alert: Alert) {
    if (!deps.logs || !roleGrants(principal.credential.role, 'logs:read')) return {};
    const search = alertLogSearch(alert, await store.getRule(principal.tenantId, alert.ruleId));
    if (!search) return {};
    const page = await deps.logs.search(principal.tenantId, {
      fromMs: search.fromMs,
      toMs: search.toMs,
      query: search.query,
      limit: ALERT_LOG_WINDOW.maxLines,
      maxScan: ALERT_LOG_WINDOW.maxScan,
    });
    const from = new Date(search.fromMs).toISOString();
    const to = new Date(search.toMs).toISOString();
    await audit(
      event,
      principal,
      'logs.search',
      `logs?q=${search.q}&from=${from}&to=${to}&alert=${alert.alertId}`,
    );
    return {
      logs: {
        q: search.q,
        from,
        to,
        items: page.records.map(logRecordView),
        // More lines than shown (or the scan bound reached): GET /v1/logs/search with q, from, to.
        more: page.nextCursor !== undefined,
      },
    };
  }

  return httpHandler(
    deps.observability,
    router({
      ...alertHistoryRoutes({
        store,
        clock: deps.clock,
        principalFor: (event) => principalFor(event, false),
        audit,
        view: alertView,
      }),
      ...downtimeRoutes({ store, clock: deps.clock, principalFor, body, param, audit }),
      ...slaRoutes({
        store,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        tenants: deps.tenants,
        clock: deps.clock,
        principalFor: (event) => principalFor(event, false),
        body,
        audit,
      }),
      ...reportScheduleRoutes({
        tenants: deps.tenants,
        store,
        emailRecipients: recipientSubscriptions,
        clock: deps.clock,
        principalFor,
        body,
        param,
        audit,
      }),
      ...noticeRoutes({
        notices: deps.notices,
        clock: deps.clock,
        auditLog: deps.audit,
        webhookPolicy: deps.webhookPolicy ?? AWS_WEBHOOK_POLICY,
        principalFor: async (event) => {
          const principal = await authenticate(event, deps.tenants, 'tenant');
          requirePermission(principal, 'notices:manage');
          return principal;
        },
        body,
        recipients: recipientSubscriptions,
        audit,
      }),
      ...reportFileRoutes({
        reports: deps.reports,
        tenants: deps.tenants,
        auditLog: deps.audit,
        clock: deps.clock,
      }),
      'POST /v1/alert-rules': async (event) => {
        const principal = await principalFor(event, true);
        return json(201, ruleView(await saveRule(event, undefined, principal)));
      },
      'GET /v1/alert-rules': async (event) => {
        const principal = await principalFor(event, false);
        return json(200, { rules: (await store.listRules(principal.tenantId)).map(ruleView) });
      },
      'GET /v1/alert-rules/{ruleId}': async (event) => {
        const principal = await principalFor(event, false);
        const rule = await store.getRule(principal.tenantId, param(event, 'ruleId'));
        if (!rule) throw new NotFoundError('no such alert rule', 'ruleId');
        return json(200, ruleView(rule));
      },
      'PUT /v1/alert-rules/{ruleId}': async (event) => {
        const principal = await principalFor(event, true);
        const existing = await store.getRule(principal.tenantId, param(event, 'ruleId'));
        if (!existing) throw new NotFoundError('no such alert rule', 'ruleId');
        return json(200, ruleView(await saveRule(event, existing, principal)));
      },
      'DELETE /v1/alert-rules/{ruleId}': async (event) => {
        const principal = await principalFor(event, true);
        const ruleId = param(event, 'ruleId');
        const existing = await store.getRule(principal.tenantId, ruleId);
        if (!existing || !(await store.deleteRule(principal.tenantId, ruleId)))
          throw new NotFoundError('no such alert rule', 'ruleId');
        deps.engine.invalidateRules(principal.tenantId);
        await audit(event, principal, 'alert-rule.delete', `alert-rule/${ruleId}`, ruleView(existing));
        return { statusCode: 204, headers: {}, body: '' };
      },
      'POST /v1/escalation-chains': async (event) => {
        const principal = await principalFor(event, true);
        return json(201, chainView(await saveChain(event, undefined, principal)));
      },
      'GET /v1/escalation-chains': async (event) => {
        const principal = await principalFor(event, false);
        return json(200, { chains: (await store.listChains(principal.tenantId)).map(chainView) });
      },
      'GET /v1/escalation-chains/{chainId}': async (event) => {
        const principal = await principalFor(event, false);
        const chain = await store.getChain(principal.tenantId, param(event, 'chainId'));
        if (!chain) throw new NotFoundError('no such escalation chain', 'chainId');
        return json(200, chainView(chain));
      },
      'PUT /v1/escalation-chains/{chainId}': async (event) => {
        const principal = await principalFor(event, true);
        const existing = await store.getChain(principal.tenantId, param(event, 'chainId'));
        if (!existing) throw new NotFoundError('no such escalation chain', 'chainId');
        return json(200, chainView(await saveChain(event, existing, principal)));
      },
      'DELETE /v1/escalation-chains/{chainId}': async (event) => {
        const principal = await principalFor(event, true);
        const chainId = param(event, 'chainId');
        const existing = await store.getChain(principal.tenantId, chainId);
        if (!existing || !(await store.deleteChain(principal.tenantId, chainId)))
          throw new NotFoundError('no such escalation chain', 'chainId');
        await unsubscribeUnused(principal.tenantId, emailsOf(existing));
        await audit(
          event,
          principal,
          'escalation-chain.delete',
          `escalation-chain/${chainId}`,
          chainView(existing),
        );
        return { statusCode: 204, headers: {}, body: '' };
      },
      'POST /v1/alert-routes': async (event) => {
        const principal = await principalFor(event, true);
        return json(201, routeView(await saveRoute(event, undefined, principal)));
      },
      'GET /v1/alert-routes': async (event) => {
        const principal = await principalFor(event, false);
        const routes = (await store.listRoutes(principal.tenantId)).sort(byPriority);
        return json(200, { routes: routes.map(routeView) });
      },
      'GET /v1/alert-routes/{routeId}': async (event) => {
        const principal = await principalFor(event, false);
        const route = await store.getRoute(principal.tenantId, param(event, 'routeId'));
        if (!route) throw new NotFoundError('no such alert route', 'routeId');
        return json(200, routeView(route));
      },
      'PUT /v1/alert-routes/{routeId}': async (event) => {
        const principal = await principalFor(event, true);
        const existing = await store.getRoute(principal.tenantId, param(event, 'routeId'));
        if (!existing) throw new NotFoundError('no such alert route', 'routeId');
        return json(200, routeView(await saveRoute(event, existing, principal)));
      },
      'DELETE /v1/alert-routes/{routeId}': async (event) => {
        const principal = await principalFor(event, true);
        const routeId = param(event, 'routeId');
        const existing = await store.getRoute(principal.tenantId, routeId);
        if (!existing || !(await store.deleteRoute(principal.tenantId, routeId)))
          throw new NotFoundError('no such alert route', 'routeId');
        deps.engine.invalidateRules(principal.tenantId);
        await audit(event, principal, 'alert-route.delete', `alert-route/${routeId}`, routeView(existing));
        return { statusCode: 204, headers: {}, body: '' };
      },
      'GET /v1/alerts': async (event) => {
        const principal = await principalFor(event, false);
        const query = parseOrThrow(listAlertsQuery, event.queryStringParameters ?? {});
        if (query.resourceId !== undefined) {
          // Served from the open-alerts-by-resource index: open alerts only, bounded by what is open.
          if (query.status === 'cleared')
            throw new UnprocessableError('status: with resourceId, only open alerts are listed', 'status');
          const open = await store.openAlertsOnResources(principal.tenantId, [query.resourceId]);
          const newestFirst = open.sort((a, b) => (a.alertId < b.alertId ? 1 : -1)).slice(0, query.limit);
          return json(200, { alerts: newestFirst.map(alertView) });
        }
        const page = await store.listAlerts(principal.tenantId, {
          limit: query.limit,
          ...(query.status ? { status: query.status } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        });
        return json(200, {
          alerts: page.items.map(alertView),
          ...(page.cursor ? { cursor: page.cursor } : {}),
        });
      },
      'GET /v1/alerts/{alertId}': async (event) => {
        const principal = await principalFor(event, false);
        const alert = await store.getAlert(principal.tenantId, param(event, 'alertId'));
        if (!alert) throw new NotFoundError('no such alert', 'alertId');
        return json(200, { ...alertView(alert), ...(await alertLogs(event, principal, alert)) });
      },
      'POST /v1/alerts/{alertId}/ack': async (event) => {
        const principal = await principalFor(event, true);
        const alertId = param(event, 'alertId');
        const alert = await deps.engine.acknowledge(
          principal.tenantId,
          alertId,
          principal.credential.credentialId,
        );
        await audit(event, principal, 'alert.acknowledge', `alert/${alertId}`);
        return json(200, alertView(alert));
      },
    }),
  );
}
