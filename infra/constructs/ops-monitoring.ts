/**
 * The provider's operational view of one region: a CloudWatch dashboard and alarms on what matters
 * (ingest volume and rejections, API latency p50/p99 and errors, throttles, metric-store rejects,
 * alert evaluator lag, notification failures, dead-letter queue depth, top tenants by usage), every
 * alarm notifying the provider's on-call SNS topic (KMS-encrypted), except informational ones (worth a
 * look, not a page), which notify the notices topic. EMF names come from
 * shared/ports/operational-metrics.ts and the namespace from shared/http/handler.ts, the same constants
 * the functions emit with, so a rename cannot silently empty a graph.
 */
import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '#http/handler';
import { METRIC, TENANT_METRIC_DIMENSION } from '#ports/operational-metrics';

/** Powertools `service` dimension values the dashboards read (POWERTOOLS_SERVICE_NAME of each function). */
export const OPS_SERVICE = {
  ingest: 'ingest',
  alertEvaluator: 'alert-evaluator',
  /** The alert engine inside the alerts API function (acknowledgements publish events too). */
  alertEngine: 'alert-engine',
  notifier: 'notifier',
  replay: 'replay',
} as const;

const FIVE_MINUTES = Duration.minutes(5);
export const SPILL_QUEUE_DEPTH_TITLE = 'Spill queue depth (batches parked)';
const FIFTEEN_MINUTES = Duration.minutes(15);

/** How many periods an alarm looks at and how many must breach (default: 2 of 3). */
interface AlarmEvaluation {
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}
/** Alarms on the first breaching period: for events that should never happen even once. */
const FIRST_OCCURRENCE: AlarmEvaluation = { evaluationPeriods: 1, datapointsToAlarm: 1 };

export interface OpsMonitoringProps {
  /** Key for the on-call topic (must let cloudwatch.amazonaws.com use it). */
  readonly topicKey: IKey;
  /** Who the alarms reach: required, so a deploy never has alarms that page nobody. */
  readonly onCallEmail: string;
  /** Extra text shown at the top of the dashboard (region, metric store). */
  readonly description: string;
}

