/**
 * Alerting on the local platform: the same engine, API handler and notifier as in AWS, on local
 * twins: the SQLite alert store, the in-process EventBridge-style bus, a webhook notifier that POSTs
 * real HTTP, an outbox file for email/SMS, a dead-letter file, and a timer for the evaluator.
 */
import { join } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteDeadLetters } from '#adapters/local/sqlite-dead-letters';
import { SqliteNoticeStore } from '#adapters/local/sqlite-notice-store';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import { LocalNoticeSender } from '#adapters/webhook/notice-sender';
import {
  FileDeadLetters,
  OutboxNotifier,
  WebhookNotifier,
  type WebhookNotifierOptions,
} from '#adapters/webhook/webhook-notifier';
import { notificationPattern } from '#domain/alerting/events';
import { SEVERITIES } from '#domain/alerting/thresholds';
import type { LimitUsage } from '#domain/guardrails/usage';
import type { Sample } from '#domain/metrics';
import type { RegionSettings } from '#domain/region';
import { createObservability, type Observability } from '#http/handler';
import type { HttpHandler } from '#http/types';
import type { AuditLog } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { EmailSubscriptions } from '#ports/email-subscriptions';
import type { KeyService } from '#ports/key-service';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { RuleExpressions } from '#ports/rule-expressions';
import type { TenantStore } from '#ports/tenant-store';
import type { NoticeDeps } from '../functions/admin/notices';
import { CollectorWatch } from '../functions/alert-evaluator/collector-watch';
import { AlertEngine, type EngineLimits } from '../functions/alert-evaluator/engine';
import { TenantStoreTopology } from '../functions/alert-evaluator/topology';
import { createAlertsHandler } from '../functions/alerts/app';
import { RecipientSecrets } from '../functions/alerts/recipient-secrets';
import type { ReportFileDeps } from '../functions/alerts/report-file-routes';
import { createNotificationProcessor } from '../functions/notifier/app';

export interface LocalAlertingOptions {
  readonly dataDir: string;
  /** Where the alert state and notification claims live (the global table's twin), default dataDir. */
  readonly metadataDir?: string;
  /** The region this platform serves: its evaluator handles only tenants homed here. */
  readonly region?: RegionSettings;
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  /** Evaluates PromQL rules (the query API's backend over the same store). */
  readonly expressions?: RuleExpressions;
  /** The tenants' logs: log rules count in them, an alert's detail shows its resource's lines. */
  readonly logs?: Pick<LogStore, 'search'>;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Seals webhook secrets in stored chains; the notifier opens them to sign. */
  readonly keys: KeyService;
  /** Email subscriptions to keep in step with chains (local email goes to an outbox: none by default). */
  readonly emailSubscriptions?: EmailSubscriptions;
  /** Evaluator period; 0 turns the timer off (tests call `tick()`). Default 60 s. */
  readonly tickIntervalMs?: number;
  /** Where the evaluator's and notifier's EMF metrics go, by function name (the provider view's store). */
  readonly observability?: (functionName: string) => Pick<Observability, 'metrics'>;
  readonly limits?: Partial<EngineLimits>;
  readonly webhook?: WebhookNotifierOptions;
  /** Scheduled reports' files and links, served at GET /v1/report-files/{token}. */
  readonly reports?: ReportFileDeps;
}

