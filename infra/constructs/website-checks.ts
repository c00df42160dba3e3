/**
 * The platform's website checks in one region: a probe function (this region as a check location:
 * it checks the URLs it is given and stores nothing) and the scheduled checks function that, every
 * minute, has every region's probe check the websites of the tenants homed here, then stores the
 * results and verdicts in this region's metric store (functions/website-checks).
 *
 * The probe has a fixed name in every region, so each region's checks function can name the others'
 * probes by ARN without a cross-region reference.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WEBSITE_PROBES_ENV } from '#adapters/aws/lambda-website-probes';
import type { MetricStore } from './metric-store';
import type { PlatformFunction, PlatformFunctionProps } from './platform-function';
import { invokeOnSchedule } from './scheduler-role';

export const WEBSITE_PROBE_FUNCTION_NAME = 'obs-platform-website-probe';

export interface WebsiteChecksProps {
  /** Every region of the platform: each is a check location. */
  readonly regions: readonly string[];
  readonly table: ITableV2;
  readonly metricStore: MetricStore;
  /** Encrypts the schedule and the checks function's failure queue. */
  readonly messagingKey: IKey;
  /** Where the schedule's undeliverable invocations go (the alerting targets' dead-letter queue). */
  readonly deadLetterQueue: IQueue;
  readonly newFunction: (
    id: string,
    props: Omit<PlatformFunctionProps, 'logKey' | 'logRetentionDays'>,
  ) => PlatformFunction;
}

export class WebsiteChecks extends Construct {
  readonly probe: PlatformFunction;
  readonly checks: PlatformFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: WebsiteChecksProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.probe = props.newFunction('WebsiteProbe', {
      entry: 'functions/website-probe/handler.ts',
      description: 'A website-check location: checks the URLs it is sent, stores nothing',
      serviceName: 'website-probe',
      // 100 checks, 16 at a time, each at most 20 s.
      timeout: Duration.seconds(150),
    });
    (this.probe.fn.node.defaultChild as CfnFunction).functionName = WEBSITE_PROBE_FUNCTION_NAME;

    this.checks = props.newFunction('WebsiteCheckRunner', {
      entry: 'functions/website-checks/handler.ts',
      description: 'Website checks of the tenants homed here, from every region, every minute',
      serviceName: 'website-checks',
      timeout: Duration.minutes(3),
      asyncFailureKey: props.messagingKey,
    });
    // Reads tenants and their websites; creates each tenant's managed website-check rule once.
    this.checks.bindTable(props.table, 'readWrite');
    // Writes results and verdicts; reads earlier results for the verdict.
    this.checks.bindMetricStore(props.metricStore, 'readWrite');
    const probeArns = props.regions.map(
      (region) =>
        `arn:${stack.partition}:lambda:${region}:${stack.account}:function:${WEBSITE_PROBE_FUNCTION_NAME}`,
    );
    this.checks.fn.addEnvironment(
      WEBSITE_PROBES_ENV,
      stack.toJsonString(Object.fromEntries(props.regions.map((region, i) => [region, probeArns[i]]))),
    );
    this.checks.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: probeArns }),
    );
    this.schedule = invokeOnSchedule(this, this.checks, {
      description: 'Website checks pass',
      what: 'website-checks',
      every: Duration.minutes(1),
      key: props.messagingKey,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 0,
      // A pass is superseded by the next minute's.
      maxEventAge: Duration.minutes(1),
    });
  }
}