export class OpsMonitoring extends Construct {
  readonly onCallTopic: Topic;
  /** Informational alarms: something worth a look during working hours, never a page. */
  readonly noticesTopic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OpsMonitoringProps) {
    super(scope, id);
    this.onCallTopic = new Topic(this, 'OnCallTopic', {
      displayName: 'Observability platform on-call',
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    this.noticesTopic = new Topic(this, 'NoticesTopic', {
      displayName: 'Observability platform notices (informational, not paged)',
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // E-mail is not a page: notices reach the same inbox; a pager subscribes to the on-call topic only.
    this.onCallTopic.addSubscription(new EmailSubscription(props.onCallEmail));
    this.noticesTopic.addSubscription(new EmailSubscription(props.onCallEmail));
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });

    const accepted = emf(METRIC.datapointsAccepted, OPS_SERVICE.ingest);
    const rejected = emf(METRIC.datapointsRejected, OPS_SERVICE.ingest);
    const storeRejected = emf(METRIC.storeRejectedRecords, OPS_SERVICE.ingest);
    const throttled = emf(METRIC.ingestThrottled, OPS_SERVICE.ingest);
    const evaluatorLag = emf(METRIC.alertEvaluatorLagSeconds, OPS_SERVICE.alertEvaluator, 'Maximum');
    const notificationFailures = emf(METRIC.notificationFailures, OPS_SERVICE.notifier);
    // The scheduled pass drains the outbox every minute and reports what is left (0 once drained).
    const eventsPending = emf(METRIC.alertEventsPending, OPS_SERVICE.alertEvaluator, 'Maximum');
    // Emitted by every function that runs the alert engine (evaluator, ingest, and the alerts API,
    // whose engine logs as alert-engine); an alarm cannot use SEARCH, so each is named.
    const deadLettered = new MathExpression({
      expression: 'FILL(e, 0) + FILL(i, 0) + FILL(a, 0)',
      usingMetrics: {
        e: emf(METRIC.alertEventsDeadLettered, OPS_SERVICE.alertEvaluator),
        i: emf(METRIC.alertEventsDeadLettered, OPS_SERVICE.ingest),
        a: emf(METRIC.alertEventsDeadLettered, OPS_SERVICE.alertEngine),
      },
      label: 'Alert events dead-lettered',
      period: FIVE_MINUTES,
    });
    const deduplicated = emf(METRIC.notificationsDeduplicated, OPS_SERVICE.notifier);
    const confirmFailures = emf(METRIC.notificationConfirmFailures, OPS_SERVICE.notifier);
    const rejectionRate = new MathExpression({
      expression: 'IF((a + r) > 0, 100 * r / (a + r), 0)',
      usingMetrics: { a: accepted, r: rejected },
      label: 'Datapoints rejected (%)',
      period: FIVE_MINUTES,
    });

    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# Observability platform\n${props.description}`, width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(
      graph('Datapoints accepted / rejected', [accepted, rejected]),
      graph('Metric store rejected records', [storeRejected]),
      graph('Ingest throttled', [throttled]),
    );
    this.dashboard.addWidgets(
      graph('Alert evaluator lag (s)', [evaluatorLag]),
      graph('Notification failures', [notificationFailures]),
      topTenants('Top tenants: samples stored', METRIC.samplesAccepted, ''),
    );
    this.dashboard.addWidgets(
      graph('Alert events waiting in the outbox / dead-lettered', [eventsPending, deadLettered]),
      graph('Notifications deduplicated (copies not sent again)', [deduplicated]),
      graph('Notifications sent but not recorded as sent (may be sent again)', [confirmFailures]),
    );
    this.dashboard.addWidgets(
      topTenants('Top tenants: samples discarded by the guardrails', METRIC.samplesDiscarded, ', reason'),
      topTenants('Tenants near a limit (% of limit)', METRIC.tenantLimitWarning, ', limit', 'MAX'),
    );

    this.alarm('DatapointRejectionRate', rejectionRate, 20, 'More than 20 % of datapoints rejected');
    this.alarm('StoreRejectedRecords', storeRejected, 0, 'The metric store refused validated records');
    this.alarm('IngestThrottled', throttled, 100, 'Collectors throttled (429) more than 100 times in 5 min');
    this.alarm('AlertEvaluatorLag', evaluatorLag, 300, 'Alert evaluation more than 5 min behind');
    this.alarm('NotificationFailures', notificationFailures, 0, 'Notifications failed to send');
    this.alarm(
      'AlertEventsPending',
      eventsPending,
      0,
      'Alert events stuck in the outbox: the event bus has refused them for 10 min (notifications delayed)',
    );
    this.alarm(
      'AlertEventsDeadLettered',
      deadLettered,
      0,
      'The alert bus refused alert events for good (malformed or too large): they are dead letters, not notified (RUNBOOK "Dead letters")',
      { evaluation: FIRST_OCCURRENCE },
    );
    // At the first one: a copy of that event reaching another notifier after the claim's 2-minute
    // lease sends the notification again, and the ledger's table is failing writes.
    this.alarm(
      'NotificationConfirmFailures',
      confirmFailures,
      0,
      'The notifier sent notifications it could not record as sent (metadata table writes failing): duplicates possible',
      { evaluation: FIRST_OCCURRENCE },
    );
  }

  /** API Gateway requests, 4xx/5xx, latency p50/p99: graphs, and alarms on 5xx and p99. */
  watchApi(api: RestApi): void {
    const requests = api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' });
    const serverErrors = api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const clientErrors = api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const p50 = api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' });
    const p99 = api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' });
    this.dashboard.addWidgets(
      graph('Ingest API requests (left) / 4xx, 5xx (right)', [requests], [clientErrors, serverErrors]),
      graph('API latency p50 / p99 (ms)', [p50, p99]),
    );
    this.alarm('Api5xx', serverErrors, 5, 'API answered 5xx (server faults, store unavailable)');
    this.alarm('ApiLatencyP99', p99, 2_000, 'API p99 latency above 2 s');
  }

  /** Errors and throttles of one function: graphs and alarms. */
  watchFunction(name: string, fn: IFunction): void {
    const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
    const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.dashboard.addWidgets(graph(`${name}: errors / throttles`, [errors, throttles]));
    this.alarm(`${pascal(name)}Errors`, errors, 0, `Function ${name} raised errors`);
    this.alarm(`${pascal(name)}Throttles`, throttles, 0, `Function ${name} was throttled`);
  }

  /**
   * Parked batches the spill replay deleted unwritten because their tenant was offboarded (or is
   * unknown): a graph, and an informational alarm (any in 15 min), since it is expected after
   * offboarding a tenant during a store outage but should not happen otherwise.
   */
  watchSpillReplay(spillQueue?: IQueue): void {
    const dropped = emf(METRIC.spillReplayDroppedBatches, OPS_SERVICE.replay, 'Sum', FIFTEEN_MINUTES);
    this.dashboard.addWidgets(graph('Spill replay: batches dropped (tenant offboarded)', [dropped]));
    // The local provider view charts SpillQueueDepth (the spill directory's) under this title.
    if (spillQueue)
      this.dashboard.addWidgets(
        graph(SPILL_QUEUE_DEPTH_TITLE, [
          spillQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        ]),
      );
    this.alarm(
      'SpillReplayDroppedBatches',
      dropped,
      0,
      'Informational: the spill replay dropped parked batches of an offboarded or unknown tenant in the last 15 min',
      { evaluation: FIRST_OCCURRENCE, topic: this.noticesTopic },
    );
  }

  /**
   * Where data the platform accepted could still be refused later: samples the spill replay
   * dead-lettered (EMF), and Timestream's reports of records refused on magnetic-store writes (S3
   * PutRequests under the bucket's request-metrics filter). Each pages at the first one.
   */
  watchLateRefusals(magneticRejections?: { bucketName: string; filterId: string }): void {
    const deadLettered = emf(METRIC.spillReplayDeadLetteredSamples, OPS_SERVICE.replay);
    const reports = magneticRejections
      ? [
          new Metric({
            namespace: 'AWS/S3',
            metricName: 'PutRequests',
            dimensionsMap: {
              BucketName: magneticRejections.bucketName,
              FilterId: magneticRejections.filterId,
            },
            statistic: 'Sum',
            period: FIVE_MINUTES,
          }),
        ]
      : [];
    this.dashboard.addWidgets(
      graph('Samples refused after acceptance: replay dead letters / Timestream magnetic reports', [
        deadLettered,
        ...reports,
      ]),
    );
    this.alarm(
      'SpillReplayDeadLetteredSamples',
      deadLettered,
      0,
      'The metric store refused replayed samples for good: they are dead letters (RUNBOOK "Dead letters")',
      { evaluation: FIRST_OCCURRENCE },
    );
    if (reports[0])
      this.alarm(
        'TimestreamMagneticRejections',
        reports[0],
        0,
        'Timestream refused late records on magnetic-store writes: reports in the rejections bucket (RUNBOOK "Dead letters")',
        { evaluation: FIRST_OCCURRENCE },
      );
  }

  /** Any message in a dead-letter (or on-failure) queue is lost work: alarm at the first one. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    const depth = queue.metricApproximateNumberOfMessagesVisible({
      period: FIVE_MINUTES,
      statistic: 'Maximum',
    });
    this.dashboard.addWidgets(
      new SingleValueWidget({ title: `DLQ depth: ${name}`, metrics: [depth], width: 6 }),
    );
    this.alarm(`${pascal(name)}DlqDepth`, depth, 0, `Dead-letter queue ${name} has messages`);
  }

  /** An alarm above `threshold` in 2 of 3 periods (or `evaluation`), notifying on-call (or `topic`). */
  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    options: { evaluation?: AlarmEvaluation; topic?: Topic } = {},
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...(options.evaluation ?? { evaluationPeriods: 3, datapointsToAlarm: 2 }),
      // No data means nothing happened (no traffic, function not deployed yet): not an incident.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(options.topic ?? this.onCallTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}

function emf(metricName: string, service: string, statistic = 'Sum', period = FIVE_MINUTES): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic,
    period,
  });
}

/**
 * Metrics Insights over the per-tenant EMF metrics (dimensions service, tenant and any extra ones):
 * the ten largest tenants.
 */
function topTenants(
  title: string,
  metricName: string,
  extraDimensions: string,
  fn: 'SUM' | 'MAX' = 'SUM',
): GraphWidget {
  return new GraphWidget({
    title,
    width: 8,
    left: [
      new MathExpression({
        expression:
          `SELECT ${fn}(${metricName}) FROM SCHEMA("${METRICS_NAMESPACE}", service, ${TENANT_METRIC_DIMENSION}${extraDimensions}) ` +
          `GROUP BY ${TENANT_METRIC_DIMENSION} ORDER BY ${fn}() DESC LIMIT 10`,
        usingMetrics: {},
        label: TENANT_METRIC_DIMENSION,
        period: FIVE_MINUTES,
      }),
    ],
  });
}

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width: 8 });
}

function pascal(name: string): string {
  return name.replace(/(^|[-_ ])(\w)/g, (_, __, c: string) => c.toUpperCase());
}