export interface LocalAlerting {
  readonly handler: HttpHandler;
  readonly engine: AlertEngine;
  readonly bus: LocalEventBus;
  /** The tenants' resources by identity (native pushes link and create resources through it). */
  readonly resources: TenantResourceDirectory;
  readonly store: SqliteAlertStore;
  /** The notifier's claims (offboarding erases them with the tenant's other data). */
  readonly ledger: SqliteNotificationLedger;
  /** Alert events the bus refused for good (offboarding erases them with the tenant's other data). */
  readonly deadLetters: SqliteDeadLetters;
  /** Security-incident notices: the store, and the same channels and claims as alert notifications. */
  readonly notices: NoticeDeps & { readonly store: SqliteNoticeStore };
  afterWrite(tenantId: string, samples: readonly Sample[]): Promise<void>;
  /** The ingest guard's usage check: the built-in tenant-limit alert (never fails the ingest). */
  onLimitUsage(tenantId: string, usage: readonly LimitUsage[]): Promise<void>;
  /** A collector that was down beat again: its collector-down alert clears now (never fails the beat). */
  onCollectorUp(tenantId: string): Promise<void>;
  /** One evaluator pass (rules, then the collector-down watch), then waits until the bus has delivered what it caused. */
  tick(): Promise<void>;
  /** Waits until every bus delivery in flight has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function startLocalAlerting(options: LocalAlertingOptions): LocalAlerting {
  // The EMF metrics the alert-evaluator and notifier functions emit (functions/*/handler.ts), here
  // into the provider view's store when the platform passes its own.
  const evaluatorMetrics = options.observability?.('alert-evaluator').metrics;
  const notifierMetrics = options.observability?.('notifier').metrics;
  const metadataDir = options.metadataDir ?? options.dataDir;
  const store = new SqliteAlertStore(join(metadataDir, 'alerts.sqlite'));
  const logger = createObservability('notifier').logger;
  const bus = new LocalEventBus({
    onDeadLetter: (entry) => logger.error('bus target failed every retry; event dead-lettered', { ...entry }),
  });
  // On the platform's clock, so a test moving it past the cache's 30 s sees resources it just created.
  const resources = new TenantResourceDirectory(options.tenants, {
    now: () => options.clock.now().getTime(),
  });
  const deadLetters = new SqliteDeadLetters(join(options.dataDir, 'alerts.sqlite'));
  const engine = new AlertEngine({
    store,
    metrics: options.metrics,
    ...(options.expressions ? { expressions: options.expressions } : {}),
    ...(options.logs ? { logs: options.logs } : {}),
    bus,
    topology: new TenantStoreTopology(resources),
    resources,
    clock: options.clock,
    ...(options.limits ? { limits: options.limits } : {}),
    log: (message, fields) => logger.warn(message, fields),
    ...(options.region
      ? {
          owns: tenantOwnership(options.tenants, options.region, {
            now: () => options.clock.now().getTime(),
          }),
        }
      : {}),
    deadLetters,
  });
  const secrets = new RecipientSecrets(options.keys, options.tenants);
  const outbox = new OutboxNotifier(join(options.dataDir, 'notifications-outbox.jsonl'));
  const ledger = new SqliteNotificationLedger(join(metadataDir, 'alerts.sqlite'));
  const webhook = new WebhookNotifier(options.webhook);
  const notices = {
    store: new SqliteNoticeStore(join(metadataDir, 'notices.sqlite')),
    sender: new LocalNoticeSender(webhook, join(options.dataDir, 'notifications-outbox.jsonl')),
    ledger,
    secrets,
  };
  const process = createNotificationProcessor({
    store,
    ledger,
    channels: { webhook, email: outbox, sms: outbox },
    deadLetters: new FileDeadLetters(join(options.dataDir, 'notifications-dead-letter.jsonl')),
    secrets,
    log: (message, fields) => logger.warn(message, fields),
  });
  // The same routing the CDK construct sets up: notification requests meant for people, one rule per
  // severity (the severity the alert has now: an escalation travels its new severity's route), to the
  // notifier.
  for (const severity of SEVERITIES)
    bus.addRule({
      name: `notify-${severity}`,
      pattern: notificationPattern(severity),
      target: async (event) => {
        const outcome = await process(event.detail, event.id);
        if (!notifierMetrics) return;
        notifierMetrics.addMetric(METRIC.notificationsSent, MetricUnit.Count, outcome.delivered);
        notifierMetrics.addMetric(METRIC.notificationFailures, MetricUnit.Count, outcome.parked);
        notifierMetrics.publishStoredMetrics();
      },
    });

  const handler = createAlertsHandler({
    tenants: options.tenants,
    store,
    metrics: options.metrics,
    ...(options.logs ? { logs: options.logs } : {}),
    secrets,
    ...(options.emailSubscriptions ? { emailSubscriptions: options.emailSubscriptions } : {}),
    webhookPolicy: { allowLoopback: options.webhook?.allowLoopback === true },
    engine,
    audit: options.audit,
    clock: options.clock,
    observability: createObservability('alerts'),
    notices,
    ...(options.reports ? { reports: options.reports } : {}),
  });

  const collectorWatch = new CollectorWatch({ tenants: options.tenants, engine, clock: options.clock });
  let running: Promise<unknown> = Promise.resolve();
  const tick = async () => {
    const scheduledMs = options.clock.now().getTime();
    running = running
      .then(() => engine.tick())
      .then(() => collectorWatch.pass())
      .then(() => {
        if (!evaluatorMetrics) return;
        // How far behind its schedule the pass finished (the Lambda measures from the schedule event's time).
        const lagSeconds = (options.clock.now().getTime() - scheduledMs) / 1000;
        evaluatorMetrics.addMetric(METRIC.alertEvaluatorLagSeconds, MetricUnit.Seconds, lagSeconds);
        evaluatorMetrics.publishStoredMetrics();
      })
      .catch((error) => logger.error('alert evaluation failed', { error }));
    await running;
    await bus.idle();
  };
  const interval = options.tickIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(() => void tick(), interval) : undefined;
  timer?.unref();

  return {
    handler,
    engine,
    bus,
    resources,
    store,
    ledger,
    deadLetters,
    notices,
    afterWrite: async (tenantId, samples) => {
      try {
        await engine.onIngest(tenantId, samples);
      } catch (error) {
        // The samples are stored; the next scheduled pass evaluates them. Never fail an ingest for this.
        logger.error('alert evaluation on ingest failed', { error });
      }
    },
    onLimitUsage: async (tenantId, usage) => {
      try {
        await engine.onLimitUsage(tenantId, usage);
      } catch (error) {
        logger.error('tenant limit alert evaluation failed', { error });
      }
    },
    onCollectorUp: async (tenantId) => {
      try {
        await collectorWatch.tenant(tenantId);
        await bus.idle();
      } catch (error) {
        logger.error('collector-down evaluation failed', { error });
      }
    },
    tick,
    idle: () => bus.idle(),
    close: async () => {
      if (timer) clearInterval(timer);
      await running;
      await bus.idle();
      ledger.close();
      notices.store.close();
      deadLetters.close();
      store.close();
    },
  };
}
