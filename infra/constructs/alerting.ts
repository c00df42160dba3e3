/**
 * Alerting in one region: the alert bus, routing rules, encrypted topics and queues, the scheduled
 * evaluator, and the notifier.
 *
 *   evaluator (Scheduler, every minute) ─┐
 *   ingest (on-ingest evaluation) ───────┼─▶ EventBridge custom bus ──rule per severity──▶ SNS topic (KMS)
 *   alerts API (acknowledge) ────────────┘        │                                         │ Lambda subscription (DLQ)
 *                                                 │ cross-region rule (not in the           ▼
 *                                                 │ aggregation region)                  notifier ─▶ email topic (filter
 *                                                 ▼                                        policy on `recipient`), SMS,
 *                                aggregation region's alert bus                            signed HTTPS webhooks
 *
 * Every target has an encrypted SQS dead-letter queue, the notifier parks failed deliveries on its own
 * queue (ALERT_DEAD_LETTER_QUEUE_URL), and asynchronous invocations that fail land in the function's
 * failure queue: nothing is dropped. Event source and detail-types are the shared constants of
 * shared/domain/alerting/events.ts, used by producer, consumer and these rules alike.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget, SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_ENV } from '#adapters/aws/eventbridge-alert-wiring';
import { ALERT_EVENT_SOURCE, DETAIL_TYPE, notificationPattern } from '#domain/alerting/events';
import { SEVERITIES, type Severity } from '#domain/alerting/thresholds';
import type { MetricStore } from './metric-store';
import type { PlatformFunction } from './platform-function';
import { schedulerRoleFor } from './scheduler-role';

/**
 * The bus has the same name in every region: a cross-region target must be an ARN known at synth
 * time, and a token from another region's stack cannot be one. Unique per account and region.
 */
export const ALERT_BUS_NAME = 'observability-alerts';
export const EVALUATOR_TIMEOUT = Duration.seconds(60);

export interface AlertingFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly serviceName: string;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly asyncFailureKey?: IKey;
}

export interface AlertingProps {
  /** Where every region's alert events are copied; no copy rule in that region itself. */
  readonly aggregationRegion: string;
  /** Encrypts topics and queues (its key policy lets EventBridge and SNS use it). */
  readonly messagingKey: IKey;
  /** The metadata table: alert rules, states, history (items/alert-store-items.ts). */
  readonly table: ITableV2;
  readonly metricStore: MetricStore;
  /** The HTTP `alerts` function: publishes acknowledgements. */
  readonly alertsApi: PlatformFunction;
  /** The ingest function: evaluates on ingest (reads and writes alert state, publishes). */
  readonly ingest?: PlatformFunction;
  /** Regions of the per-tenant KMS keys (the notifier opens sealed webhook secrets); default: this one. */
  readonly tenantKeyRegions?: readonly string[];
  /** Builds a function with the region's defaults (RegionalStack.newFunction). */
  readonly newFunction: (id: string, props: AlertingFunctionProps) => PlatformFunction;
}

