/**
 * The website-checks construct in a stack of its own (bundling off): the probe under its fixed name,
 * the checks function allowed to invoke exactly the probes of the platform's regions, the names of
 * those probes in its environment, the one-minute schedule, and cdk-nag AwsSolutions clean.
 */
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WEBSITE_PROBES_ENV } from '#adapters/aws/lambda-website-probes';
import { addPlatformChecks } from '../../infra/acknowledgements';
import { MetricStore } from '../../infra/constructs/metric-store';
import { PlatformFunction } from '../../infra/constructs/platform-function';
import { WEBSITE_PROBE_FUNCTION_NAME, WebsiteChecks } from '../../infra/constructs/website-checks';

const REGIONS = ['us-west-2', 'eu-west-1', 'ap-southeast-2'];
let template: Template;
let stack: Stack;
let checks: WebsiteChecks;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new Stack(app, 'WebsiteChecks-eu-west-1', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const logKey = new Key(stack, 'LogKey', { enableKeyRotation: true });
  const messagingKey = new Key(stack, 'MessagingKey', { enableKeyRotation: true });
  const table = new TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const metricStore = new MetricStore(stack, 'MetricStore', {
    kind: 'timestream',
    key: new Key(stack, 'StoreKey', { enableKeyRotation: true }),
    logKey,
    logRetentionDays: 30,
    magneticRetentionDays: 365,
  });
  const deadLetterQueue = new Queue(stack, 'TargetDlq', {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: messagingKey,
    enforceSSL: true,
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: "The test stack's stand-in for the alerting targets' dead-letter queue: itself a DLQ.",
  });
  checks = new WebsiteChecks(stack, 'Checks', {
    regions: REGIONS,
    table,
    metricStore,
    messagingKey,
    deadLetterQueue,
    newFunction: (id, props) => new PlatformFunction(stack, id, { ...props, logKey, logRetentionDays: 30 }),
  });
  addPlatformChecks(app);
  app.synth();
  template = Template.fromStack(stack);
});

const probeArn = (region: string) =>
  `arn:aws:lambda:${region}:123456789012:function:${WEBSITE_PROBE_FUNCTION_NAME}`;

describe('WebsiteChecks construct', () => {
  it('names the probe the same in every region', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: WEBSITE_PROBE_FUNCTION_NAME });
  });

  it('tells the checks function where every location probe is', () => {
    const fn = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'website-checks' } } },
    });
    const [only] = Object.values(fn);
    const raw = stack.resolve(only?.Properties.Environment.Variables[WEBSITE_PROBES_ENV]);
    // Fn::Join of the partition into the JSON: render it as in the aws partition.
    const rendered = JSON.stringify(raw).replace(/\{\\?"Ref\\?":\\?"AWS::Partition\\?"\}/g, 'aws');
    for (const region of REGIONS)
      expect(rendered).toContain(`${region}:123456789012:function:${WEBSITE_PROBE_FUNCTION_NAME}`);
  });

  it('may invoke the probes of the platform regions and nothing else', () => {
    const checksRole = stack.resolve((checks.checks.fn.role!.node.defaultChild as CfnElement).logicalId);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: checksRole }] } }),
    ).map((p) => stack.resolve(p.Properties.PolicyDocument)) as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    }[];
    const invokes = policies
      .flatMap((p) => p.Statement)
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const probeStatement = invokes.find((s) =>
      JSON.stringify(s.Resource).includes(WEBSITE_PROBE_FUNCTION_NAME),
    );
    expect(probeStatement).toBeDefined();
    const rendered = JSON.stringify(probeStatement?.Resource).replace(/\{"Ref":"AWS::Partition"\}/g, 'aws');
    for (const region of REGIONS) expect(rendered).toContain(probeArn(region).slice('arn:aws:'.length));
    expect(rendered).not.toContain('*');
  });

  it('runs every minute through its own scheduler role', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumEventAgeInSeconds: 60 }) }),
    });
  });
});
