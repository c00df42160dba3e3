/**
 * The alerting construct in a stack of its own (bundling off): bus, routing rules and their exact
 * patterns, KMS-encrypted topics and queues, DLQs on every target, the cross-region copy, the
 * evaluator schedule, the notifier subscriptions, the grants, and cdk-nag AwsSolutions clean.
 */
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchesPattern } from '#adapters/local/event-bus-pattern';
import { ALERT_EVENT_SOURCE, DETAIL_TYPE, notificationPattern } from '#domain/alerting/events';
import { SEVERITIES } from '#domain/alerting/thresholds';
import { addPlatformChecks } from '../../infra/acknowledgements';
import { ALERT_BUS_NAME, Alerting } from '../../infra/constructs/alerting';
import { MetricStore } from '../../infra/constructs/metric-store';
import { PlatformFunction } from '../../infra/constructs/platform-function';
import { HTTP_FUNCTIONS } from '../../infra/functions';

function build(region: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, `Alerting-${region}`, { env: { account: '123456789012', region } });
  const logKey = new Key(stack, 'LogKey', { enableKeyRotation: true });
  const messagingKey = new Key(stack, 'MessagingKey', { enableKeyRotation: true });
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const metricStore = new MetricStore(stack, 'MetricStore', {
    kind: 'amp',
    key: new Key(stack, 'StoreKey', { enableKeyRotation: true }),
    logKey,
    logRetentionDays: 30,
    magneticRetentionDays: 365,
  });
  const fn = (id: string, props: { entry: string; serviceName: string; description?: string }) =>
    new PlatformFunction(stack, id, { ...props, logKey, logRetentionDays: 30 });
  const alertsApi = fn('Alerts', { entry: 'functions/alerts/handler.ts', serviceName: 'alerts' });
  const ingest = fn('Ingest', { entry: 'functions/ingest/handler.ts', serviceName: 'ingest' });
  const alerting = new Alerting(stack, 'Alerting', {
    aggregationRegion: 'us-west-2',
    messagingKey,
    table,
    metricStore,
    alertsApi,
    ingest,
    newFunction: (id, props) => new PlatformFunction(stack, id, { ...props, logKey, logRetentionDays: 30 }),
  });
  alerting.addTenantRoute('tenant-42');
  addPlatformChecks(app);
  try {
    app.synth();
  } catch (error) {
    const report = new AwsSolutionsChecks().validateScope(app);
    throw new Error(
      `${(error as Error).message}\n${report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`).join('\n')}`,
    );
  }
  return { app, stack, template: Template.fromStack(stack), alerting, table };
}

let eu: ReturnType<typeof build>;
let aggregation: ReturnType<typeof build>;
beforeAll(() => {
  eu = build('eu-west-1');
  aggregation = build('us-west-2');
});

describe('Alerting construct', () => {
  it('creates the custom bus with its archive of alert events', () => {
    eu.template.hasResourceProperties('AWS::Events::EventBus', { Name: ALERT_BUS_NAME });
    eu.template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: [ALERT_EVENT_SOURCE] },
      RetentionDays: 30,
    });
  });

  it('routes notification requests by severity to KMS-encrypted topics, with a DLQ on each target', () => {
    for (const severity of ['warning', 'error', 'critical']) {
      eu.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: [ALERT_EVENT_SOURCE],
          'detail-type': [DETAIL_TYPE.notificationRequested],
          detail: { severity: [severity], notify: [true] },
        },
        Targets: [
          Match.objectLike({
            DeadLetterConfig: { Arn: Match.anyValue() },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          }),
        ],
      });
    }
    const topics = eu.template.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(5); // three severities, e-mail, one tenant route
    for (const topic of Object.values(topics)) expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  });

  it('lets only EventBridge of this account, from the rules of this bus, publish to the severity topics', () => {
    const policies = Object.values(eu.template.findResources('AWS::SNS::TopicPolicy')).map(
      (p) => eu.stack.resolve(p.Properties.PolicyDocument) as { Statement: Record<string, unknown>[] },
    );
    const guarded = policies.filter((p) => p.Statement.some((s) => s.Sid === 'EventBridgeOfThisAccountOnly'));
    expect(guarded).toHaveLength(3);
    for (const policy of guarded) {
      expect(policy.Statement).toContainEqual(
        expect.objectContaining({
          Sid: 'EventBridgeOfThisAccountOnly',
          Effect: 'Deny',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { StringNotEquals: { 'aws:SourceAccount': eu.stack.account } },
        }),
      );
      const byRule = policy.Statement.find((s) => s.Sid === 'EventBridgeRulesOfThisBusOnly')!;
      expect(byRule.Effect).toBe('Deny');
      expect(JSON.stringify(byRule.Condition)).toMatch(/ArnNotLike.*aws:SourceArn.*:rule\/.*\/\*/);
    }
  });

  it('publishes to the topics as roles of this account: EventBridge itself has no grant on the topics or the key', () => {
    const allows = [
      ...Object.values(eu.template.findResources('AWS::SNS::TopicPolicy')).map(
        (p) => p.Properties.PolicyDocument,
      ),
      ...Object.values(eu.template.findResources('AWS::KMS::Key')).map((k) => k.Properties.KeyPolicy),
    ].flatMap(
      (doc) => (eu.stack.resolve(doc) as { Statement: { Effect: string; Principal?: unknown }[] }).Statement,
    );
    const toEventBridge = allows.filter(
      (s) => s.Effect === 'Allow' && JSON.stringify(s.Principal ?? {}).includes('events.amazonaws.com'),
    );
    expect(toEventBridge).toEqual([]);
    const rules = Object.values(eu.template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets).includes('Topic'),
    );
    expect(rules.length).toBeGreaterThanOrEqual(4); // three severities and the tenant route
    for (const rule of rules)
      for (const target of rule.Properties.Targets as { Arn: unknown; RoleArn?: unknown }[])
        if (JSON.stringify(target.Arn).includes('Topic')) expect(target.RoleArn).toBeDefined();
  });

  it('routes an escalated notification by its new severity: only the critical rule, as the local bus does', () => {
    const detail = {
      version: 1,
      tenantId: 't1',
      alertId: 'a1',
      ruleId: 'r1',
      ruleName: 'CPU busy',
      severity: 'critical',
      previousSeverity: 'warning',
      previousValue: 65,
      value: 95,
      metric: 'cpu_busy',
      dimensions: {},
      status: 'open',
      openedAt: '2026-01-01T00:00:00.000Z',
      notify: true,
      kind: 'alert',
      chainId: 'pager',
      stage: 0,
      sequence: 1,
      at: '2026-01-01T00:01:00.000Z',
    };
    const envelope = {
      source: ALERT_EVENT_SOURCE,
      'detail-type': DETAIL_TYPE.notificationRequested,
      region: 'eu-west-1',
      detail,
    };
    const rules = Object.values(eu.template.findResources('AWS::Events::Rule')).filter(
      (r) => r.Properties.EventPattern?.detail?.severity,
    );
    expect(rules).toHaveLength(3);
    const matching = rules.filter((r) => matchesPattern(r.Properties.EventPattern, envelope));
    expect(matching.map((r) => r.Properties.EventPattern.detail.severity)).toEqual([['critical']]);
    // The template's patterns are the local bus's (one definition of the route per severity).
    // (plus the region filter: only events raised in this region page anyone).
    for (const severity of SEVERITIES)
      expect(rules.map((r) => r.Properties.EventPattern)).toContainEqual({
        ...notificationPattern(severity),
        region: ['eu-west-1'],
      });
    // De-escalated to warning, the same alert travels the warning route.
    const calmer = { ...envelope, detail: { ...detail, kind: 'deescalated', severity: 'warning' } };
    expect(
      rules
        .filter((r) => matchesPattern(r.Properties.EventPattern, calmer))
        .map((r) => r.Properties.EventPattern.detail.severity),
    ).toEqual([['warning']]);
  });

  it('routes by tenant when a tenant asks for its own topic', () => {
    eu.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: [ALERT_EVENT_SOURCE],
        'detail-type': [DETAIL_TYPE.notificationRequested],
        detail: { tenantId: ['tenant-42'], notify: [true] },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
  });

  it('copies every alert event to the aggregation region bus, except in the aggregation region', () => {
    eu.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [ALERT_EVENT_SOURCE] },
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:events:us-west-2:123456789012:event-bus/${ALERT_BUS_NAME}`,
              ],
            ],
          },
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    expect(aggregation.alerting.crossRegionRule).toBeUndefined();
    const copies = Object.values(aggregation.template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(':events:'),
    );
    expect(copies).toEqual([]);
  });

  it('routes to notifiers only events raised in its own region: a cross-region copy is for the archive (audit) only', () => {
    const detail = {
      tenantId: 'tenant-42',
      alertId: 'a1',
      severity: 'critical',
      notify: true,
      kind: 'alert',
      stage: 0,
    };
    const raisedIn = (region: string) => ({
      source: ALERT_EVENT_SOURCE,
      'detail-type': DETAIL_TYPE.notificationRequested,
      region,
      detail,
    });
    const rules = Object.values(aggregation.template.findResources('AWS::Events::Rule'));
    const notifying = rules.filter((r) => JSON.stringify(r.Properties.Targets ?? []).includes('Topic'));
    expect(notifying.length).toBe(4); // three severities and the tenant route
    for (const rule of notifying) expect(rule.Properties.EventPattern.region).toEqual(['us-west-2']);
    // eu-west-1's copy of a notification reaches the aggregation bus and pages nobody there…
    expect(notifying.filter((r) => matchesPattern(r.Properties.EventPattern, raisedIn('eu-west-1')))).toEqual(
      [],
    );
    // …while the same request raised in us-west-2 itself goes to the critical topic and the tenant's.
    expect(
      notifying.filter((r) => matchesPattern(r.Properties.EventPattern, raisedIn('us-west-2'))),
    ).toHaveLength(2);
    // The copy is kept by the bus's archive, the provider's audit view of every region's events.
    aggregation.template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: [ALERT_EVENT_SOURCE] },
    });
  });

  it('encrypts every queue with KMS and enforces TLS', () => {
    const queues = eu.template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).length).toBeGreaterThanOrEqual(4);
    for (const q of Object.values(queues)) expect(q.Properties.KmsMasterKeyId).toBeDefined();
    eu.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the evaluator every minute through EventBridge Scheduler, with a DLQ and the scheduled time as input', () => {
    eu.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      KmsKeyArn: Match.anyValue(),
      Target: {
        Arn: Match.anyValue(),
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
      },
    });
    eu.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Evaluates alert rules every minute and sends due escalation stages',
      // No reservation: a new account's concurrency quota (10) leaves none to reserve, and overlapping
      // passes are safe (series states are written by version, notifications claimed once).
      ReservedConcurrentExecutions: Match.absent(),
      Timeout: 60,
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          ALERT_BUS_NAME: { Ref: Match.anyValue() },
          TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it('subscribes the notifier to each severity topic with a DLQ, and gives it the e-mail topic and the delivery DLQ', () => {
    const subscriptions = eu.template.findResources('AWS::SNS::Subscription', {
      Properties: { Protocol: 'lambda', RedrivePolicy: { deadLetterTargetArn: Match.anyValue() } },
    });
    expect(Object.keys(subscriptions)).toHaveLength(3);
    eu.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Delivers alert notifications: e-mail and SMS through SNS, signed webhooks',
      Environment: {
        Variables: Match.objectLike({
          ALERT_EMAIL_TOPIC_ARN: { Ref: Match.anyValue() },
          ALERT_DEAD_LETTER_QUEUE_URL: { Ref: Match.anyValue() },
        }),
      },
    });
  });

  it('lets the notifier use tenant keys (only tagged keys, only with a tenant/field context) to open webhook secrets', () => {
    const notifierRole = eu.template.findResources('AWS::Lambda::Function', {
      Properties: {
        Description: 'Delivers alert notifications: e-mail and SMS through SNS, signed webhooks',
      },
    }) as Record<string, { Properties: { Role: { 'Fn::GetAtt': string[] } } }>;
    const roleId = Object.values(notifierRole)[0]?.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(eu.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .filter((s) => JSON.stringify(s).includes('kms:EncryptionContext:tenant'));
    expect(statements).toHaveLength(1);
    expect([statements[0]?.['Action']].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(statements[0]?.['Condition'])).toContain('aws:ResourceTag/');
    expect(JSON.stringify(statements[0]?.['Resource'])).toContain(':kms:eu-west-1:');
    // The alerts API seals them: its function spec asks for the same tenant-key use.
    expect(HTTP_FUNCTIONS.alerts.tenantKeys).toBe('use');
  });

  it('lets the notifier read the metadata table and put/delete only notification claims (pk NOTIFIED#…)', () => {
    const notifier = eu.template.findResources('AWS::Lambda::Function', {
      Properties: {
        Description: 'Delivers alert notifications: e-mail and SMS through SNS, signed webhooks',
      },
    }) as Record<string, { Properties: { Role: { 'Fn::GetAtt': string[] } } }>;
    const roleId = Object.values(notifier)[0]?.Properties.Role['Fn::GetAtt'][0];
    const tableArn = {
      'Fn::GetAtt': [eu.stack.getLogicalId(eu.table.node.defaultChild as CfnElement), 'Arn'],
    };
    const writes = Object.values(eu.template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .filter((s) =>
        /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(JSON.stringify(s['Action'])),
      );
    expect(writes).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: tableArn,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NOTIFIED#*'] } },
      },
    ]);
  });

  it('lets the alerts API subscribe and unsubscribe email recipients on the email topic only', () => {
    const topicRef = { Ref: eu.stack.getLogicalId(eu.alerting.emailTopic.node.defaultChild as CfnElement) };
    const statements = Object.values(eu.template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .filter((s) => JSON.stringify(s['Action']).includes('sns:Subscribe'));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:ListSubscriptionsByTopic'],
        Resource: topicRef,
      },
    ]);
    // The notifier publishes to it; the alerts API (no description in this test) subscribes to it.
    const withTopic = Object.values(
      eu.template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ ALERT_EMAIL_TOPIC_ARN: topicRef }) } },
      }),
    ).map((f) => f.Properties.Description);
    expect(withTopic.sort()).toEqual([
      'Delivers alert notifications: e-mail and SMS through SNS, signed webhooks',
      undefined,
    ]);
  });

  it('lets the evaluator, the alerts API and ingest publish to the bus and nothing else', () => {
    const putEvents = Object.values(eu.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'),
    );
    // evaluator, alerts API, ingest, and the cross-region copy rule's role
    expect(putEvents).toHaveLength(4);
    for (const policy of putEvents) {
      const statements = policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[];
      for (const s of statements.filter((x) => [x.Action].flat().includes('events:PutEvents')))
        expect(JSON.stringify(s.Resource)).not.toBe('"*"');
    }
  });

  it('is clean under cdk-nag AwsSolutions, each acknowledgement with its reason', () => {
    const report = new AwsSolutionsChecks().validateScope(eu.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
  });
});