export class Alerting extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  readonly severityTopics: Readonly<Record<Severity, Topic>>;
  readonly emailTopic: Topic;
  /** Events a rule could not deliver to its target. */
  readonly targetDeadLetterQueue: Queue;
  /** Notifications the notifier could not deliver after retries (parked, never dropped). */
  readonly deliveryDeadLetterQueue: Queue;
  readonly evaluator: PlatformFunction;
  readonly notifier: PlatformFunction;
  readonly schedule: Schedule;
  readonly crossRegionRule?: Rule;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = props.messagingKey;
    const queue = (name: string) =>
      new Queue(this, name, {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: props.messagingKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
    this.targetDeadLetterQueue = queue('TargetDeadLetterQueue');
    this.deliveryDeadLetterQueue = queue('DeliveryDeadLetterQueue');
    for (const q of [this.targetDeadLetterQueue, this.deliveryDeadLetterQueue])
      Validations.of(q).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue: the end of the line, watched by an ops alarm.',
      });

    this.bus = new EventBus(this, 'Bus', { eventBusName: ALERT_BUS_NAME });
    // Thirty days of every alert event, replayable (e.g. into a notifier after an outage).
    this.archive = this.bus.archive('Archive', {
      description: 'Alert events of this region',
      eventPattern: { source: [ALERT_EVENT_SOURCE] },
      retention: Duration.days(30),
    });

    const topic = (name: string, displayName: string) =>
      new Topic(this, name, { displayName, masterKey: props.messagingKey, enforceSSL: true });
    this.severityTopics = Object.fromEntries(
      SEVERITIES.map((s) => [s, topic(`${pascal(s)}Topic`, `Alert notifications: ${s}`)]),
    ) as Record<Severity, Topic>;
    this.emailTopic = topic('EmailTopic', 'Alert e-mail delivery');

    // Route notification requests meant for people (not in downtime, not dependent) by the severity
    // the alert has now: an escalation's first stage travels its new severity's route. The pattern is
    // the one the local bus routes with (notificationPattern).
    for (const severity of SEVERITIES) {
      const { 'detail-type': detailType, ...pattern } = notificationPattern(severity);
      new Rule(this, `${pascal(severity)}NotificationRule`, {
        eventBus: this.bus,
        description: `${DETAIL_TYPE.notificationRequested} (${severity}) to its topic`,
        // Only events raised in this region: the copies other regions forward here (CrossRegionCopyRule)
        // keep their own region, and are for the provider's audit view (the archive), never a second page.
        eventPattern: { ...pattern, detailType, region: [stack.region] },
        targets: [
          new SnsTopic(this.severityTopics[severity], {
            // Publish as a role of this account: EventBridge itself gets no grant on the topic or on the
            // messaging key (a service-principal grant on the key would carry no source condition).
            authorizeUsingRole: true,
            deadLetterQueue: this.targetDeadLetterQueue,
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
          }),
        ],
      });
    }

    // The rules' SnsTopic targets allow events.amazonaws.com to publish with no condition: only
    // EventBridge of this account, from this region's rules, may (confused-deputy protection).
    for (const topic of Object.values(this.severityTopics)) {
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'EventBridgeOfThisAccountOnly',
          effect: Effect.DENY,
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringNotEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'EventBridgeRulesOfThisBusOnly',
          effect: Effect.DENY,
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            ArnNotLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'events',
                resource: 'rule',
                resourceName: `${this.bus.eventBusName}/*`,
              }),
            },
          },
        }),
      );
    }

    if (stack.region !== props.aggregationRegion) {
      const aggregationBus = EventBus.fromEventBusArn(
        this,
        'AggregationBus',
        `arn:${stack.partition}:events:${props.aggregationRegion}:${stack.account}:event-bus/${ALERT_BUS_NAME}`,
      );
      this.crossRegionRule = new Rule(this, 'CrossRegionCopyRule', {
        eventBus: this.bus,
        description: `Every alert event to the aggregation region (${props.aggregationRegion})`,
        eventPattern: { source: [ALERT_EVENT_SOURCE] },
        targets: [new EventBusTarget(aggregationBus, { deadLetterQueue: this.targetDeadLetterQueue })],
      });
    }

    this.notifier = props.newFunction('AlertNotifier', {
      entry: 'functions/notifier/handler.ts',
      description: 'Delivers alert notifications: e-mail and SMS through SNS, signed webhooks',
      serviceName: 'notifier',
      timeout: Duration.seconds(60),
      asyncFailureKey: props.messagingKey,
    });
    // Reads chains; claims each delivery before sending it (dynamodb-notification-ledger.ts).
    this.notifier.bindTable(props.table, 'readClaimNotifications');
    // Opens webhook signing secrets (sealed by the alerts API under the tenant's key) to sign.
    this.notifier.bindTenantKeys('use', props.tenantKeyRegions ?? [stack.region]);
    this.notifier.fn.addEnvironment(ALERT_ENV.deadLetterQueueUrl, this.deliveryDeadLetterQueue.queueUrl);
    this.deliveryDeadLetterQueue.grantSendMessages(this.notifier.fn);
    this.notifier.fn.addEnvironment(ALERT_ENV.emailTopicArn, this.emailTopic.topicArn);
    this.emailTopic.grantPublish(this.notifier.fn);
    // SMS goes to a phone number, not a topic: IAM has no resource for it, so deny every topic
    // except the e-mail topic and allow the rest (the phone-number publish).
    this.notifier.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['sns:Publish'], notResources: [`arn:${stack.partition}:sns:*:*:*`] }),
    );
    for (const severity of SEVERITIES)
      this.severityTopics[severity].addSubscription(
        new LambdaSubscription(this.notifier.fn, { deadLetterQueue: this.targetDeadLetterQueue }),
      );

    this.evaluator = props.newFunction('AlertEvaluator', {
      entry: 'functions/alert-evaluator/handler.ts',
      description: 'Evaluates alert rules every minute and sends due escalation stages',
      serviceName: 'alert-evaluator',
      timeout: EVALUATOR_TIMEOUT,
      memorySize: 1024,
      // No reservation (a new account has none to give): overlapping passes are safe, series states
      // are written only from the version read and each notification is claimed once.
      asyncFailureKey: props.messagingKey,
    });
    this.evaluator.bindTable(props.table, 'readWrite');
    this.evaluator.bindMetricStore(props.metricStore, 'read');
    this.bindPublisher(this.evaluator);
    this.bindPublisher(props.alertsApi);
    // The alerts API subscribes chains' email recipients to the email topic (filter on `recipient`)
    // and removes them: on this topic only.
    props.alertsApi.fn.addEnvironment(ALERT_ENV.emailTopicArn, this.emailTopic.topicArn);
    props.alertsApi.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:ListSubscriptionsByTopic'],
        resources: [this.emailTopic.topicArn],
      }),
    );
    if (props.ingest) {
      props.ingest.bindTable(props.table, 'readWrite');
      this.bindPublisher(props.ingest);
    }

    const schedulerRole = schedulerRoleFor(this, 'SchedulerRole', this.evaluator.fn, 'evaluator');
    for (const fn of [this.notifier, this.evaluator])
      if (fn.failureQueue)
        Validations.of(fn.failureQueue).acknowledge({
          id: 'AwsSolutions-SQS3',
          reason:
            "The function's on-failure destination: itself the dead-letter queue, watched by an ops alarm.",
        });
    this.schedule = new Schedule(this, 'EvaluatorSchedule', {
      description: 'Alert evaluation pass',
      schedule: ScheduleExpression.rate(Duration.minutes(1)),
      key: props.messagingKey,
      target: new LambdaInvoke(this.evaluator.fn, {
        role: schedulerRole,
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        deadLetterQueue: this.targetDeadLetterQueue,
        retryAttempts: 2,
        // A pass older than a minute is superseded by the next one.
        maxEventAge: Duration.minutes(1),
      }),
    });
  }

  /** ALERT_BUS_NAME and PutEvents on this bus only. */
  bindPublisher(fn: PlatformFunction): void {
    fn.fn.addEnvironment(ALERT_ENV.busName, this.bus.eventBusName);
    this.bus.grantPutEventsTo(fn.fn);
  }

  /**
   * A tenant's own topic (e.g. for their SQS queue or chat integration): every notification request of
   * that tenant, whatever the severity.
   */
  addTenantRoute(tenantId: string): Topic {
    const id = `Tenant${tenantId.replace(/[^A-Za-z0-9]/g, '')}`;
    const tenantTopic = new Topic(this, `${id}Topic`, {
      displayName: `Alert notifications of tenant ${tenantId}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    new Rule(this, `${id}Rule`, {
      eventBus: this.bus,
      description: `Notification requests of tenant ${tenantId}`,
      eventPattern: {
        source: [ALERT_EVENT_SOURCE],
        detailType: [DETAIL_TYPE.notificationRequested],
        detail: { tenantId: [tenantId], notify: [true] },
        region: [Stack.of(this).region],
      },
      targets: [
        new SnsTopic(tenantTopic, { authorizeUsingRole: true, deadLetterQueue: this.targetDeadLetterQueue }),
      ],
    });
    return tenantTopic;
  }
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
