/**
 * Customer-managed KMS keys of one region, one per concern so a key policy names only the services
 * that need it, all with yearly automatic rotation. (The table and envelope-encryption keys are the
 * multi-region keys from the global part, not these.)
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The services that encrypt with the messaging key for the platform's own resources: [service, Sid
 * name, the resource part of the ARN its requests come from (aws:SourceArn)].
 */
export const MESSAGING_KEY_USERS = [
  ['cloudwatch', 'CloudWatchAlarms', 'alarm:*'],
  ['events', 'EventBridgeRules', 'rule/*'],
  ['sns', 'SnsTopics', '*'],
] as const;

export class RegionalKeys extends Construct {
  /** CloudWatch Logs: function, API access, WAF and AMP log groups. */
  readonly logs: Key;
  /** The metric store's data at rest (Timestream database or AMP workspace). */
  readonly metricStore: Key;
  /** SNS topics and SQS queues (alarms, alert notifications, dead-letter queues). */
  readonly messaging: Key;
  /** Secrets Manager secrets (the provider admin token). */
  readonly secrets: Key;
  /** Offboarding archives in S3. */
  readonly archives: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = (name: string, description: string) =>
      new Key(this, name, {
        description,
        enableKeyRotation: true,
        // Deleting a key destroys the data it protects: keys outlive stacks (see RUNBOOK, disposal).
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.logs = key('LogsKey', 'CloudWatch Logs of the observability platform');
    this.metricStore = key('MetricStoreKey', 'Metric store data at rest');
    this.messaging = key('MessagingKey', 'SNS topics and SQS queues');
    this.secrets = key('SecretsKey', 'Provider secrets');
    this.archives = key('ArchivesKey', 'Offboarding archives');

    this.logs.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    // Alarms publish to encrypted topics, EventBridge targets topics and queues, SNS feeds queues. Each
    // service may use the key only on behalf of this account's resources of its own kind in this region
    // (aws:SourceAccount and aws:SourceArn: confused-deputy protection), one statement per service.
    const onBehalfOf = (service: string, resource: string) => ({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:${service}:${stack.region}:${stack.account}:${resource}`,
      },
    });
    for (const [service, principal, resource] of MESSAGING_KEY_USERS)
      this.messaging.addToResourcePolicy(
        new PolicyStatement({
          sid: `${principal}OfThisAccountOnly`,
          principals: [new ServicePrincipal(`${service}.amazonaws.com`)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: onBehalfOf(service, resource),
        }),
      );
  }
}
